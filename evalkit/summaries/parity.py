"""Human parity: every reference-free scorer also scores the human reply, so each bot is compared with the human
agents on the same cases and yardstick: bot mean, human mean, paired difference (bot − human) with a bootstrap
CI over cases both have a score for, and parity = bot / human (can exceed 1: a logged human reply is no ceiling).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from evalkit.results import Record
from evalkit.stats import paired_bootstrap_ci
from evalkit.summaries.slices import group_by_slice


@dataclass(frozen=True)
class ParitySummary:
    bot: str
    scorer: str
    slice_key: str
    slice_value: str
    bot_mean: float
    human_mean: float
    diff: float  # mean of bot − human over paired cases
    ci_low: float
    ci_high: float
    ratio: float  # bot_mean / human_mean (nan when the human mean is 0)
    n: int  # cases both the bot and the human have a score for

    def as_dict(self) -> dict:
        return asdict(self)


def summarize_parity(
    records: Sequence[Record], scorers: Sequence[str], slice_keys: Sequence[str] = (), confidence: float = 0.95,
    n_resamples: int = 2000, seed: int = 0,
) -> list[ParitySummary]:
    """For each non-human bot x score column (reference-free ones: the caller picks), overall then per slice."""
    human_scores = {r.case_id: r.scores for r in records if r.reply_is_reference}
    if not human_scores:
        return []
    groups = group_by_slice(records, slice_keys, lambda r: not r.reply_is_reference and r.case_id in human_scores)
    rows = []
    for (bot, key, value), members in groups.items():
        for scorer in scorers:
            pairs = [(r.scores.get(scorer), human_scores[r.case_id].get(scorer)) for r in members]
            pairs = [(b, h) for b, h in pairs if b is not None and h is not None]
            if not pairs:
                continue
            bot_values, human_values = np.array(pairs, dtype=float).T
            diff, low, high = paired_bootstrap_ci(bot_values, human_values, confidence, n_resamples, seed)
            bot_mean, human_mean = float(bot_values.mean()), float(human_values.mean())
            rows.append(ParitySummary(
                bot=bot, scorer=scorer, slice_key=key, slice_value=value, bot_mean=bot_mean, human_mean=human_mean,
                diff=diff, ci_low=low, ci_high=high, ratio=bot_mean / human_mean if human_mean else math.nan,
                n=len(pairs)))
    return rows
