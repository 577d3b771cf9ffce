import csv
import itertools
import json
import os
import subprocess
import sys
import unicodedata
from pathlib import Path

import pandas as pd
import pytest

from evalkit.errors import InvalidData, InvalidRecord
from evalkit.loaders.abcd import AbcdLoader
from evalkit.loaders.table import TableLoader
from evalkit.loaders.twitter_care import TwitterCareLoader
from evalkit.replay import expand
from tests.data import ABCD_SAMPLE, DEMO, PROJECT_ROOT, TWITTER_DEV

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
        first, second = loaded.transcripts
        assert [first.id, second.id] == ["a", "b"]
        assert [t.role for t in second.turns] == ["customer", "system", "agent"]
        assert first.meta == {"intent": "declined_card", "company": "acme"}
        assert dict(first.turns[1].meta) == {"handoff": False}
        assert dict(second.turns[0].meta) == {}  # arrow's filled-in nulls are dropped
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
    with pytest.raises(InvalidRecord, match=r"latin1.jsonl: record 1, field '\(line\)': not valid UTF-8 .* line 2"):
        TableLoader(str(path)).load()
    assert [t.id for t in TableLoader(str(path), on_error="skip").load().transcripts] == ["a"]  # one line, not all
    path.write_text(json.dumps(GOOD[0]), encoding="utf-16")
    with pytest.raises(InvalidData, match="UTF-16 or UTF-32"):
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


# --- one focused test per rule (the generated inputs are in test_fuzz.py) ---------------------------------------


def one_record(tmp_path: Path, record: dict | str, name: str = "r.jsonl") -> Path:
    return write_jsonl(tmp_path / name, [GOOD[0], record])


def refusal(path: Path, **settings) -> InvalidRecord:
    with pytest.raises(InvalidRecord) as caught:
        TableLoader(str(path), **settings).load()
    assert "\n" not in str(caught.value) and str(path) in str(caught.value)
    return caught.value


def with_turn(**changes) -> dict:
    turn = {"role": "agent", "text": "ok", **changes}
    return {"id": "x", "turns": [{"role": "customer", "text": "hi"}, {k: v for k, v in turn.items() if v != "-"}]}


@pytest.mark.parametrize(("raw_id", "problem"), [
    (7, "must be a string, got number 7"), (True, "got boolean"), (None, "missing"), ("", "missing or empty"),
    ("\u200b\u2060", "only invisible characters"), (["x"], "got list"),
])
def test_ids_are_non_empty_strings_never_converted(tmp_path, raw_id, problem):
    err = refusal(one_record(tmp_path, {**GOOD[1], "id": raw_id}))
    assert (err.index, err.field) == (1, "id") and problem in err.problem


def test_ids_are_read_as_text_in_every_format(tmp_path):
    ids = ["000", "2024-01-01", "1e5", "true", "0x10"]
    rows = [{**GOOD[0], "id": i} for i in ids]
    pd.DataFrame({"id": ids, "turns": [json.dumps(r["turns"]) for r in rows]}).to_csv(tmp_path / "t.csv", index=False)
    pd.DataFrame(rows).to_parquet(tmp_path / "t.parquet")
    for path in (write_jsonl(tmp_path / "t.jsonl", rows), tmp_path / "t.csv", tmp_path / "t.parquet"):
        assert [t.id for t in TableLoader(str(path)).load().transcripts] == ids, path.suffix


def test_an_abcd_id_is_its_integer_or_a_string_nothing_else(tmp_path):
    convo = {"convo_id": 5, "original": [["customer", "hi"], ["agent", "hello"]]}
    path = tmp_path / "a.json"
    path.write_text(json.dumps([convo, {**convo, "convo_id": "six"}]))
    assert [t.id for t in AbcdLoader(str(path)).load().transcripts] == ["5", "six"]
    for bad in (True, 5.0, None, [5]):
        path.write_text(json.dumps([{**convo, "convo_id": bad}]))
        with pytest.raises(InvalidRecord, match="field 'convo_id'"):
            AbcdLoader(str(path)).load()


@pytest.mark.parametrize(("meta", "field"), [
    ({"handoff": "false"}, "turns[1].meta.handoff"), ({"handoff": 1}, "turns[1].meta.handoff"),
    ({"handoff": None}, "turns[1].meta.handoff"), ({"asks_for_human": "yes"}, "turns[1].meta.asks_for_human"),
])
def test_flags_evalkit_reads_must_be_real_booleans(tmp_path, meta, field):
    err = refusal(one_record(tmp_path, with_turn(meta=meta)))
    assert err.field == field and "must be true or false" in err.problem
    err = refusal(one_record(tmp_path, {**GOOD[1], "meta": {"handoff_expected": "no"}}))
    assert err.field == "meta.handoff_expected"


@pytest.mark.parametrize(("line", "field"), [
    ('{"id": "x", "turns": [{"role": "agent", "text": "a \\ud800 b"}]}', "turns[0].text"),
    ('{"id": "\\udfff", "turns": [{"role": "agent", "text": "a"}]}', "id"),
    ('{"id": "x", "turns": [{"role": "agent", "text": "a"}], "meta": {"\\udc00": 1}}', "meta.\udc00"),
    ('{"id": "x", "turns": [{"role": "agent", "text": "a"}], "meta": {"c": ["\\ud83d"]}}', "meta.c[0]"),
])
def test_lone_surrogates_are_refused_where_they_are(tmp_path, line, field):
    err = refusal(one_record(tmp_path, line))
    assert err.field == field and "lone surrogate" in err.problem
    ok = '{"id": "y", "turns": [{"role": "agent", "text": "pair \\ud83d\\ude42 is fine"}]}'
    assert list(TableLoader(str(one_record(tmp_path, ok))).load().transcripts)[1].turns[0].text == "pair 🙂 is fine"


@pytest.mark.parametrize("text", ["\u200b", "\u200b\u200c\u200d", "\u2060 \ufeff", "\u00ad", " \u180e\t", "\x00"])
def test_text_of_only_invisible_characters_is_empty(tmp_path, text):
    err = refusal(one_record(tmp_path, with_turn(text=text)))
    assert err.field == "turns[1].text" and "empty text" in err.problem


def test_every_format_character_counts_as_invisible():
    # Held to the Unicode database, so a format character the table misses fails here rather than loading blank.
    from evalkit.loaders.fields import is_blank

    format_characters = [chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Cf"]
    assert format_characters and all(is_blank(c) for c in format_characters)
    assert not is_blank("\u200bhi") and not is_blank("日本")


def test_turns_longer_than_max_turn_chars_are_refused(tmp_path):
    path = one_record(tmp_path, with_turn(text="x" * 21))
    err = refusal(path, max_turn_chars=20)
    assert err.field == "turns[1].text" and "21 characters, more than max_turn_chars=20" in err.problem
    assert len(TableLoader(str(path)).load().transcripts) == 2  # the default is generous
    for bad in (0, -1, "10", True):
        with pytest.raises(InvalidData, match=r"dataset\.max_turn_chars must be a positive integer"):
            TableLoader(str(path), max_turn_chars=bad)


def test_nesting_deeper_than_max_depth_is_refused_before_the_parser_runs(tmp_path, monkeypatch):
    deep = '{"id": "x", "turns": [], "meta": {"a": ' + "[" * 70 + "]" * 70 + "}}"
    path = write_jsonl(tmp_path / "deep.jsonl", [deep])

    def parser_ran(*args, **kwargs):
        raise AssertionError("the parser saw text nested too deep")

    monkeypatch.setattr(json.JSONDecoder, "decode", parser_ran)
    err = refusal(path)
    assert err.field == "(line)" and "nested more than max_depth=64 levels deep" in err.problem
    monkeypatch.undo()
    assert refusal(path, max_depth=200).field == "turns"  # within the limit, parsed (and its empty turns refused)


def test_the_depth_scan_reads_brackets_outside_strings_only():
    from evalkit.loaders.nesting import line_too_deep

    assert line_too_deep("[" * 64 + "]" * 64, 64) is None
    assert line_too_deep("[" * 65 + "]" * 65, 64) == 1
    assert line_too_deep('["' + "[" * 100 + '"]', 64) is None  # brackets in a string do not nest
    assert line_too_deep('["\\"' + "[" * 100 + '"]', 64) is None  # nor after an escaped quote
    assert line_too_deep("{}\n" * 100 + "[" * 65, 64) == 101  # the line is named
    assert line_too_deep('"' + '\\"' * 50_000, 10) is None  # an unterminated string of escapes stays linear


@pytest.mark.parametrize(("line", "field", "problem"), [
    ('{"id": "x", "id": "y", "turns": [{"role": "agent", "text": "a"}]}', "(record)", "holds the key 'id' twice"),
    ('{"id": "x", "turns": [{"role": "agent", "text": "a", "text": "b"}]}', "turns[0]", "'text' twice"),
    ('{"id": "x", "turns": [{"role": "agent", "text": "a"}], "meta": {"score": NaN}}', "meta.score", "NaN"),
    ('{"id": "x", "turns": [{"role": "agent", "text": "a"}], "meta": {"score": 1e999}}', "meta.score", "finite"),
])
def test_json_the_json_module_would_let_through_is_refused(tmp_path, line, field, problem):
    err = refusal(one_record(tmp_path, line))
    assert err.field == field and problem in err.problem


def test_a_turn_with_a_key_outside_its_schema_is_refused(tmp_path):
    err = refusal(one_record(tmp_path, with_turn(handoff=True)))  # meant as meta.handoff: would be ignored
    assert err.field == "turns[1].handoff" and "unknown field" in err.problem


@pytest.mark.parametrize(("suffix", "content", "problem"), [
    (".parquet", b"PAR1 not really", "not a readable Parquet file"),
    (".csv", b'id,turns\n"a"b,[]\n', "not valid CSV at line 2"),
    (".csv", b"id,meta\na,{}\n", "no 'turns' column"),
    (".json", b'[{"id": "a", "turns": [', "not valid JSON at line 1, column 24"),
])
def test_library_errors_become_one_line_naming_the_file(tmp_path, suffix, content, problem):
    path = tmp_path / f"bad{suffix}"
    path.write_bytes(content)
    with pytest.raises(InvalidData) as caught:
        TableLoader(str(path)).load()
    message = str(caught.value)
    assert problem in message and message.startswith(str(path)) and "\n" not in message
    assert type(caught.value) in (InvalidData, InvalidRecord)


def test_a_parquet_cell_that_is_no_utf8_is_one_bad_record(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    data, offsets = b"a" + b"\xff" + b"c", pa.array([0, 1, 2, 3], pa.int32()).buffers()[1]
    ids = pa.Array.from_buffers(pa.string(), 3, [None, offsets, pa.py_buffer(data)])
    pq.write_table(pa.table({"id": ids, "turns": pa.array([GOOD[0]["turns"]] * 3)}), tmp_path / "t.parquet")
    loaded = TableLoader(str(tmp_path / "t.parquet"), on_error="skip").load()
    assert [t.id for t in loaded.transcripts] == ["a", "c"]
    assert [(e.index, e.field) for e in loaded.skipped] == [(1, "id")] and "UTF-8" in loaded.skipped[0].problem


def test_nothing_to_replay_is_an_error(tmp_path):
    silent = {"id": "s", "turns": [{"role": "customer", "text": "hello?"}]}
    err = refusal(write_jsonl(tmp_path / "a.jsonl", [GOOD[0], silent, GOOD[1]]))
    assert (err.index, err.field, err.problem) == (1, "turns", "no agent turn: nothing to replay")
    loaded = TableLoader(str(tmp_path / "a.jsonl"), on_error="skip").load()
    assert [t.id for t in loaded.transcripts] == ["a", "b"] and [e.index for e in loaded.skipped] == [1]
    # A broken record is reported before a silent one: the file is broken first.
    assert refusal(write_jsonl(tmp_path / "b.jsonl", [silent, '{"id": ']), on_error="raise").index == 1
    for content, problem in ((b"", "empty file"), (b"\n \n", "empty file"), (b"\xef\xbb\xbf", "no conversations")):
        (tmp_path / "e.jsonl").write_bytes(content)
        with pytest.raises(InvalidData, match=problem):
            TableLoader(str(tmp_path / "e.jsonl")).load()
    write_jsonl(tmp_path / "s.jsonl", [silent, {**silent, "id": "t"}])
    with pytest.raises(InvalidData, match="no valid conversations: all 2 records are invalid"):
        TableLoader(str(tmp_path / "s.jsonl"), on_error="skip").load()
    (tmp_path / "h.csv").write_text("id,turns,meta\n")
    with pytest.raises(InvalidData, match=r"h\.csv: no conversations"):
        TableLoader(str(tmp_path / "h.csv")).load()


@pytest.mark.parametrize("loader", [TableLoader, TwitterCareLoader, AbcdLoader])
def test_a_directory_or_a_missing_file_is_one_line(tmp_path, loader):
    with pytest.raises(InvalidData, match=r"is a directory; dataset\.path must name a file"):
        loader(str(tmp_path)).load()
    with pytest.raises(InvalidData, match="no such dataset file"):
        loader(str(tmp_path / "nope.json")).load()


def test_skip_covers_every_record_level_problem(tmp_path):
    lines = [GOOD[0], '{"id": ', '{"id": "\\ud800", "turns": []}', '{"id": 5, "turns": []}', "[1]",
             with_turn(meta={"handoff": "no"}), '{"id": "n", "turns": [{"role": "agent", "text": NaN}]}',
             b"\xff\xfe".decode("latin-1"), {"id": "z", "turns": [{"role": "customer", "text": "only me"}]},
             GOOD[0], GOOD[1]]
    loaded = TableLoader(str(write_jsonl(tmp_path / "mixed.jsonl", lines)), on_error="skip").load()
    assert [t.id for t in loaded.transcripts] == ["a", "b"]
    assert [e.index for e in loaded.skipped] == list(range(1, 10))


def test_the_twitter_and_abcd_loaders_share_one_json_array_structure():
    from evalkit.loaders.json_array import JsonArrayLoader

    assert issubclass(TwitterCareLoader, JsonArrayLoader) and issubclass(AbcdLoader, JsonArrayLoader)
    assert "load" not in vars(TwitterCareLoader) and "load" not in vars(AbcdLoader)


def test_loading_leaves_no_copy_of_the_data_behind(tmp_path):
    # Transcripts are personal data: no cache (Hugging Face's or any) may keep a copy. A fresh process with every
    # cache directory pointed into tmp_path loads each format; afterwards only the inputs are there.
    data = tmp_path / "data"
    data.mkdir()
    write_jsonl(data / "t.jsonl", GOOD)
    pd.DataFrame({"id": ["a"], "turns": [json.dumps(GOOD[0]["turns"])]}).to_csv(data / "t.csv", index=False)
    pd.DataFrame(GOOD).to_parquet(data / "t.parquet")
    script = ("import sys\nfrom evalkit.loaders.table import TableLoader\n"
              f"for name in ('t.jsonl', 't.csv', 't.parquet'):\n    TableLoader({str(data)!r} + '/' + name).load()\n"
              "assert 'datasets' not in sys.modules\n")
    env = {**os.environ, "HOME": str(tmp_path / "home"), "XDG_CACHE_HOME": str(tmp_path / "cache"),
           "HF_HOME": str(tmp_path / "hf"), "HF_DATASETS_CACHE": str(tmp_path / "hf_datasets"),
           "TMPDIR": str(tmp_path / "tmp")}
    (tmp_path / "tmp").mkdir()
    out = subprocess.run([sys.executable, "-c", script], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")) == [
        "data", "data/t.csv", "data/t.jsonl", "data/t.parquet", "tmp"]


def test_the_csv_field_limit_is_restored(tmp_path):
    limit = csv.field_size_limit()
    turns = [{"role": "customer", "text": "x" * 90_000}, {"role": "agent", "text": "y" * 90_000}]
    pd.DataFrame({"id": ["a"], "turns": [json.dumps(turns)]}).to_csv(tmp_path / "big.csv", index=False)
    (only,) = TableLoader(str(tmp_path / "big.csv")).load().transcripts
    assert len(only.turns[1].text) == 90_000
    assert csv.field_size_limit() == limit
