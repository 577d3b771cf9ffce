import itertools
import json
from pathlib import Path

import pandas as pd
import pytest

from evalkit.errors import InvalidData, InvalidRecord
from evalkit.loaders.abcd import AbcdLoader
from evalkit.loaders.table import TableLoader
from evalkit.loaders.twitter_care import TwitterCareLoader
from evalkit.replay import expand
from tests.data import ABCD_SAMPLE, DEMO, TWITTER_DEV

GOOD = [
    {"id": "a", "turns": [{"role": "customer", "text": "hi, card declined"},
                          {"role": "agent", "text": "Sorry! Where?", "meta": {"handoff": False}}],
     "meta": {"intent": "declined_card", "company": "acme"}},
    {"id": "b", "turns": [{"role": "customer", "text": "refund please"}, {"role": "system", "text": "Order found."},
                          {"role": "agent", "text": "Refund issued."}], "meta": {"intent": "refund"}},
]


def write_jsonl(path: Path, rows: list) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8")
    return path


def test_jsonl_csv_and_parquet_load_the_same_transcripts(tmp_path):
    jsonl = TableLoader(str(write_jsonl(tmp_path / "t.jsonl", GOOD))).load()
    frame = pd.DataFrame({"id": [r["id"] for r in GOOD], "turns": [json.dumps(r["turns"]) for r in GOOD],
                          "meta": [json.dumps(r["meta"]) for r in GOOD]})
    frame.to_csv(tmp_path / "t.csv", index=False)
    pd.DataFrame(GOOD).to_parquet(tmp_path / "t.parquet")
    csv = TableLoader(str(tmp_path / "t.csv")).load()
    parquet = TableLoader(str(tmp_path / "t.parquet")).load()
    for loaded in (jsonl, csv, parquet):
        assert [t.id for t in loaded.transcripts] == ["a", "b"]
        assert [t.role for t in loaded.transcripts[1].turns] == ["customer", "system", "agent"]
        assert loaded.transcripts[0].meta == {"intent": "declined_card", "company": "acme"}
        assert dict(loaded.transcripts[0].turns[1].meta) == {"handoff": False}
        assert dict(loaded.transcripts[1].turns[0].meta) == {}  # arrow's filled-in nulls are dropped
    assert len(jsonl.digest) == 64


@pytest.mark.parametrize(("bad", "field", "problem"), [
    ('{"id": "x", "turns": [', "(line)", "not valid JSON"),
    ({"id": "x", "turns": [{"role": "bot", "text": "hi"}]}, "turns[0].role", "unknown role 'bot'"),
    ({"id": "x", "turns": [{"role": "agent", "text": "  "}]}, "turns[0].text", "empty text"),
    ({"id": "x", "turns": [{"role": "agent"}]}, "turns[0].text", "missing"),
    ({"turns": [{"role": "agent", "text": "hi"}]}, "id", "missing"),
    ({"id": "x"}, "turns", "non-empty list"),
])
def test_a_bad_record_names_file_record_and_field(tmp_path, bad, field, problem):
    path = write_jsonl(tmp_path / "bad.jsonl", [GOOD[0], bad, GOOD[1]])
    with pytest.raises(InvalidRecord) as caught:
        TableLoader(str(path)).load()
    err = caught.value
    assert (err.file, err.index, err.field) == (str(path), 1, field)
    assert problem in str(err) and str(path) in str(err) and "record 1" in str(err)
    assert "\n" not in str(err)


def test_skip_keeps_good_records_and_counts_bad_ones(tmp_path):
    path = write_jsonl(tmp_path / "bad.jsonl", [GOOD[0], '{"id": ', {"id": "y", "turns": [{"role": "x", "text": "t"}]},
                                                GOOD[1]])
    loaded = TableLoader(str(path), on_error="skip").load()
    assert [t.id for t in loaded.transcripts] == ["a", "b"]
    assert [e.index for e in loaded.skipped] == [1, 2]


def test_duplicate_ids_are_invalid(tmp_path):
    with pytest.raises(InvalidRecord, match="duplicate id"):
        TableLoader(str(write_jsonl(tmp_path / "d.jsonl", [GOOD[0], GOOD[0]]))).load()


def test_wrong_encoding_names_the_file_and_line(tmp_path):
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(json.dumps(GOOD[0]).encode() + b"\n" + '{"id": "é"}'.encode("latin-1") + b"\n")
    with pytest.raises(InvalidData, match=r"latin1.jsonl: not valid UTF-8 .* line 2"):
        TableLoader(str(path)).load()


@pytest.mark.shared_data
def test_twitter_care_dev_gives_586_cases():
    loaded = TwitterCareLoader(str(TWITTER_DEV)).load()
    assert len(loaded.transcripts) == 525 and not loaded.skipped
    cases = list(expand(loaded.transcripts, "all", slice_keys=["company"]))
    assert len(cases) == 586
    assert sum(c.reference.meta.get("is_final_url_turn", False) for c in cases) == 525
    assert len(list(expand(loaded.transcripts, "final"))) == 525
    first = cases[0]
    assert first.slices["company"] and first.context[0].role == "customer"


@pytest.mark.shared_data
def test_twitter_care_problems_name_the_field(tmp_path):
    records = json.loads(TWITTER_DEV.read_text())[:3]
    records[1]["dialogContent"][0]["message"] = ""
    records[2]["dialogContent"][0] = {"bot": "x", "message": "hi", "tweet_ID": "1"}
    path = tmp_path / "other.json"
    path.write_text(json.dumps(records))
    with pytest.raises(InvalidRecord, match=r"record 1 .*'dialogContent\[0\]\.message': empty text"):
        TwitterCareLoader(str(path)).load()
    loaded = TwitterCareLoader(str(path), on_error="skip").load()
    assert len(loaded.transcripts) == 1
    assert [e.field for e in loaded.skipped] == ["dialogContent[0].message", "dialogContent[0].bot"]
    del records[0]["agentURL"]
    path.write_text(json.dumps(records[:1]))
    with pytest.raises(InvalidRecord, match="'agentURL': missing"):
        TwitterCareLoader(str(path)).load()
    path.write_text(json.dumps(records)[:-20])
    with pytest.raises(InvalidData, match=r"other\.json: not valid JSON at line 1"):
        TwitterCareLoader(str(path)).load()


@pytest.mark.shared_data
def test_abcd_actions_are_system_turns_and_agent_bursts_merge():
    loaded = AbcdLoader(str(ABCD_SAMPLE)).load()
    assert len(loaded.transcripts) == 3
    roles = [t.role for tr in loaded.transcripts for t in tr.turns]
    assert "system" in roles
    assert not any(a == b == "agent" for a, b in itertools.pairwise(roles))
    assert {tr.meta["intent"] for tr in loaded.transcripts} == {"return_size", "refund_status", "timing_4"}
    assert list(expand(loaded.transcripts))


def test_the_demo_set_loads_with_intents_and_handoffs():
    loaded = TableLoader(str(DEMO / "transcripts.jsonl")).load()
    assert len(loaded.transcripts) >= 60
    assert {"refund", "dispute", "late_fee", "human_request"} <= {t.meta["intent"] for t in loaded.transcripts}
    assert any(turn.meta.get("handoff") for t in loaded.transcripts for turn in t.turns)
