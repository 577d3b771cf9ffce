"""How a run's LLM judges fared, per scorer: calls, calls that gave no verdict (unparseable answers, backend
failures) and their share, questions left unjudged, and the time per call on the server and in the client's queue.

A judge that fails quietly is worse than one that fails loudly: a rubric whose LLM criteria all failed is scored
on its rule criteria alone, a pairwise scorer shows no win rate. So a judge that gave no verdict on more than
FAILING of its calls is flagged, and every output shows the flag.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass

FAILING = 0.5  # share of calls without a verdict above which a judge is flagged


@dataclass(frozen=True)
class JudgeSummary:
    scorer: str
    calls: int
    parse_failures: int  # calls whose answer held no verdict that fits the schema (each attempt counts)
    backend_failures: int  # calls the backend itself failed (timeouts, HTTP errors)
    unjudged: int  # questions still without a verdict after every re-ask
    latency_s: float  # mean server time per call
    queue_s: float  # mean time a call waited in the client before it was sent

    @property
    def failed_calls(self) -> int:
        return self.parse_failures + self.backend_failures

    @property
    def failure_rate(self) -> float:
        return self.failed_calls / self.calls if self.calls else math.nan

    @property
    def failing(self) -> bool:
        return self.calls > 0 and self.failure_rate > FAILING

    def as_dict(self) -> dict:
        return {**asdict(self), "failed_calls": self.failed_calls, "failure_rate": self.failure_rate,
                "failing": self.failing}


def summarize_judges(usage: Mapping[str, Mapping[str, float]]) -> tuple[JudgeSummary, ...]:
    """From RunSummary.judge_usage (scorer -> JudgeUsage.as_metrics()); usage from before the failure counts were
    kept reads as no failures."""
    rows = []
    for scorer, u in usage.items():
        calls = int(u.get("calls", 0))
        rows.append(JudgeSummary(
            scorer=scorer, calls=calls, parse_failures=int(u.get("parse_failures", 0)),
            backend_failures=int(u.get("backend_failures", 0)), unjudged=int(u.get("errors", 0)),
            latency_s=u.get("latency_s", 0.0) / calls if calls else math.nan,
            queue_s=u.get("queue_s", 0.0) / calls if calls else math.nan))
    return tuple(rows)


def judge_metrics(usage: Mapping[str, Mapping[str, float]]) -> dict[str, dict[str, float]]:
    """What a run logs per judging scorer beside the raw usage: the failure share and the flag."""
    return {j.scorer: {"failure_rate": j.failure_rate, "failed_calls": j.failed_calls, "failing": float(j.failing)}
            for j in summarize_judges(usage)}
