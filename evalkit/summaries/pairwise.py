"""Pairwise summaries (scorers that declare summary = "pairwise"): win/tie/loss vs human per bot and slice, with
CIs and position bias.

A pairwise scorer's per-case score is 1 (win), 0.5 (tie, or the two orders disagreed: "split") or 0 (loss), and its
label says which. The win rate here is the mean of that score (ties count half) with the same bootstrap CI as any
other mean; the position-bias rate is the share of judged cases whose verdict flipped with the order.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from evalkit.summaries.columns import RecordColumns
from evalkit.summaries.stats import bootstrap_ci

OUTCOMES = ("win", "tie", "split", "loss")


@dataclass(frozen=True)
class PreferenceSummary:
    bot: str
    scorer: str
    slice_key: str
    slice_value: str
    wins: int
    ties: int  # the judge said tie in both orders
    splits: int  # the orders disagreed: counted as ties in the score
    losses: int
    errors: int
    score: float  # mean of 1 / 0.5 / 0: the win rate with ties counted half
    ci_low: float
    ci_high: float
    position_bias: float  # splits / judged
    position_bias_ci_low: float
    position_bias_ci_high: float

    @property
    def judged(self) -> int:
        return self.wins + self.ties + self.splits + self.losses

    def as_dict(self) -> dict:
        return {**asdict(self), "judged": self.judged}


def summarize_preferences(
    columns: RecordColumns, scorers: Sequence[str], slice_keys: Sequence[str] = (), confidence: float = 0.95,
    n_resamples: int = 2000, seed: int = 0,
) -> list[PreferenceSummary]:
    rows = []
    for bot in columns.bots:
        if bot.replies_with_reference:
            continue
        for key, value, members in bot.groups(slice_keys, bot.ok):
            for scorer in scorers:
                scores = bot.score(scorer)[members]
                labels = np.where(np.isnan(scores), None, bot.label(scorer)[members])
                judged = np.fromiter((label in OUTCOMES for label in labels), dtype=bool, count=len(labels))
                counts = Counter(labels[judged].tolist())
                values, flips = scores[judged], (labels[judged] == "split").astype(float)
                low, high = bootstrap_ci(values, confidence, n_resamples, seed)
                bias_low, bias_high = bootstrap_ci(flips, confidence, n_resamples, seed)
                rows.append(PreferenceSummary(
                    bot=bot.bot, scorer=scorer, slice_key=key, slice_value=value, wins=counts["win"],
                    ties=counts["tie"], splits=counts["split"], losses=counts["loss"],
                    errors=len(members) - int(values.size), score=float(values.mean()) if values.size else math.nan,
                    ci_low=low, ci_high=high, position_bias=float(flips.mean()) if flips.size else math.nan,
                    position_bias_ci_low=bias_low, position_bias_ci_high=bias_high,
                ))
    return rows
