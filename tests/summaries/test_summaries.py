import math

import numpy as np
import pytest

from evalkit.replay import Case
from evalkit.reply import Reply, Score
from evalkit.results import Record, ResultsLog
from evalkit.summaries.columns import RecordColumns
from evalkit.summaries.scores import summarize_bots, summarize_scores
from evalkit.summaries.slices import OVERALL
from evalkit.summaries.stats import bootstrap_ci, paired_bootstrap_ci
from evalkit.transcript import Turn


def record(bot: str, i: int, value: float | None, intent: str = "refund", error: str | None = None) -> Record:
    case = Case(f"t{i}:1", f"t{i}", 1, (Turn("customer", "q"),), Turn("agent", "a", {"handoff": i % 2 == 0}),
                {"intent": intent})
    reply = Reply.failed(error) if error else Reply("r", latency_s=0.1)
    return Record.of(bot, case, reply, {} if value is None else {"m": Score(value, rationale="why")})


def test_log_round_trips_and_survives_a_torn_last_line(tmp_path):
    log = ResultsLog(tmp_path / "results.jsonl")
    records = [record("b", 1, 0.5), record("b", 2, None, error="boom")]
    log.append(records)
    assert log.read() == records
    with log.path.open("a") as out:
        out.write('{"bot": "b", "case_')  # what a kill -9 mid-write leaves
    assert log.read() == records
    assert log.repair() > 0
    log.append([record("b", 3, 1.0)])
    assert [r.case_id for r in log.read()] == ["t1:1", "t2:1", "t3:1"]
    assert log.done() == {("b", "t1:1"), ("b", "t2:1"), ("b", "t3:1")}
    assert records[0].expected_handoff is False and records[0].details == {"m": {"rationale": "why"}}


def test_summaries_count_errors_and_slice():
    records = [record("b", i, float(i), intent="x" if i < 3 else "y") for i in range(6)]
    records.append(record("b", 9, None, intent="y", error="timeout"))
    rows = {(r.slice_key, r.slice_value): r for r in summarize_scores(RecordColumns.of(records), ["m"], ["intent"])}
    overall = rows[(OVERALL, OVERALL)]
    assert (overall.mean, overall.n, overall.n_errors) == (2.5, 6, 1)
    assert overall.ci_low < 2.5 < overall.ci_high
    assert (rows[("intent", "x")].mean, rows[("intent", "y")].n_errors) == (1.0, 1)
    (bot,) = summarize_bots(RecordColumns.of(records))
    assert (bot.n_cases, bot.n_errors) == (7, 1)


def test_bootstrap_interval_edges():
    assert all(math.isnan(v) for v in bootstrap_ci([1.0]))
    assert bootstrap_ci([2.0, 2.0, 2.0]) == (2.0, 2.0)
    rng = np.random.default_rng(1)
    low, high = bootstrap_ci(rng.normal(0.3, 1, 2000))
    assert low < 0.3 < high and high - low == pytest.approx(2 * 1.96 / np.sqrt(2000), rel=0.15)


def test_paired_difference():
    diff, low, high = paired_bootstrap_ci([1.0, 2.0, 3.0, 4.0], [0.0, 1.5, 2.0, 3.5])
    assert diff == pytest.approx(0.75) and low <= diff <= high


def test_a_scorer_that_does_not_apply_is_neither_scored_nor_an_error():
    applies = record("b", 1, 1.0)
    not_applied = Record.of("human", applies_case := Case("t2:1", "t2", 1, (), Turn("agent", "a")), Reply("a"), {})
    assert applies_case.id == not_applied.case_id
    rows = summarize_scores(RecordColumns.of([applies, not_applied]), ["m"])
    assert [(r.bot, r.n, r.n_errors) for r in rows] == [("b", 1, 0)]
