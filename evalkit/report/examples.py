"""The records a report quotes, picked in one pass over the results log: per bot the lowest-scoring replies, the
first failures and the first missed handoffs. Only those few records are kept, however long the log."""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from dataclasses import dataclass, field

from evalkit.results import Record
from evalkit.summaries.run import RunSummary


@dataclass(frozen=True)
class Examples:
    scorer: str  # the score the lowest replies are ranked by (the run's primary scorer)
    lowest: Mapping[str, tuple[Record, ...]] = field(default_factory=dict)  # bot -> lowest first
    failed: Mapping[str, tuple[Record, ...]] = field(default_factory=dict)  # bot -> in case order
    missed_handoffs: Mapping[str, tuple[Record, ...]] = field(default_factory=dict)  # bot -> in case order


class _Smallest:
    """The k records with the smallest keys seen so far (a bounded max-heap); ties go to the earlier case."""

    def __init__(self, k: int):
        self.k, self.heap = k, []

    def offer(self, key: tuple[float, int], record: Record) -> None:
        item = (-key[0], -key[1], record.case_id, record)
        if len(self.heap) < self.k:
            heapq.heappush(self.heap, item)
        elif item[:2] > self.heap[0][:2]:
            heapq.heapreplace(self.heap, item)

    def records(self) -> tuple[Record, ...]:
        return tuple(item[3] for item in sorted(self.heap, key=lambda i: (-i[0], -i[1])))


class ExamplePicker:
    """Fed the records in any order (a log appended part by part, a resumed run's); `case_order` ranks ties."""

    def __init__(self, summary: RunSummary, case_order: Mapping[str, int], worst: int = 5, missed: int = 10):
        self.scorer, self.case_order = summary.primary, case_order
        self.quoted = {b.bot for b in summary.bots if not b.replies_with_reference}  # the human row is no example
        self.wanted_missed = {(m.bot, m.case_id) for m in summary.missed_handoffs if m.bot in self.quoted}
        self.lowest = {b: _Smallest(worst) for b in self.quoted}
        self.failed = {b: _Smallest(worst) for b in self.quoted}
        self.missed = {b: _Smallest(missed) for b in self.quoted}

    def add(self, record: Record) -> None:
        position = self.case_order.get(record.case_id)
        if record.bot not in self.quoted or position is None:
            return
        if (value := record.scores.get(self.scorer)) is not None:
            self.lowest[record.bot].offer((value, position), record)
        if record.reply.error:
            self.failed[record.bot].offer((0.0, position), record)
        if (record.bot, record.case_id) in self.wanted_missed:
            self.missed[record.bot].offer((0.0, position), record)

    def examples(self) -> Examples:
        return Examples(self.scorer, *({bot: picked.records() for bot, picked in table.items()}
                                       for table in (self.lowest, self.failed, self.missed)))
