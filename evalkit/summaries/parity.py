"""Human parity: every reference-free scorer also scores the human reply, so each bot is compared with the human
agents on the same cases and yardstick: bot mean, human mean, paired difference (bot − human) with a bootstrap
CI over cases both have a score for, and parity = bot / human (can exceed 1: a logged human reply is no ceiling).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from evalkit.summaries.columns import RecordColumns
from evalkit.summaries.stats import paired_bootstrap_ci


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
    columns: RecordColumns, scorers: Sequence[str], slice_keys: Sequence[str] = (), confidence: float = 0.95,
    n_resamples: int = 2000, seed: int = 0,
) -> list[ParitySummary]:
    """For each non-human bot x score column (reference-free ones: the caller picks), overall then per slice."""
    human = next((b for b in columns.bots if b.replies_with_reference), None)
    if human is None or not len(human):
        return []
    cases = len(columns.case_ids)
    has_human = np.zeros(cases, dtype=bool)
    has_human[human.case] = True
    human_by_case = {}
    for scorer in scorers:
        human_by_case[scorer] = np.full(cases, math.nan)
        human_by_case[scorer][human.case] = human.score(scorer)
    rows = []
    for bot in columns.bots:
        if bot.replies_with_reference:
            continue
        for key, value, members in bot.groups(slice_keys, has_human[bot.case]):
            for scorer in scorers:
                bot_values = bot.score(scorer)[members]
                human_values = human_by_case[scorer][bot.case[members]]
                both = ~np.isnan(bot_values) & ~np.isnan(human_values)
                if not both.any():
                    continue
                bot_values, human_values = bot_values[both], human_values[both]
                diff, low, high = paired_bootstrap_ci(bot_values, human_values, confidence, n_resamples, seed)
                bot_mean, human_mean = float(bot_values.mean()), float(human_values.mean())
                rows.append(ParitySummary(
                    bot=bot.bot, scorer=scorer, slice_key=key, slice_value=value, bot_mean=bot_mean,
                    human_mean=human_mean, diff=diff, ci_low=low, ci_high=high,
                    ratio=bot_mean / human_mean if human_mean else math.nan, n=int(both.sum())))
    return rows
