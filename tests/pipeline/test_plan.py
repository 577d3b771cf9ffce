"""The survey a run makes before replaying, and the parts it replays: every case once, in dataset order."""

from __future__ import annotations

import pytest

from evalkit.errors import InvalidData
from evalkit.pipeline.plan import parts, survey
from evalkit.pipeline.sharding import Shard
from evalkit.replay import expand
from evalkit.transcript import Transcript, Turn


def convo(i: int, agents: int = 2) -> Transcript:
    turns = [t for k in range(agents) for t in (Turn("customer", f"q{k}"),
                                                   Turn("agent", f"a{k}", {"speaker": f"Support{i % 3}"}))]
    return Transcript(f"t{i}", tuple(turns), {"intent": f"i{i % 4}", "company": "acme", "nested": {"x": 1}})


TRANSCRIPTS = [convo(i, 1 + i % 3) for i in range(40)]


def test_the_survey_orders_every_case_and_finds_the_agents_accounts():
    plan = survey(TRANSCRIPTS, "all", None, ["intent"])
    assert list(plan.case_order) == [c.id for c in expand(TRANSCRIPTS)]
    assert list(plan.case_order.values()) == list(range(plan.cases))
    assert plan.transcripts == 40 and plan.agent_accounts == {"Support0", "Support1", "Support2"}


def test_a_shard_surveys_its_own_cases_but_every_account():
    shard = Shard(1, 3)
    plan = survey(TRANSCRIPTS, "final", None, [], shard)
    assert list(plan.case_order) == [c.id for c in expand((t for t in TRANSCRIPTS if shard.holds(t.id)), "final")]
    assert plan.agent_accounts == {"Support0", "Support1", "Support2"}


def test_a_slice_key_no_transcript_has_is_invalid():
    with pytest.raises(InvalidData, match=r"no transcript has 'channel'.*\(company, intent\)"):
        survey(TRANSCRIPTS, "all", None, ["intent", "channel"])
    with pytest.raises(InvalidData, match=r"slices: key 'nested' of transcript 't0' holds a dict"):
        survey(TRANSCRIPTS, "all", None, ["nested"])


@pytest.mark.parametrize("size", [1, 7, 2048])
def test_parts_hold_every_case_once_in_order_and_whole_conversations(size: int):
    chunks = list(parts(TRANSCRIPTS, "all", None, ["intent"], size=size))
    assert [c for _, cases in chunks for c in cases] == list(expand(TRANSCRIPTS, slice_keys=["intent"]))
    assert all({c.transcript_id for c in cases} == {t.id for t in transcripts} for transcripts, cases in chunks)
    assert all(len(cases) >= size for _, cases in chunks[:-1])
