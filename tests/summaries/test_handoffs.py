import math

from evalkit.replay import Case
from evalkit.reply import Reply, Score
from evalkit.results import Record
from evalkit.scorers.handoff import HandoffScorer
from evalkit.summaries.columns import RecordColumns
from evalkit.summaries.handoffs import missed_handoffs, summarize_handoffs
from evalkit.summaries.run import DatasetInfo, StatsSettings, summarize
from evalkit.summaries.slices import OVERALL
from evalkit.transcript import Turn


def _case(i: int, asks: bool = False, agent_handoff: bool | None = None) -> Case:
    meta = {} if agent_handoff is None else {"handoff": agent_handoff}
    return Case(id=f"t{i}:1", transcript_id=f"t{i}", turn_index=1,
                context=(Turn("customer", "get me a person" if asks else "hi", {"asks_for_human": asks}),),
                reference=Turn("agent", "ok", meta), slices={"intent": "x" if i < 3 else "y"})


def test_expected_handoff_from_agent_meta_or_customer_request():
    assert Record.of("b", _case(0, agent_handoff=True), Reply("a"), {}).expected_handoff is True
    assert Record.of("b", _case(1, asks=True, agent_handoff=False), Reply("a"), {}).expected_handoff is True
    assert Record.of("b", _case(2, agent_handoff=False), Reply("a"), {}).expected_handoff is False
    assert Record.of("b", _case(3), Reply("a"), {}).expected_handoff is None


def test_precision_recall_f1_per_slice_and_missed_handoffs():
    cases = [_case(0, agent_handoff=True), _case(1, asks=True), _case(2, agent_handoff=False),
             _case(3, agent_handoff=True), _case(4, agent_handoff=False), _case(5)]
    replies = [Reply("transferring", handoff=True), Reply("let me help", handoff=False),
               Reply("transferring", handoff=True), Reply("sure", handoff=None), Reply("fine", handoff=None),
               Reply("?", handoff=False)]
    classifier_says = [None, None, None, 0.0, 1.0, None]  # the handoff scorer's verdicts where no flag was given
    records = [Record.of("bot", c, r, {} if s is None else {"handoff": Score(s)})
               for c, r, s in zip(cases, replies, classifier_says, strict=True)]
    columns = RecordColumns.of(records)
    rows = {(h.slice_key, h.slice_value): h for h in summarize_handoffs(columns, "handoff", ["intent"])}
    overall = rows[(OVERALL, OVERALL)]
    assert overall.scorer == "handoff"
    assert (overall.tp, overall.fn, overall.fp, overall.tn, overall.unknown) == (1, 2, 2, 0, 1)
    assert overall.precision == overall.recall == 1 / 3 and math.isclose(overall.f1, 1 / 3)
    assert (rows[("intent", "y")].fn, rows[("intent", "y")].fp) == (1, 1)
    assert [case_id for _, case_id in missed_handoffs(columns, "handoff")] == ["t1:1", "t3:1"]
    # The run summary turns the rows into the bot's MLflow metrics, named after the handoff scorer.
    summary = summarize(columns, [HandoffScorer()], ["intent"], StatsSettings(n_resamples=50), name="t",
                        dataset=DatasetInfo("d", "d.jsonl", "0" * 64, 6), cases=6, primary="handoff")
    assert list(summary.handoffs) == list(rows.values())
    metrics = summary.bot_metrics("bot")
    assert metrics["handoff/recall"] == 1 / 3 and metrics["handoff/tp"] == 1
    assert not any(k.startswith("slice/") for k in metrics)
    row = next(r for r in summary.slice_table("bot") if r["slice_value"] == "y" and r["scorer"] == "handoff")
    assert (row["handoff_missed"], row["handoff_unnecessary"]) == (1, 1)
    assert [(m.bot, m.scorer, m.case_id) for m in summary.missed_handoffs] == [("bot", "handoff", "t1:1"),
                                                                             ("bot", "handoff", "t3:1")]
    assert summary.parity == ()  # a handoff rate has no parity


class _Keyword:
    classes_ = ("no", "yes")

    def predict_proba(self, frame):
        return [[0.0, 1.0] if "transfer" in t else [1.0, 0.0] for t in frame["text"]]


def test_handoff_scorer_uses_the_flag_first_then_the_classifier():
    cases = [_case(i) for i in range(3)]
    replies = [Reply("transferring you", handoff=False), Reply("transferring you"), Reply("here is how")]
    flagged, detected, kept = HandoffScorer(classifier=_Keyword()).score(cases, replies)
    assert (flagged.value, flagged.label) == (0.0, "flag")
    assert (detected.value, detected.label, kept.value) == (1.0, "classifier", 0.0)
    assert HandoffScorer().score(cases[1:2], replies[1:2])[0].value is None
