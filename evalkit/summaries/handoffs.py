"""Handoff evaluation: did the bot hand the customer to a human when the case called for it?

Expected per case (Record.expected_handoff): the human agent handed off at that turn, or the customer asked for a
human since the last agent turn. The bot's handoff: its backend's flag (Reply.handoff), else the verdict of the scorer
that declares summary = "handoff" (a classifier over the reply). Cases where either is unknown are left out and
counted.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from evalkit.results import Record
from evalkit.summaries.slices import OVERALL


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


def bot_handoff(record: Record, scorer: str) -> bool | None:
    if record.reply.handoff is not None:
        return bool(record.reply.handoff)
    value = record.scores.get(scorer)
    return None if value is None else value >= 0.5


def summarize_handoffs(records: Sequence[Record], scorer: str, slice_keys: Sequence[str] = ()) -> list[HandoffSummary]:
    counts: dict[tuple[str, str, str], dict[str, int]] = defaultdict(lambda: dict(tp=0, fp=0, fn=0, tn=0, unknown=0))
    for record in records:
        if not record.reply.ok:
            continue
        expected, actual = record.expected_handoff, bot_handoff(record, scorer)
        if expected is None or actual is None:
            cell = "unknown"
        else:
            cell = ("tp" if actual else "fn") if expected else ("fp" if actual else "tn")
        keys = [(OVERALL, OVERALL)] + [(k, record.slices[k]) for k in slice_keys if k in record.slices]
        for key, value in keys:
            counts[(record.bot, key, value)][cell] += 1
    return [HandoffSummary(bot, scorer, key, value, **c) for (bot, key, value), c in counts.items()]


def missed_handoffs(records: Sequence[Record], scorer: str) -> list[Record]:
    """Cases where the customer needed a human and the bot kept going."""
    return [r for r in records if r.reply.ok and r.expected_handoff and bot_handoff(r, scorer) is False]
