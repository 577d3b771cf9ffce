"""A run's records as columns: what every summary reads, one compact array per field and bot, rows in case order.

Summaries never hold the records themselves (contexts, references, reply texts): a record is read, its numbers
and labels are appended here, and it is dropped, so a 100k-case run summarises in a few MB. Rows are sorted by
the case's position in the run, so a resumed, merged or re-scored run summarises (bootstrap draws included)
exactly like one done in a single go.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from evalkit.reply import EMPTY_REPLY
from evalkit.results import Record
from evalkit.summaries.slices import OVERALL

UNKNOWN = -1  # in the int8 flag columns: no verdict / no expectation; in label and slice codes: none


@dataclass(frozen=True)
class SliceColumn:
    """One slice key's value per row, as codes into `values` (UNKNOWN: the case has no value for the key)."""

    codes: np.ndarray  # int32
    values: tuple[str, ...]


@dataclass(frozen=True)
class BotColumns:
    """One bot's rows. Scores are NaN where a reply has no value; `scored` tells "not meant to be scored" (the key
    is absent: the human row under reference-based scorers) from "could not be scored" (a None value)."""

    bot: str
    replies_with_reference: bool
    case: np.ndarray  # int32: position of the row's case in the run (RecordColumns.case_ids)
    ok: np.ndarray  # bool: the reply exists (no error)
    latency_s: np.ndarray
    queue_s: np.ndarray  # float, NaN where the backend did not report client-side queueing
    truncated: np.ndarray  # bool: cut at the token limit (scored or failed, per replay.truncated)
    empty: np.ndarray  # bool: failed as an empty reply
    tokens_in: np.ndarray  # float, NaN where the reply did not report it
    tokens_out: np.ndarray
    cost: np.ndarray
    handoff: np.ndarray  # int8: the backend's handoff flag, UNKNOWN when it said nothing
    expected_handoff: np.ndarray  # int8: whether the case called for a handoff, UNKNOWN when not known
    scores: Mapping[str, np.ndarray]
    scored: Mapping[str, np.ndarray]  # bool
    labels: Mapping[str, tuple[np.ndarray, tuple[str, ...]]]  # scorer -> (int32 codes, label names)
    slices: Mapping[str, SliceColumn]

    def __len__(self) -> int:
        return len(self.case)

    def score(self, column: str) -> np.ndarray:
        return self.scores.get(column, np.full(len(self), math.nan))

    def has_score(self, column: str) -> np.ndarray:
        return self.scored.get(column, np.zeros(len(self), dtype=bool))

    def label(self, column: str) -> np.ndarray:
        """The label of each row as an object array (None where there is none)."""
        codes, names = self.labels.get(column, (np.full(len(self), UNKNOWN, dtype=np.int32), ()))
        lookup = np.array([*names, None], dtype=object)
        return lookup[np.where(codes == UNKNOWN, len(names), codes)]

    def groups(self, slice_keys: Sequence[str], rows: np.ndarray | None = None) -> list[tuple[str, str, np.ndarray]]:
        """(slice key, value, row indices) for the whole set (OVERALL) and each value of each key, among `rows`
        (a boolean mask; default all), in the order the values first appear in case order."""
        keep = np.ones(len(self), dtype=bool) if rows is None else rows
        if not keep.any():
            return []
        found: list[tuple[int, int, str, str, np.ndarray]] = []
        for k, key in enumerate(slice_keys):
            column = self.slices.get(key)
            if column is None:
                continue
            codes = column.codes[keep]
            present = codes != UNKNOWN
            values, first = np.unique(codes[present], return_index=True)
            where = np.flatnonzero(keep)[present]
            for code, start in zip(values, first, strict=True):
                found.append((int(where[start]), k, key, column.values[code],
                              np.flatnonzero(keep & (column.codes == code))))
        found.sort(key=lambda g: (g[0], g[1]))
        return [(OVERALL, OVERALL, np.flatnonzero(keep)), *((key, value, rows) for _, _, key, value, rows in found)]


@dataclass(frozen=True)
class RecordColumns:
    case_ids: tuple[str, ...]  # the run's cases in order
    bots: tuple[BotColumns, ...]
    score_columns: tuple[str, ...]  # every score key the records hold, in order of first appearance

    def bot(self, name: str) -> BotColumns | None:
        return next((b for b in self.bots if b.bot == name), None)

    @classmethod
    def of(cls, records: Iterable[Record], case_order: Mapping[str, int] | None = None,
           bots: Sequence[str] | None = None) -> RecordColumns:
        """Columns of the records of these cases (case id -> position) and bots; without them, every record, cases
        and bots in order of first appearance."""
        builder = _Builder(case_order, bots)
        for record in records:
            builder.add(record)
        return builder.build()


class _Builder:
    """Appends one record at a time to typed arrays (8 bytes a number, not a Python object each)."""

    def __init__(self, case_order: Mapping[str, int] | None, bots: Sequence[str] | None):
        self.case_order: dict[str, int] | Mapping[str, int] = case_order if case_order is not None else {}
        self.grow_cases = case_order is None
        self.wanted = None if bots is None else set(bots)
        self.bot_order = list(bots or ())
        self.rows: dict[str, _BotRows] = {}
        self.columns: dict[str, None] = {}

    def add(self, record: Record) -> None:
        if self.wanted is not None and record.bot not in self.wanted:
            return
        position = self.case_order.get(record.case_id)
        if position is None:
            if not self.grow_cases:
                return  # a case outside this run (a log that also holds other runs' cases)
            position = self.case_order[record.case_id] = len(self.case_order)  # type: ignore[index]
        rows = self.rows.get(record.bot)
        if rows is None:
            rows = self.rows[record.bot] = _BotRows(record.bot, record.reply_is_reference)
            if record.bot not in self.bot_order:
                self.bot_order.append(record.bot)
        for key in record.scores:
            self.columns.setdefault(key, None)
        rows.add(record, position)

    def build(self) -> RecordColumns:
        case_ids = [""] * len(self.case_order)
        for case_id, position in self.case_order.items():
            case_ids[position] = case_id
        return RecordColumns(tuple(case_ids), tuple(self.rows[b].build() for b in self.bot_order if b in self.rows),
                          tuple(self.columns))


class _BotRows:
    def __init__(self, bot: str, replies_with_reference: bool):
        self.bot, self.replies_with_reference = bot, replies_with_reference
        self.n = 0
        self.case = array("i")
        self.ok = array("b")
        self.latency_s, self.tokens_in, self.tokens_out, self.cost = array("d"), array("d"), array("d"), array("d")
        self.queue_s, self.truncated, self.empty = array("d"), array("b"), array("b")
        self.handoff, self.expected_handoff = array("b"), array("b")
        self.scores: dict[str, array] = {}
        self.scored: dict[str, array] = {}
        self.labels: dict[str, tuple[array, dict[str, int]]] = {}
        self.slices: dict[str, tuple[array, dict[str, int]]] = {}

    def add(self, record: Record, position: int) -> None:
        reply, n = record.reply, self.n
        self.case.append(position)
        self.ok.append(reply.ok)
        self.latency_s.append(math.nan if reply.latency_s is None else reply.latency_s)
        self.queue_s.append(math.nan if reply.queue_s is None else reply.queue_s)
        self.truncated.append(bool(reply.truncated))
        self.empty.append(reply.error is not None and reply.error.startswith(EMPTY_REPLY))
        self.tokens_in.append(math.nan if reply.tokens_in is None else reply.tokens_in)
        self.tokens_out.append(math.nan if reply.tokens_out is None else reply.tokens_out)
        self.cost.append(math.nan if reply.cost is None else reply.cost)
        self.handoff.append(UNKNOWN if reply.handoff is None else bool(reply.handoff))
        self.expected_handoff.append(UNKNOWN if record.expected_handoff is None else record.expected_handoff)
        for key, value in record.scores.items():
            column = self.scores.get(key)
            if column is None:  # a column first seen now (a rubric's part): earlier rows had no value
                column = self.scores[key] = array("d", [math.nan]) * n
                self.scored[key] = array("b", [0]) * n
            column.append(math.nan if value is None else value)
            self.scored[key].append(1)
        for key, column in self.scores.items():
            if len(column) == n:
                column.append(math.nan)
                self.scored[key].append(0)
        for scorer, detail in record.details.items():
            if "label" in detail:
                _code(self.labels, scorer, detail["label"], n)
        for key, value in record.slices.items():
            _code(self.slices, key, value, n)
        for table in (self.labels, self.slices):
            for codes, _ in table.values():
                if len(codes) == n:
                    codes.append(UNKNOWN)
        self.n = n + 1

    def build(self) -> BotColumns:
        order = np.argsort(np.frombuffer(self.case, dtype=np.int32), kind="stable")

        def column(values: array, dtype: type) -> np.ndarray:
            return np.frombuffer(values, dtype=dtype)[order] if len(values) else np.zeros(0, dtype=dtype)

        return BotColumns(
            bot=self.bot, replies_with_reference=self.replies_with_reference,
            case=column(self.case, np.int32), ok=column(self.ok, np.int8).astype(bool),
            latency_s=column(self.latency_s, np.float64), queue_s=column(self.queue_s, np.float64),
            truncated=column(self.truncated, np.int8).astype(bool), empty=column(self.empty, np.int8).astype(bool),
            tokens_in=column(self.tokens_in, np.float64),
            tokens_out=column(self.tokens_out, np.float64), cost=column(self.cost, np.float64),
            handoff=column(self.handoff, np.int8), expected_handoff=column(self.expected_handoff, np.int8),
            scores={k: column(v, np.float64) for k, v in self.scores.items()},
            scored={k: column(v, np.int8).astype(bool) for k, v in self.scored.items()},
            labels={k: (column(codes, np.int32), tuple(names)) for k, (codes, names) in self.labels.items()},
            slices={k: SliceColumn(column(codes, np.int32), tuple(names)) for k, (codes, names) in self.slices.items()},
        )


def _code(table: dict[str, tuple[array, dict[str, int]]], key: str, value: str, n: int) -> None:
    """Append value's code to the key's code column (made, with earlier rows unknown, when the key is new)."""
    entry = table.get(key)
    if entry is None:
        entry = table[key] = (array("i", [UNKNOWN]) * n, {})
    codes, names = entry
    codes.append(names.setdefault(value, len(names)))
