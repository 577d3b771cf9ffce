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


@dataclass(frozen=True)
class ChoiceWeights:
    """How a backend that `weighs_choices` answers a judge's question: the model's next-token probability of each
    choice (a score, a winner) after the prompt and an answer prefix, read in one forward pass (G-EVAL's
    probability-weighted scoring). There is no text to parse, so a weak model still gives a verdict."""

    probabilities: Mapping[str, float]  # choice -> probability of its first token; they sum to `mass` (<= 1)
    tokens_in: int = 0
    latency_s: float = 0.0

    @property
    def mass(self) -> float:
        """How much of the model's next-token probability falls on the choices at all."""
        return sum(self.probabilities.values())

    def shares(self) -> dict[str, float]:
        """The probabilities renormalised over the choices."""
        mass = self.mass
        return {choice: p / mass for choice, p in self.probabilities.items()}

    def describe(self) -> str:
        return ", ".join(f"p({c})={p:.2f}" for c, p in self.shares().items()) + f"; {self.mass:.0%} on the choices"


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
