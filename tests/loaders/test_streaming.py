"""The loaders stream: load() validates in one pass keeping no transcript, each iteration reads the file again.

What must hold: memory does not grow with the file beyond per-record bookkeeping (ids, skips); iterating gives the
same transcripts every time, equal to parsing the file whole; a file changed after load() is one line; and the
incremental JSON reader finds element boundaries and names errors exactly as a whole-document parse, wherever its
read blocks cut the text (tests patch json_stream.BLOCK_SIZE down to a byte).
"""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from evalkit.errors import InvalidData, InvalidRecord
from evalkit.loaders import json_stream
from evalkit.loaders.abcd import AbcdLoader
from evalkit.loaders.fields import Limits, RecordAt
from evalkit.loaders.passes import FileTranscripts
from evalkit.loaders.schema import build_transcript
from evalkit.loaders.table import TableLoader
from evalkit.loaders.twitter_care import TwitterCareLoader

FORMATS = ("jsonl", "json", "twitter", "csv", "parquet")


def schema_records(n: int) -> list[dict[str, Any]]:
    return [{"id": f"c-{i:06d}", "turns": [{"role": "customer", "text": f"card {i} declined, café 🙂"},
                                           {"role": "agent", "text": "Sorry! Where?", "meta": {"handoff": False}}],
             "meta": {"intent": "declined_card"}} for i in range(n)]


def twitter_records(n: int) -> list[dict[str, Any]]:
    return [{"dialogHeader": {"sessionID": f"s-{i:06d}", "company": "acme"},
             "dialogContent": [{"client": "@u", "message": f"card {i} declined 🙂", "tweet_ID": str(i)}],
             "agentURL": {"url_utterance": "Sorry! See [here], \"now\"", "tweet_ID": "t", "url": "http://x"}}
            for i in range(n)]


def write(fmt: str, n: int, directory: Path) -> Path:
    path = directory / f"{fmt}{n}.{'json' if fmt == 'twitter' else fmt}"
    if fmt == "twitter":
        path.write_text(json.dumps(twitter_records(n)), encoding="utf-8")
        return path
    records = schema_records(n)
    if fmt == "jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    elif fmt == "json":
        path.write_text(json.dumps(records, indent=1, ensure_ascii=False), encoding="utf-8")
    elif fmt == "csv":
        pd.DataFrame({"id": [r["id"] for r in records], "turns": [json.dumps(r["turns"]) for r in records],
                      "meta": [json.dumps(r["meta"]) for r in records]}).to_csv(path, index=False)
    else:
        pd.DataFrame(records).to_parquet(path)
    return path


def loader_for(fmt: str, path: Path, **settings: Any) -> TableLoader | TwitterCareLoader:
    return TwitterCareLoader(str(path), **settings) if fmt == "twitter" else TableLoader(str(path), **settings)


def expected(fmt: str, path: Path) -> list[Any]:
    """The transcripts as the all-in-memory path made them: the whole file parsed at once, each record built."""
    if fmt == "twitter":
        loader = TwitterCareLoader(str(path))
        return [loader.transcript(r, RecordAt(str(path), i)) for i, r in enumerate(json.loads(path.read_text()))]
    if fmt == "jsonl":
        records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    elif fmt == "json":
        records = json.loads(path.read_text(encoding="utf-8"))
    elif fmt == "csv":
        frame = pd.read_csv(path, dtype=str)
        records = [{"id": r.id, "turns": json.loads(r.turns), "meta": json.loads(r.meta)} for r in frame.itertuples()]
    else:
        records = schema_records(len(pd.read_parquet(path)))
    return [build_transcript(r, str(path), i, Limits()) for i, r in enumerate(records)]


def peak_bytes(load: Callable[[], Any]) -> int:
    """Traced memory at its peak over load() and one full iteration."""
    tracemalloc.start()
    try:
        dataset = load()
        for _ in dataset.transcripts:
            pass
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("fmt", FORMATS)
def test_memory_grows_by_bookkeeping_per_record_not_by_the_file(tmp_path, monkeypatch, fmt):
    # Small blocks, so the 2k file spans many and both peaks are block-bounded. What may grow with the file is
    # the duplicate check's ids: ~100 bytes a record. Holding the transcripts (or the file) costs 3-8 KB a record
    # (measured on the old, all-in-memory loaders: peak(20k) was 10x peak(2k)).
    monkeypatch.setattr(json_stream, "BLOCK_SIZE", 64 * 1024)
    small, large = (write(fmt, n, tmp_path) for n in (2_000, 20_000))
    peaks = [peak_bytes(loader_for(fmt, path).load) for path in (small, large)]
    per_record = (peaks[1] - peaks[0]) / 18_000
    assert per_record < 400, f"{fmt}: {per_record:.0f} bytes more per record; peaks {peaks}"


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_iteration_gives_the_transcripts_parsing_the_whole_file_gives(tmp_path, fmt):
    path = write(fmt, 300, tmp_path)
    dataset = loader_for(fmt, path).load()
    assert isinstance(dataset.transcripts, FileTranscripts)
    first, second = list(dataset.transcripts), list(dataset.transcripts)
    assert first == second == expected(fmt, path)
    assert len(dataset.transcripts) == 300


def test_skipped_records_are_skipped_on_every_iteration(tmp_path):
    records: list[Any] = schema_records(5)
    records[1] = {"id": "bad", "turns": [{"role": "bot", "text": "x"}]}
    records[3] = {**records[0]}  # a duplicate id
    path = tmp_path / "t.json"
    path.write_text(json.dumps(records))
    dataset = TableLoader(str(path), on_error="skip").load()
    assert [e.index for e in dataset.skipped] == [1, 3]
    assert [t.id for t in dataset.transcripts] == [t.id for t in dataset.transcripts] == ["c-000000", "c-000002",
                                                                                          "c-000004"]
    assert len(dataset.transcripts) == 3


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_file_changed_after_load_is_one_line_when_iterated(tmp_path, fmt):
    path = write(fmt, 50, tmp_path)
    dataset = loader_for(fmt, path).load()
    other = write(fmt, 51, tmp_path)
    for change in ("valid", "broken", "gone"):
        if change == "valid":
            other.replace(path)  # still a valid dataset, only other bytes
        elif change == "broken":
            path.write_bytes(path.read_bytes()[:-15] if fmt != "parquet" else b"PAR1 not really")
        else:
            path.unlink()
        with pytest.raises(InvalidData) as caught:
            list(dataset.transcripts)
        message = str(caught.value)
        assert type(caught.value) is InvalidData, change
        assert message.startswith(f"{path}: changed while evalkit was reading it (sha256 {dataset.digest[:12]}")
        assert message.endswith("; run again") and "\n" not in message, message
        other = write(fmt, 51, tmp_path)


# --- the incremental JSON reader, with blocks cut anywhere ---------------------------------------------------------


TRICKY = [  # strings that hold what ends elements elsewhere, escapes, characters of 2 to 4 bytes
    'brackets ] } [ { and commas , , inside', 'escaped \\" quote, and \\\\\\" a backslash before a quote',
    '\\\\', 'unicode \\u005d \\u0022 \\u00e9 \\ud83d\\ude42 escapes', 'bytes é ß 日本 🙂 𝄞 split anywhere',
    '\\"],[{', '\\\\\\"]', 'tab\\there', '',
]


def tricky_document(crlf: bool = False) -> str:
    elements = []
    for i, text in enumerate(TRICKY):
        turns = f'[{{"role": "customer", "text": "{text or "hi"}"}}, {{"role": "agent", "text": "ok {i}"}}]'
        elements.append(f'{{"id": "x{i} ]\\"[", "turns": {turns}, "meta": {{"k": [[], {{}}, "{text}"]}}}}')
    text = "[\n  " + " ,\n\t\n ".join(elements) + "\n]  \n"
    return text.replace("\n", "\r\n") if crlf else text


@pytest.mark.parametrize("block", [1, 2, 3, 5, 7, 64, 4 << 20])
@pytest.mark.parametrize("crlf", [False, True])
def test_element_boundaries_hold_wherever_a_block_ends(tmp_path, monkeypatch, block, crlf):
    monkeypatch.setattr(json_stream, "BLOCK_SIZE", block)
    text = tricky_document(crlf)
    path = tmp_path / "t.json"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    records = json.loads(text)
    want = [build_transcript(r, str(path), i, Limits()) for i, r in enumerate(records)]
    dataset = TableLoader(str(path)).load()
    assert list(dataset.transcripts) == list(dataset.transcripts) == want


def whole_document_error(text: str) -> str:
    try:
        json.loads(text)
    except json.JSONDecodeError as err:
        return f"not valid JSON at line {err.lineno}, column {err.colno}: {err.msg}"
    raise AssertionError("the text is valid JSON")


@pytest.mark.parametrize("block", [1, 4, 13, 4 << 20])
@pytest.mark.parametrize("broken", [
    lambda t: t[: t.rindex("ok")] + 'ok" x}]}\n]',  # a syntax error in the last element
    lambda t: t[: t.rindex("ok")] + "é 日本 🙂 ok\" ]]]",  # ... after characters of several bytes on its line
    lambda t: t[:-10],  # truncated: the array never closed
    lambda t: t.rstrip()[:-1] + ",\n]",  # a trailing comma
    lambda t: t + " []",  # extra data after the array
    lambda t: t.replace("} ,\n", "}\n", 1),  # two elements without a comma between
    lambda t: t.replace('"id"', "'id'", 1),
], ids=["last element", "multi-byte line", "truncated", "trailing comma", "extra data", "no comma", "quote"])
def test_a_syntax_error_names_the_line_and_column_a_whole_parse_names(tmp_path, monkeypatch, block, broken):
    monkeypatch.setattr(json_stream, "BLOCK_SIZE", block)
    text = broken(tricky_document())
    path = tmp_path / "bad.json"
    path.write_text(text, encoding="utf-8")
    for on_error in ("raise", "skip"):
        with pytest.raises(InvalidData) as caught:
            TableLoader(str(path), on_error=on_error).load()
        assert type(caught.value) is InvalidData
        assert str(caught.value) == f"{path}: {whole_document_error(text)}"


def test_an_error_in_the_last_element_names_its_line(tmp_path, monkeypatch):
    monkeypatch.setattr(json_stream, "BLOCK_SIZE", 16)
    lines = [f'{{"id": "a{i}", "turns": [{{"role": "agent", "text": "ok"}}]}},' for i in range(40)]
    text = "[" + "\n".join([*lines, '{"id": "z" "turns": []}]'])
    path = tmp_path / "t.json"
    path.write_text(text)
    with pytest.raises(InvalidData) as caught:
        TableLoader(str(path)).load()
    assert str(caught.value) == f"{path}: {whole_document_error(text)}"
    assert "at line 41, column 12: Expecting ',' delimiter" in str(caught.value)


def test_a_refused_record_waits_for_the_rest_of_the_document(tmp_path, monkeypatch):
    # Record 0 breaks the schema, but the document does not parse further on: it fails as a whole, as it did when
    # it was parsed whole before any record was read.
    monkeypatch.setattr(json_stream, "BLOCK_SIZE", 32)
    path = tmp_path / "t.json"
    path.write_text('[{"id": 5, "turns": []},\n' + '{"id": "a", "turns": [{"role": "agent", "text": "ok"}]},\n' * 20
                    + '{"id": "b", "turns": [}]')
    with pytest.raises(InvalidData) as caught:
        TableLoader(str(path)).load()
    assert type(caught.value) is InvalidData and "not valid JSON at line 22, column 23" in str(caught.value)
    path.write_text('[{"id": 5, "turns": []}, {"id": "a", "turns": [{"role": "agent", "text": "ok"}]}]')
    with pytest.raises(InvalidRecord, match="record 0, field 'id'"):
        TableLoader(str(path)).load()


@pytest.mark.parametrize("block", [1, 8, 4 << 20])
def test_nesting_too_deep_is_refused_from_the_document_root_across_blocks(tmp_path, monkeypatch, block):
    monkeypatch.setattr(json_stream, "BLOCK_SIZE", block)
    good = '{"id": "a", "turns": [{"role": "agent", "text": "[[[[ not nesting"}]}'
    path = tmp_path / "deep.json"
    # The array is level 1: an element may nest max_depth - 1 levels.
    for levels, refused in ((8, False), (9, True)):
        deep = '{"id": "d", "turns": [{"role": "agent", "text": "x"}], "meta": {"m": ' + "[" * (levels - 3) \
               + "]" * (levels - 3) + "}}"
        path.write_text(f"[{good},\n{deep}]")
        if refused:
            with pytest.raises(InvalidData, match=r"nested more than max_depth=8 levels deep \(line 2\); refused"):
                TableLoader(str(path), max_depth=8).load()
        else:
            assert len(TableLoader(str(path), max_depth=8).load().transcripts) == 2


def test_a_utf8_error_anywhere_outranks_an_earlier_syntax_error(tmp_path, monkeypatch):
    monkeypatch.setattr(json_stream, "BLOCK_SIZE", 4)
    path = tmp_path / "t.json"
    path.write_bytes(b'[{"id": 1 2}, "x\xe2\x82", ' + b'"pad", ' * 20 + b'"\xff"]')
    with pytest.raises(InvalidData, match=r"not valid UTF-8 \(byte 0xe2 at byte 17\)"):
        TwitterCareLoader(str(path)).load()


@pytest.mark.parametrize("document", ["[]", " [ \n ] ", "\ufeff[]"])
def test_an_empty_array_is_no_conversations(tmp_path, monkeypatch, document):
    monkeypatch.setattr(json_stream, "BLOCK_SIZE", 1)
    path = tmp_path / "e.json"
    path.write_text(document, encoding="utf-8")
    for loader in (TableLoader, TwitterCareLoader, AbcdLoader):
        with pytest.raises(InvalidData, match=r"e\.json: no conversations$"):
            loader(str(path)).load()


@pytest.mark.parametrize("block", [1, 3, 4 << 20])
def test_the_abcd_release_streams_each_split_numbering_records_across_them(tmp_path, monkeypatch, block):
    monkeypatch.setattr(json_stream, "BLOCK_SIZE", block)
    convo = {"convo_id": 0, "original": [["customer", "hi ]"], ["agent", "hello, \"you\""]],
             "scenario": {"flow": "f", "subflow": "s"}}
    splits = {"train": [{**convo, "convo_id": 1}, {**convo, "convo_id": 2}], "dev": [],
              "te\\u0073t": [{**convo, "convo_id": 3, "original": [["agent", 5]]}]}
    path = tmp_path / "abcd.json"
    path.write_text(json.dumps(splits, indent=1).replace("\\\\u0073", "\\u0073"))
    loaded = AbcdLoader(str(path), on_error="skip").load()
    assert [t.id for t in loaded.transcripts] == ["1", "2"]
    assert [(e.index, e.field) for e in loaded.skipped] == [(2, "original[0][1]")]
    twice = "the object of splits holds the key 'train' twice (which one is meant would be a guess)"
    for text, problem in (('{"train": [], "dev": 5, "train": []}', twice),
                          ('{"train": [], "dev": {"a": [1]}}', "split 'dev' must be a JSON array of conversations, "
                                                                "got object"),
                          ('{"train": [] "dev": []}', "not valid JSON at line 1, column 14: Expecting ',' delimiter")):
        path.write_text(text)
        with pytest.raises(InvalidData) as caught:
            AbcdLoader(str(path)).load()
        assert str(caught.value) == f"{path}: {problem}"
