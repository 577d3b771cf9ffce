"""What a bot returns for one case, and what a scorer returns for one reply. A failure is data, not an exception.

Which replies count as answers is one rule for every bot (`as_answer`): an empty reply is a failure, not an answer (a
rule rubric would pass it, as nothing in it breaks a rule), and a reply cut at the token limit is scored but
flagged, or a failure when the run says so (`replay.truncated=error`). It is applied where replies enter the results
log (a run and a re-score), after the reply cache, so changing it never needs a bot to answer again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

Truncated = Literal["score", "error"]
TRUNCATED: tuple[str, ...] = ("score", "error")
EMPTY_REPLY = "empty reply"
CUT_REPLY = "reply cut at the token limit (finish_reason length)"


@dataclass(frozen=True)
class Reply:
    text: str | None
    latency_s: float = 0.0
    error: str | None = None  # e.g. "TimeoutError after 30 s, 3 attempts"; text is None then
    handoff: bool | None = None  # None: the backend said nothing about handing off
    tokens_in: int | None = None
    tokens_out: int | None = None
    cost: float | None = None
    attempts: int = 1
    truncated: bool | None = None  # cut at the token limit (finish_reason "length"); None: the backend cannot tell
    queue_s: float | None = None  # of the wait, how long the request queued in the client before it was sent

    @property
    def ok(self) -> bool:
        return self.error is None

    @classmethod
    def failed(cls, error: str, **kwargs: Any) -> Reply:
        return cls(text=None, error=error, **kwargs)


@dataclass(frozen=True)
class Score:
    value: float | None  # None: the scorer could not judge this reply (see rationale)
    label: str | None = None
    rationale: str | None = None
    # Sub-scores (a rubric's criteria): logged and summarised as "<scorer>/<part>" beside the scorer's own value.
    parts: Mapping[str, float | None] = field(default_factory=dict)


def as_answer(reply: Reply, truncated: Truncated = "score") -> Reply:
    """The reply as the log records it: empty text (whitespace only) with no handoff is the error EMPTY_REPLY (a
    handoff with no text, a tool call alone, is an answer); with truncated="error", a cut reply is the error
    CUT_REPLY. A failure keeps latency, attempts, usage and the truncation flag, so summaries still count them."""
    if not reply.ok:
        return reply
    if not (reply.text or "").strip() and not reply.handoff:
        return replace(reply, text=None, error=EMPTY_REPLY + (" (cut at the token limit)" if reply.truncated else ""))
    if reply.truncated and truncated == "error":
        return replace(reply, text=None, error=CUT_REPLY)
    return reply
