import math

from evalkit.bots.base import Reply
from evalkit.handoff import handoff_metrics, missed_handoffs, summarize_handoffs
from evalkit.replay import Case
from evalkit.results import Record
from evalkit.scorers.base import Score
from evalkit.scorers.handoff import HandoffScorer
from evalkit.summary import OVERALL
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
    rows = {(h.slice_key, h.slice_value): h for h in summarize_handoffs(records, ["intent"])}
    overall = rows[(OVERALL, OVERALL)]
    assert (overall.tp, overall.fn, overall.fp, overall.tn, overall.unknown) == (1, 2, 2, 0, 1)
    assert overall.precision == overall.recall == 1 / 3 and math.isclose(overall.f1, 1 / 3)
    assert (rows[("intent", "y")].fn, rows[("intent", "y")].fp) == (1, 1)
    assert [r.case_id for r in missed_handoffs(records)] == ["t1:1", "t3:1"]
    assert handoff_metrics(list(rows.values()), "bot")[("handoff", "recall")] == 1 / 3


class _Keyword:
    classes_ = ("no", "yes")

    def predict_proba(self, frame):
        return [[0.0, 1.0] if "transfer" in t else [1.0, 0.0] for t in frame["text"]]


def test_handoff_scorer_uses_the_flag_first_then_the_classifier():
    cases = [_case(i) for i in range(3)]
    replies = [Reply("transferring you", handoff=False), Reply("transferring you"), Reply("here is how")]
    flagged, detected, kept = HandoffScorer(model=_Keyword()).score(cases, replies)
    assert (flagged.value, flagged.label) == (0.0, "flag")
    assert (detected.value, detected.label, kept.value) == (1.0, "classifier", 0.0)
    assert HandoffScorer().score(cases[1:2], replies[1:2])[0].value is None
