"""Records as columns: every field a summary reads, rows in case order whatever order the records came in."""

from __future__ import annotations

import math
import random

import numpy as np

from evalkit.replay import Case
from evalkit.reply import Reply, Score
from evalkit.results import Record
from evalkit.summaries.columns import UNKNOWN, RecordColumns
from evalkit.summaries.slices import OVERALL
from evalkit.transcript import Turn


def record(bot: str, i: int, scores: dict[str, Score], reply: Reply | None = None, **slices: str) -> Record:
    case = Case(f"t{i}:1", f"t{i}", 1, (Turn("customer", "q"),), Turn("agent", "a", {"handoff": i == 2}), slices)
    return Record.of(bot, case, reply or Reply("r", latency_s=0.1 * i, tokens_in=i), scores)


RECORDS = [
    record("bot", 0, {"m": Score(0.5)}, intent="refund"),
    record("bot", 1, {"m": Score(None, label="tie")}, intent="late_fee", company="acme"),
    record("bot", 2, {"m": Score(1.0, label="win", parts={"brief": 0.0})}, Reply("r", handoff=True)),
    record("bot", 3, {}, Reply.failed("timeout"), intent="refund"),
    record("human", 0, {"m": Score(0.7)}, intent="refund"),
]


def test_every_field_a_summary_reads():
    columns = RecordColumns.of(RECORDS)
    bot = columns.bot("bot")
    assert columns.case_ids == ("t0:1", "t1:1", "t2:1", "t3:1")
    assert columns.score_columns == ("m", "m/brief")  # a part first seen in a later record is still a column
    assert bot.ok.tolist() == [True, True, True, False]
    assert bot.has_score("m").tolist() == [True, True, True, False]  # None is "could not", absent is "not meant"
    assert np.isnan(bot.score("m")[[1, 3]]).all() and bot.score("m")[2] == 1.0
    assert bot.has_score("m/brief").tolist() == [False, False, True, False]
    assert bot.label("m").tolist() == [None, "tie", "win", None]
    assert bot.handoff.tolist() == [UNKNOWN, UNKNOWN, 1, UNKNOWN]
    assert bot.expected_handoff.tolist() == [0, 0, 1, 0]
    assert math.isnan(bot.tokens_in[2]) and bot.tokens_in[1] == 1
    assert [(key, value, rows.tolist()) for key, value, rows in bot.groups(["intent", "company"])] == [
        (OVERALL, OVERALL, [0, 1, 2, 3]), ("intent", "refund", [0, 3]), ("intent", "late_fee", [1]),
        ("company", "acme", [1])]


def test_rows_follow_the_case_order_not_the_order_records_came_in():
    shuffled = RECORDS[:]
    random.Random(1).shuffle(shuffled)
    order = {f"t{i}:1": i for i in range(4)}
    columns, expected = RecordColumns.of(shuffled, order, ["bot", "human"]), RecordColumns.of(RECORDS, order)
    for got, want in zip(columns.bots, expected.bots, strict=True):
        assert got.bot == want.bot and got.case.tolist() == want.case.tolist()
        assert np.array_equal(got.score("m"), want.score("m"), equal_nan=True)
        assert got.label("m").tolist() == want.label("m").tolist()


def test_records_of_other_cases_and_bots_are_left_out():
    columns = RecordColumns.of(RECORDS, {"t0:1": 0, "t2:1": 1}, ["bot"])
    assert [b.bot for b in columns.bots] == ["bot"] and columns.bot("bot").case.tolist() == [0, 1]
