"""Per bot: replies, errors, latency, tokens, cost; per bot x scorer: mean, bootstrap CI, n, errors, overall and
per slice value."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from evalkit.summaries.columns import RecordColumns
from evalkit.summaries.stats import bootstrap_ci


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
    n_truncated: int = 0  # replies cut at the token limit, scored (flagged) or failed per replay.truncated
    n_empty: int = 0  # empty replies, counted among the errors
    queue_p50_s: float | None = None  # of the latency, time spent queued in the client; None: not reported
    queue_p95_s: float | None = None

    @property
    def error_rate(self) -> float:
        return self.n_errors / self.n_cases if self.n_cases else math.nan

    def as_dict(self) -> dict:
        return {**asdict(self), "error_rate": self.error_rate}


def _total(values: np.ndarray) -> float | None:
    """The sum over the replies that reported the value; None when none did (unknown is not zero)."""
    present = values[~np.isnan(values)]
    return float(sum(present.tolist())) if present.size else None  # summed in order, as the replies came


def _count(values: np.ndarray) -> int | None:
    total = _total(values)
    return None if total is None else int(total)


def summarize_bots(columns: RecordColumns) -> list[BotSummary]:
    rows = []
    for bot in columns.bots:
        p50, p95 = np.percentile(bot.latency_s, [50, 95]) if len(bot) else (math.nan, math.nan)
        queued = bot.queue_s[~np.isnan(bot.queue_s)]
        q50, q95 = (float(q) for q in np.percentile(queued, [50, 95])) if queued.size else (None, None)
        rows.append(BotSummary(
            bot=bot.bot, n_cases=len(bot), n_errors=int((~bot.ok).sum()),
            latency_p50_s=float(p50), latency_p95_s=float(p95),
            tokens_in=_count(bot.tokens_in), tokens_out=_count(bot.tokens_out), cost=_total(bot.cost),
            replies_with_reference=bot.replies_with_reference,
            n_truncated=int(bot.truncated.sum()), n_empty=int(bot.empty.sum()), queue_p50_s=q50, queue_p95_s=q95,
        ))
    return rows


def summarize_scores(
    columns: RecordColumns,
    scorers: Sequence[str],
    slice_keys: Sequence[str] = (),
    confidence: float = 0.95,
    n_resamples: int = 2000,
    seed: int = 0,
) -> list[ScoreSummary]:
    """Mean, bootstrap CI, n and errors for every bot x scorer, overall then for each value of each slice key."""
    rows = []
    for bot in columns.bots:
        for key, value, members in bot.groups(slice_keys):
            failed = ~bot.ok[members]
            for scorer in scorers:
                # A reply that exists but has no entry for this scorer was not meant to be scored by it (the human
                # reference under reference-based scorers); only failed replies and None scores count as errors.
                considered = bot.has_score(scorer)[members] | failed
                if not considered.any():
                    continue
                values = bot.score(scorer)[members][considered]
                scored = values[~np.isnan(values)]
                low, high = bootstrap_ci(scored, confidence, n_resamples, seed)
                rows.append(ScoreSummary(
                    bot=bot.bot, scorer=scorer, slice_key=key, slice_value=value,
                    mean=float(scored.mean()) if scored.size else math.nan, ci_low=low, ci_high=high,
                    n=int(scored.size), n_errors=int(considered.sum()) - int(scored.size),
                ))
    return rows
