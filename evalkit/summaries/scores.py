"""Per bot: replies, errors, latency, tokens, cost; per bot x scorer: mean, bootstrap CI, n, errors, overall and
per slice value."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

import numpy as np

from evalkit.reply import Reply
from evalkit.results import Record
from evalkit.stats import bootstrap_ci
from evalkit.summaries.slices import group_by_slice


@dataclass(frozen=True)
class ScoreSummary:
    bot: str
    scorer: str
    slice_key: str  # OVERALL for the whole dataset
    slice_value: str
    mean: float
    ci_low: float
    ci_high: float
    n: int  # scored replies
    n_errors: int  # replies that failed or could not be scored

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class BotSummary:
    bot: str
    n_cases: int
    n_errors: int
    latency_p50_s: float = math.nan  # over every reply, failed ones included: what callers waited
    latency_p95_s: float = math.nan
    tokens_in: int | None = None  # totals over the replies that report them; None: none did
    tokens_out: int | None = None
    cost: float | None = None
    replies_with_reference: bool = False  # the human row

    @property
    def error_rate(self) -> float:
        return self.n_errors / self.n_cases if self.n_cases else math.nan

    def as_dict(self) -> dict:
        return {**asdict(self), "error_rate": self.error_rate}


def _total(values: Iterable[float | int | None]) -> float | int | None:
    present = [v for v in values if v is not None]
    return sum(present) if present else None


def summarize_bots(records: Iterable[Record]) -> list[BotSummary]:
    replies: dict[str, list[Reply]] = defaultdict(list)
    reference = set()
    for record in records:
        replies[record.bot].append(record.reply)
        if record.reply_is_reference:
            reference.add(record.bot)
    rows = []
    for bot, group in replies.items():
        p50, p95 = np.percentile([r.latency_s for r in group], [50, 95]) if group else (math.nan, math.nan)
        rows.append(BotSummary(
            bot=bot, n_cases=len(group), n_errors=sum(not r.ok for r in group),
            latency_p50_s=float(p50), latency_p95_s=float(p95),
            tokens_in=_total(r.tokens_in for r in group), tokens_out=_total(r.tokens_out for r in group),
            cost=_total(r.cost for r in group), replies_with_reference=bot in reference,
        ))
    return rows


def summarize_scores(
    records: Sequence[Record],
    scorers: Sequence[str],
    slice_keys: Sequence[str] = (),
    confidence: float = 0.95,
    n_resamples: int = 2000,
    seed: int = 0,
) -> list[ScoreSummary]:
    """Mean, bootstrap CI, n and errors for every bot x scorer, overall then for each value of each slice key."""
    rows = []
    for (bot, key, value), members in group_by_slice(records, slice_keys).items():
        for scorer in scorers:
            # A reply that exists but has no entry for this scorer was not meant to be scored by it (the human
            # reference under reference-based scorers); only failed replies and None scores count as errors.
            values = [r.scores.get(scorer) for r in members if scorer in r.scores or r.reply.error is not None]
            if not values:
                continue
            scored = np.array([v for v in values if v is not None], dtype=float)
            low, high = bootstrap_ci(scored, confidence, n_resamples, seed)
            rows.append(ScoreSummary(
                bot=bot, scorer=scorer, slice_key=key, slice_value=value,
                mean=float(scored.mean()) if scored.size else math.nan, ci_low=low, ci_high=high,
                n=int(scored.size), n_errors=len(values) - int(scored.size),
            ))
    return rows
