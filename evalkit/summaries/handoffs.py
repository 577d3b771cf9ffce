"""Handoff evaluation: did the bot hand the customer to a human when the case called for it?

Expected per case (Record.expected_handoff): the human agent handed off at that turn, or the customer asked for a
human since the last agent turn. The bot's handoff: its backend's flag (Reply.handoff), else the verdict of the scorer
that declares summary = "handoff" (a classifier over the reply). Cases where either is unknown are left out and
counted.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from evalkit.summaries.columns import UNKNOWN, BotColumns, RecordColumns


@dataclass(frozen=True)
class HandoffSummary:
    bot: str
    scorer: str  # the handoff scorer whose verdicts complete the backends' flags
    slice_key: str
    slice_value: str
    tp: int
    fp: int
    fn: int
    tn: int
    unknown: int  # cases without an expectation or without a bot verdict

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else math.nan

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else math.nan

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r and not math.isnan(p + r) else math.nan

    def as_dict(self) -> dict:
        return {**asdict(self), "precision": self.precision, "recall": self.recall, "f1": self.f1}


def bot_handoffs(bot: BotColumns, scorer: str) -> np.ndarray:
    """Per row, whether the bot handed off (int8, UNKNOWN when neither the backend nor the scorer said)."""
    verdict = bot.score(scorer)
    from_scorer = np.where(np.isnan(verdict), UNKNOWN, verdict >= 0.5).astype(np.int8)
    return np.where(bot.handoff != UNKNOWN, bot.handoff, from_scorer).astype(np.int8)


def summarize_handoffs(columns: RecordColumns, scorer: str, slice_keys: Sequence[str] = ()) -> list[HandoffSummary]:
    rows = []
    for bot in columns.bots:
        expected, actual = bot.expected_handoff, bot_handoffs(bot, scorer)
        known = (expected != UNKNOWN) & (actual != UNKNOWN)
        for key, value, members in bot.groups(slice_keys, bot.ok):
            e, a, k = expected[members] == 1, actual[members] == 1, known[members]
            rows.append(HandoffSummary(bot.bot, scorer, key, value, tp=int((k & e & a).sum()),
                                       fp=int((k & ~e & a).sum()), fn=int((k & e & ~a).sum()),
                                       tn=int((k & ~e & ~a).sum()), unknown=int((~k).sum())))
    return rows


def missed_handoffs(columns: RecordColumns, scorer: str) -> list[tuple[str, str]]:
    """(bot, case id) where the customer needed a human and the bot kept going."""
    return [(bot.bot, columns.case_ids[case]) for bot in columns.bots
            for case in bot.case[bot.ok & (bot.expected_handoff == 1) & (bot_handoffs(bot, scorer) == 0)]]
