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

from evalkit.results import Record
from evalkit.stats import bootstrap_ci
from evalkit.summaries.slices import group_by_slice

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
    records: Sequence[Record], scorers: Sequence[str], slice_keys: Sequence[str] = (), confidence: float = 0.95,
    n_resamples: int = 2000, seed: int = 0,
) -> list[PreferenceSummary]:
    groups = group_by_slice(records, slice_keys, lambda r: not r.reply_is_reference and r.reply.ok)
    rows = []
    for (bot, key, value), members in groups.items():
        for scorer in scorers:
            labels = [r.details.get(scorer, {}).get("label") if r.scores.get(scorer) is not None else None
                      for r in members]
            counts = Counter(label for label in labels if label in OUTCOMES)
            values = np.array([r.scores[scorer] for r, label in zip(members, labels, strict=True)
                               if label in OUTCOMES], dtype=float)
            flips = np.array([label == "split" for label in labels if label in OUTCOMES], dtype=float)
            low, high = bootstrap_ci(values, confidence, n_resamples, seed)
            bias_low, bias_high = bootstrap_ci(flips, confidence, n_resamples, seed)
            rows.append(PreferenceSummary(
                bot=bot, scorer=scorer, slice_key=key, slice_value=value, wins=counts["win"], ties=counts["tie"],
                splits=counts["split"], losses=counts["loss"], errors=len(members) - int(values.size),
                score=float(values.mean()) if values.size else math.nan, ci_low=low, ci_high=high,
                position_bias=float(flips.mean()) if flips.size else math.nan,
                position_bias_ci_low=bias_low, position_bias_ci_high=bias_high,
            ))
    return rows
