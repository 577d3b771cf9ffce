"""Why a case is picked, on records made by hand: each reason, and how reasons rank."""

from __future__ import annotations

import tracemalloc
from dataclasses import replace
from pathlib import Path

from evalkit.audit.selection import Criteria, select
from evalkit.cli.audit import rubric_thresholds
from evalkit.reply import Reply
from evalkit.results import Record


def record(case: str, bot: str = "bot", reply: str = "a fine reply", scores=None, expected_handoff=None,
           handoff=False, error=None) -> Record:
    return Record(bot=bot, case_id=case, transcript_id=case.split(":")[0], turn_index=1, slices={"intent": "x"},
                  context=({"role": "customer", "text": "hi"},), reference="ref",
                  reply=Reply(None if error else reply, error=error, handoff=handoff), scores=scores or {},
                  expected_handoff=expected_handoff, reply_is_reference=bot == "human")


DIRECTIONS = {"judge": True, "rubric": True, "rubric/polite": True, "rubric/short": True}


def test_each_reason_and_its_rank():
    records = [
        record("c1:1", error="timeout"),
        record("c2:1", scores={"rubric": 0.5, "rubric/polite": 0.0, "rubric/short": 1.0}),
        record("c3:1", scores={"rubric": 0.0, "rubric/polite": 0.0, "rubric/short": 0.0}),
        record("c4:1", expected_handoff=True, handoff=False),
        record("c5:1", expected_handoff=False, handoff=True),
        record("c6:1", scores={"judge": 2.0}), record("c6:1", bot="human", scores={"judge": 5.0}),
        *[record(f"d{i}:1", scores={"judge": 4.0 + i / 100}) for i in range(20)],
    ]
    picks = select(records, DIRECTIONS, Criteria(n=6, calibration=0))
    assert [p.record.case_id for p in picks] == ["c1:1", "c3:1", "c2:1", "c4:1", "c5:1", "c6:1"]
    reasons = [p.reasons[0] for p in picks]
    assert reasons[:5] == ["error: timeout", "failed rubric/polite, rubric/short", "failed rubric/polite",
                           "missed handoff", "unnecessary handoff"]
    assert reasons[5] == "below the human on judge (2 vs 5)" and "worst 10% by judge (2)" in picks[5].reasons
    assert all(p.record.bot == "bot" for p in picks)  # the human reference is not audited


def test_worst_tenth_threshold_and_calibration():
    records = [record(f"d{i}:1", scores={"judge": float(i)}) for i in range(30)]
    picks = select(records, DIRECTIONS, Criteria(n=10, calibration=0.2, seed=1))
    ranked = [p for p in picks if p.reasons[0] != "calibration sample (random)"]
    assert [p.record.case_id for p in ranked] == ["d0:1", "d1:1", "d2:1"]  # the worst tenth of 30
    assert len(picks) == 10 and len({p.record.case_id for p in picks}) == 10
    again = select(records, DIRECTIONS, Criteria(n=10, calibration=0.2, seed=1))
    assert [p.record.case_id for p in again] == [p.record.case_id for p in picks]  # seeded
    strict = select([record("e:1", scores={"rubric/polite": 0.6})], DIRECTIONS, Criteria(n=1, calibration=0),
                    thresholds={"rubric/polite": 0.7})
    assert strict[0].reasons == ("failed rubric/polite",)


def test_criterion_thresholds_come_from_the_runs_rubric(tmp_path: Path):
    (tmp_path / "config.yaml").write_text(
        "scorers:\n  rubric:\n    name: quality\n    criteria:\n      polite: {weight: 1, threshold: 0.8}\n"
        "      short: {weight: 2}\n")
    assert rubric_thresholds(str(tmp_path)) == {"quality/polite": 0.8}


class Log:
    """A results log that makes its records again on each read, each with a long conversation, as a large run's
    log reads its file again."""

    def __init__(self, n: int) -> None:
        self.n, self.reads = n, 0

    def __iter__(self):
        self.reads += 1
        for i in range(self.n):
            for bot in ("bot", "human"):
                r = record(f"c{i}:1", bot=bot, scores={"judge": float(i % 97) + (bot == "human")},
                           expected_handoff=i % 50 == 0)
                yield replace(r, context=({"role": "customer", "text": f"{i} " + "x" * 2000},))


def test_a_large_log_is_chosen_from_in_two_reads_holding_scores_not_records():
    log = Log(10_000)
    tracemalloc.start()
    picks = select(log, DIRECTIONS, Criteria(n=30))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert log.reads == 2 and len(picks) == 30
    assert peak < 8 * 2**20  # the records' texts alone are 40 MB
    assert picks[0].reasons[0] == "missed handoff"
    assert [p.record.case_id for p in picks] == [p.record.case_id for p in select(list(log), DIRECTIONS,
                                                                                   Criteria(n=30))]
