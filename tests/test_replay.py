from evalkit.replay import expand
from evalkit.transcript import Transcript, Turn

CONVO = Transcript("t1", (Turn("customer", "a"), Turn("agent", "b"), Turn("customer", "c"), Turn("system", "d"),
                          Turn("agent", "e")), {"intent": "refund", "company": "acme", "other": "x"})


def test_every_agent_turn_is_a_case_with_the_turns_before_it():
    cases = list(expand([CONVO], "all", slice_keys=("intent", "company")))
    assert [c.id for c in cases] == ["t1:1", "t1:4"]
    assert [t.text for t in cases[1].context] == ["a", "b", "c", "d"]
    assert cases[1].reference.text == "e"
    assert cases[0].slices == {"intent": "refund", "company": "acme"}


def test_slices_are_only_the_keys_asked_for():
    assert next(iter(expand([CONVO]))).slices == {}
    assert next(iter(expand([CONVO], slice_keys=("company", "channel")))).slices == {"company": "acme"}


def test_policies_and_context_limit():
    assert [c.id for c in expand([CONVO], "final")] == ["t1:4"]
    assert [c.id for c in expand([CONVO], "first")] == ["t1:1"]
    assert [t.text for t in next(iter(expand([CONVO], "final", max_context_turns=2))).context] == ["c", "d"]


def test_case_ids_are_stable_across_runs():
    assert [c.id for c in expand([CONVO])] == [c.id for c in expand([CONVO])]
