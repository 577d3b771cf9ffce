"""A seeded generator of malformed loader inputs, for tests/loaders/test_fuzz.py.

Every case is a file (or a directory, or no file) in one of the formats the loaders read: evalkit's schema as
JSONL, a JSON array, CSV and Parquet, Twitter care JSON and ABCD JSON. Most cases break one record of an otherwise
valid file in one known way, so the test knows the record and the field the error must name; file-level cases
break the file; "maybe" cases mangle bytes at random (truncation, flipped bytes), where the result may or may not
still be valid and only the loader's invariants can be checked; "valid" cases are the traps a strict loader must
not fall into (ids like `000`, BOMs, CRLF, escaped surrogate pairs). The records are synthetic: real data stays in
../shared/data.

`python -m tests.loaders.malformed <dir>` loads the deep-nesting cases written to <dir> in a process of its own
(they are the ones that crashed a parser once) and prints one JSON line per case.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import random
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

WORDS = ("card", "refund", "declined", "thanks", "please", "account", "transfer", "fee", "help", "order", "today",
         "café", "naïve", "日本", "emoji 🙂", "line\nbreak", "tab\there", "quote \"x\"", "back\\slash", "[bracket]",
         "{brace}", "U+2028 \u2028 inside", "zero\u200bwidth inside")
SURROGATES = ("\ud800", "\udfff", "a\udc00b", "\udbff")
INVISIBLE = ("\u200b", "\u200c\u200d", "\u2060", "\ufeff", "\u00ad", "\u200b \u2060\n", "\u180e", "\u034f",
             "\u3164", "\ufe0f", "\u202e", "\x00", "\U000e0020")
BAD_UTF8 = (b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xe2\x82", b"\xf0\x9f\x98", b"\x80")
MAX_TURN_CHARS = 100_000
DEEP = 100_000  # the depth that segfaulted pyarrow's JSON reader


@dataclass(frozen=True)
class Raw:
    """JSON text emitted as is: what Python values cannot express (1e999, a hand-made nesting)."""

    text: str


@dataclass(frozen=True)
class Pairs:
    """A JSON object emitted pair by pair, so that one key can appear twice."""

    items: tuple[tuple[str, Any], ...]


@dataclass(frozen=True)
class Case:
    label: str
    loader: str  # "table", "twitter_care" or "abcd"
    suffix: str
    content: bytes | None  # None: the path is a directory ("dir") or does not exist ("missing")
    expect: str  # "record" (one record bad), "all" (every record bad), "file", "maybe" or "valid"
    bad_index: int | None = None
    field: str | None = None  # the field the error must name (a prefix), when known
    good: tuple[str, ...] = ()  # ids that must still load under on_error=skip (or, for "valid", load at all)
    problem: str | None = None  # a phrase the error must hold, when it says how the input was refused
    special: str | None = None  # "dir" or "missing"


def to_json(value: Any, ascii_only: bool = True) -> str:
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, Pairs):
        return "{" + ", ".join(f"{json.dumps(k, ensure_ascii=ascii_only)}: {to_json(v, ascii_only)}"
                               for k, v in value.items) + "}"
    if isinstance(value, dict):
        return to_json(Pairs(tuple(value.items())), ascii_only)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(to_json(v, ascii_only) for v in value) + "]"
    return json.dumps(value, ensure_ascii=ascii_only)


def has_surrogate(value: Any) -> bool:
    return any(0xD800 <= ord(c) <= 0xDFFF for c in value) if isinstance(value, str) else (
        any(has_surrogate(k) or has_surrogate(v) for k, v in value.items()) if isinstance(value, dict) else
        any(has_surrogate(v) for v in value) if isinstance(value, list | tuple) else
        any(has_surrogate(k) or has_surrogate(v) for k, v in value.items) if isinstance(value, Pairs) else False)


def encode(text: str) -> bytes:
    """Text as UTF-8; a lone surrogate that reached the text unescaped becomes the bytes UTF-8 forbids."""
    return text.encode("utf-8", "surrogatepass")


def nested(depth: int) -> Raw:
    return Raw("[" * depth + "]" * depth)


# --- valid records of each format --------------------------------------------------------------------------------


def text(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 5)))


def schema_record(rng: random.Random, i: int) -> dict[str, Any]:
    turns: list[dict[str, Any]] = [{"role": "customer", "text": text(rng)}]
    if rng.random() < 0.5:
        turns.append({"role": "system", "text": text(rng)})
    turns.append({"role": "agent", "text": text(rng), "meta": {"handoff": rng.random() < 0.3}})
    if rng.random() < 0.5:
        turns += [{"role": "customer", "text": text(rng), "meta": {"asks_for_human": True}},
                  {"role": "agent", "text": text(rng)}]
    return {"id": f"c-{i:03d}", "turns": turns,
            "meta": {"intent": rng.choice(["refund", "card"]), "company": "acme", "handoff_expected": False}}


def twitter_record(rng: random.Random, i: int) -> dict[str, Any]:
    content = [{"client": "someone", "datetime": "2020-04-01T17:31:32.000Z", "message": text(rng), "tweet_ID": "1"}]
    if rng.random() < 0.5:
        content += [{"agent": "Acme", "datetime": "2020-04-01T18:00:00.000Z", "message": text(rng), "tweet_ID": "2"},
                    {"client1": "someone", "datetime": "2020-04-01T18:05:00.000Z", "message": text(rng),
                     "tweet_ID": "3"}]
    return {"dialogHeader": {"sessionID": f"S{i:04d}x", "company": "AcmeSupport", "messageCount": str(len(content))},
            "dialogContent": content,
            "agentURL": {"doc_id": "7", "tweet_ID": "9", "url": "https://example.com/help", "url_utterance": text(rng)}}


def abcd_record(rng: random.Random, i: int) -> dict[str, Any]:
    original = [["agent", "Hi!"], ["customer", text(rng)], ["action", "Account has been pulled up."],
                ["agent", text(rng)]]
    if rng.random() < 0.5:
        original += [["agent", text(rng)], ["customer", text(rng)], ["agent", text(rng)]]
    return {"convo_id": 1000 + i, "scenario": {"flow": "product_defect", "subflow": rng.choice(["refund", "size"]),
                                               "personal": {"customer_name": "x y"}}, "original": original,
            "delexed": []}


# --- one record broken in one known way ---------------------------------------------------------------------------

Mutation = tuple[str, str | None, Callable[[dict[str, Any], random.Random], None]]  # label, field, how


def _set(path: list[Any], value: Any) -> Callable[[dict[str, Any], random.Random], None]:
    def mutate(record: dict[str, Any], rng: random.Random) -> None:
        target = record
        for key in path[:-1]:
            target = target[key]
        if value is _DELETE:
            del target[path[-1]]
        else:
            target[path[-1]] = value
    return mutate


_DELETE = object()
WRONG_TYPES = (None, 7, 0, -1.5, True, False, [], ["x"], {}, {"a": 1})


def schema_mutations(record: dict[str, Any], rng: random.Random, fmt: str) -> list[Mutation]:
    """Ways to break one record of evalkit's schema, as far as the format can say them: a CSV id is always text
    (a lone surrogate in it is bytes no UTF-8), a Parquet id column has one type (see parquet_cases)."""
    t = rng.randrange(len(record["turns"]))
    agent = next(i for i, turn in enumerate(record["turns"]) if turn["role"] == "agent")
    out: list[Mutation] = []
    ids: list[Any] = ["", "   ", *INVISIBLE]
    if fmt != "parquet":
        ids += SURROGATES
    if fmt not in ("csv", "parquet"):
        ids += [*WRONG_TYPES, 12345, 1.0, _DELETE]
    out += [(f"id={v!r}", "id", _set(["id"], v)) for v in ids]
    texts: list[Any] = [*WRONG_TYPES, "", " \n\t ", *INVISIBLE, *SURROGATES, "x" * (MAX_TURN_CHARS + 1), _DELETE,
                        Raw("NaN"), Raw("1e999")]
    out += [(f"turns[{t}].text={str(v)[:20]!r}", f"turns[{t}].text", _set(["turns", t, "text"], v)) for v in texts]
    roles: list[Any] = [*WRONG_TYPES, "bot", "Agent", "", " agent", "human", _DELETE]
    out += [(f"turns[{t}].role={v!r}", f"turns[{t}].role", _set(["turns", t, "role"], v)) for v in roles]
    out += [(f"turns[{t}]={v!r}", f"turns[{t}]", _set(["turns", t], v)) for v in (None, "hi", 3, ["agent", "hi"],
                                                                                    True)]
    out += [(f"turns={v!r}", "turns", _set(["turns"], v)) for v in (None, "[]", 5, {}, [], _DELETE, True,
                                                                    json.dumps(record["turns"]))]
    metas: list[Any] = ["x", 5, [1], True, [["handoff", True]]]
    out += [(f"turns[{t}].meta={v!r}", f"turns[{t}].meta", _set(["turns", t, "meta"], v)) for v in metas]
    flags: list[Any] = ["false", "true", 0, 1, None, "yes", [True], {"v": True}, 0.0]
    out += [(f"turns[{agent}].meta.handoff={v!r}", f"turns[{agent}].meta.handoff",
             _set(["turns", agent, "meta"], {"handoff": v})) for v in flags]
    out += [(f"turns[0].meta.asks_for_human={v!r}", "turns[0].meta.asks_for_human",
             _set(["turns", 0, "meta"], {"asks_for_human": v})) for v in ("false", 1, None, "")]
    out += [(f"turns[{t}] with a stray key {k!r}", f"turns[{t}].{k}", _set(["turns", t, k], v))
            for k, v in (("handoff", True), ("speaker", "x"), ("Text", "y"))]
    out += [(f"meta={v!r}", "meta", _set(["meta"], v)) for v in ("x", 5, [1], True, [["intent", "refund"]])]
    out += [(f"meta.handoff_expected={v!r}", "meta.handoff_expected", _set(["meta", "handoff_expected"], v))
            for v in ("false", 1, None, "no")]
    out += [(f"meta.company={v!r}", "meta.company", _set(["meta", "company"], v)) for v in SURROGATES[:2]]
    out += [("a meta key with a lone surrogate", "meta.\udc01", _set(["meta", "\udc01"], "x"))]
    out += [(f"meta.score={v.text}", "meta.score", _set(["meta", "score"], v))
            for v in (Raw("NaN"), Raw("Infinity"), Raw("-Infinity"), Raw("1e999"), Raw("-2e400"))]
    out += [(f"meta.deep nested {d}", None, _set(["meta", "deep"], nested(d))) for d in (65, 200, 1_500)]
    if fmt not in ("csv", "parquet"):  # a row has one cell per column
        out += [("the record holds 'id' twice", "(record)", lambda r, g: _pairs(r, [], "id"))]
    out += [(f"turns[{t}] holds 'text' twice", f"turns[{t}]", lambda r, g: _pairs(r, ["turns", t], "text")),
            ("meta holds 'intent' twice", "meta", lambda r, g: _pairs(r, ["meta"], "intent"))]
    out += [("no agent turn", "turns", _no_agent)]
    return out


def _pairs(record: dict[str, Any], path: list[Any], key: str) -> None:
    parent, target = None, record
    for step in path:
        parent, target = target, target[step]
    items = tuple(target.items())
    value = Pairs((*items, (key, target[key] if key != "id" else "other-id")))
    if parent is None:
        record.clear()
        record["__pairs__"] = value
    else:
        parent[path[-1]] = value


def _no_agent(record: dict[str, Any], rng: random.Random) -> None:
    for turn in record["turns"]:
        if turn["role"] == "agent":
            turn["role"] = rng.choice(["customer", "system"])


def twitter_mutations(record: dict[str, Any], rng: random.Random) -> list[Mutation]:
    n = len(record["dialogContent"])
    t = rng.randrange(n)
    speaker = next(k for k in record["dialogContent"][t] if k not in ("datetime", "message", "tweet_ID"))
    out: list[Mutation] = []
    out += [(f"dialogHeader={v!r}", "dialogHeader", _set(["dialogHeader"], v)) for v in (None, "x", 3, [], _DELETE)]
    out += [(f"sessionID={v!r}", "dialogHeader.sessionID", _set(["dialogHeader", "sessionID"], v))
            for v in (*WRONG_TYPES, 123456, "", "  ", *INVISIBLE[:6], *SURROGATES, _DELETE)]
    out += [(f"dialogContent={v!r}", "dialogContent", _set(["dialogContent"], v)) for v in (None, "x", 3, {}, [],
                                                                                            _DELETE)]
    out += [(f"dialogContent[{t}]={v!r}", f"dialogContent[{t}]", _set(["dialogContent", t], v))
            for v in (None, "hi", 4, ["client", "hi"])]
    out += [(f"dialogContent[{t}].message={str(v)[:20]!r}", f"dialogContent[{t}].message",
             _set(["dialogContent", t, "message"], v))
            for v in (*WRONG_TYPES, "", "  ", *INVISIBLE, *SURROGATES, "y" * (MAX_TURN_CHARS + 1), _DELETE,
                      Raw("NaN"))]
    out += [(f"dialogContent[{t}] speaker {k!r}", f"dialogContent[{t}].{k}",
             lambda r, g, k=k: r["dialogContent"][t].__setitem__(k, r["dialogContent"][t].pop(speaker)))
            for k in ("bot", "Client", "client_x", "customer")]
    out += [(f"dialogContent[{t}] with two speakers", f"dialogContent[{t}]",
             _set(["dialogContent", t, "agent" if speaker != "agent" else "client"], "x")),
            (f"dialogContent[{t}] with no speaker", f"dialogContent[{t}]",
             lambda r, g: r["dialogContent"][t].pop(speaker))]
    out += [(f"agentURL={v!r}", "agentURL", _set(["agentURL"], v)) for v in (None, "x", [], 2, _DELETE)]
    out += [(f"url_utterance={str(v)[:20]!r}", "agentURL.url_utterance", _set(["agentURL", "url_utterance"], v))
            for v in (*WRONG_TYPES, "", *INVISIBLE[:5], *SURROGATES[:2], _DELETE)]
    out += [(f"company={v!r}", "dialogHeader.company", _set(["dialogHeader", "company"], v))
            for v in (5, ["x"], {"a": 1}, "", "\u200b", True)]
    out += [("the header holds 'sessionID' twice", "dialogHeader", lambda r, g: _pairs(r, ["dialogHeader"],
                                                                                        "sessionID")),
            ("a tweet's metadata is a lone surrogate", f"dialogContent[{t}].datetime",
             _set(["dialogContent", t, "datetime"], "\ud801")),
            ("the final tweet id is Infinity", "agentURL.tweet_ID", _set(["agentURL", "tweet_ID"], Raw("Infinity")))]
    return out


def abcd_mutations(record: dict[str, Any], rng: random.Random) -> list[Mutation]:
    t = rng.randrange(len(record["original"]))
    out: list[Mutation] = []
    out += [(f"convo_id={v!r}", "convo_id", _set(["convo_id"], v))
            for v in (None, True, False, 1.5, 2.0, [], [1], {}, "", "  ", *INVISIBLE[:5], *SURROGATES[:2], _DELETE)]
    out += [(f"original={v!r}", "original", _set(["original"], v)) for v in (None, "x", 3, {}, [], _DELETE)]
    out += [(f"original[{t}]={v!r}", f"original[{t}]", _set(["original", t], v))
            for v in (None, "agent: hi", ["agent"], ["agent", "hi", "x"], {"agent": "hi"}, 5, [])]
    out += [(f"original[{t}][0]={v!r}", f"original[{t}][0]", _set(["original", t, 0], v))
            for v in (None, 1, ["agent"], {"a": 1}, "bot", "Agent", "", True)]
    out += [(f"original[{t}][1]={str(v)[:20]!r}", f"original[{t}][1]", _set(["original", t, 1], v))
            for v in (*WRONG_TYPES, "", "   ", *INVISIBLE, *SURROGATES, "z" * (MAX_TURN_CHARS + 1), Raw("NaN"))]
    out += [(f"scenario={v!r}", "scenario", _set(["scenario"], v)) for v in ("x", 3, [1], True)]
    out += [(f"scenario.flow={v!r}", "scenario.flow", _set(["scenario", "flow"], v)) for v in (3, ["x"], {}, "")]
    out += [(f"scenario.subflow={v!r}", "scenario.subflow", _set(["scenario", "subflow"], v))
            for v in (3, ["x"], False, "\u200b")]
    out += [("no agent turn", "original", lambda r, g: r.__setitem__(
        "original", [p for p in r["original"] if p[0] != "agent"] or [["customer", "hello"]])),
            ("the scenario holds 'flow' twice", "scenario", lambda r, g: _pairs(r, ["scenario"], "flow")),
            ("a scenario value is a lone surrogate", "scenario.personal.customer_name",
             _set(["scenario", "personal", "customer_name"], "x\udc80"))]
    return out


# --- files -------------------------------------------------------------------------------------------------------


def unpaired(value: Any) -> Any:
    return value["__pairs__"] if isinstance(value, dict) and "__pairs__" in value else value


def jsonl(records: list[Any], rng: random.Random) -> bytes:
    # A lone surrogate is written as the \ud800 escape that lets it through the json module (unescaped, it would be
    # bytes that are no UTF-8, which the BAD_UTF8 cases cover).
    return b"".join(encode(to_json(unpaired(r), rng.random() < 0.5 or has_surrogate(r))) + b"\n" for r in records)


def json_array(records: list[Any], rng: random.Random) -> bytes:
    ascii_only = rng.random() < 0.5 or any(has_surrogate(r) for r in records)
    return encode("[\n" + ",\n".join(to_json(unpaired(r), ascii_only) for r in records) + "\n]\n")


def csv_file(records: list[Any], rng: random.Random) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "turns", "meta"])
    for record in records:
        record = unpaired(record)
        if isinstance(record, Pairs):  # a duplicate top-level key cannot be a CSV row; keep the last id
            record = dict(record.items)
        cell = record.get("id", "")
        meta = record.get("meta")
        writer.writerow(["" if cell is None else cell,
                         "" if record.get("turns", _DELETE) is _DELETE else to_json(record["turns"]),
                         "" if meta is None else to_json(meta)])
    return encode(out.getvalue())


def parquet_file(columns: dict[str, Any]) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    buffer = io.BytesIO()
    pq.write_table(pa.table(columns), buffer)
    return buffer.getvalue()


def parquet_json(records: list[Any]) -> bytes:
    """Parquet with string ids and turns/meta as JSON strings, so any record mutation can be written."""
    import pyarrow as pa

    rows = [unpaired(r) for r in records]
    rows = [dict(r.items) if isinstance(r, Pairs) else r for r in rows]
    return parquet_file({
        "id": pa.array([r.get("id") for r in rows], type=pa.string()),
        "turns": pa.array([None if r.get("turns", _DELETE) is _DELETE else to_json(r["turns"]) for r in rows],
                          type=pa.string()),
        "meta": pa.array([None if r.get("meta") is None else to_json(r["meta"]) for r in rows], type=pa.string()),
    })


# --- the cases ---------------------------------------------------------------------------------------------------


def record_cases(rng: random.Random, rounds: int) -> Iterator[Case]:
    """One record broken per file, in every format of evalkit's schema, each mutation in a random record."""
    writers: dict[str, Callable[[list[Any], random.Random], bytes]] = {
        "jsonl": jsonl, "json": json_array, "csv": csv_file, "parquet": lambda records, _: parquet_json(records)}
    for round_ in range(rounds):
        for fmt, write in writers.items():
            base = [schema_record(rng, i) for i in range(3)]
            for label, field_name, mutate in schema_mutations(base[0], rng, fmt):
                k = rng.randrange(3)
                records = copy.deepcopy(base)
                records[k] = {**copy.deepcopy(base[0]), "id": base[k]["id"]}
                mutate(records[k], rng)
                deep = "deep" in label
                # Too deep is refused unparsed: a JSONL line or CSV/Parquet cell is then one bad record, while a
                # JSON array cannot be parsed at all.
                expect = "file" if deep and fmt == "json" else "record"
                if deep:
                    field_name = {"jsonl": "(line)", "csv": "meta", "parquet": "meta"}.get(fmt)
                yield Case(f"{fmt} round {round_}: {label}", "table", "." + fmt, write(records, rng), expect, k,
                           field_name, _others(base, k), "nested more than" if deep else None)
            k = rng.randrange(1, 3)
            records = copy.deepcopy(base)
            records[k]["id"] = records[0]["id"]
            yield Case(f"{fmt} round {round_}: duplicate id", "table", "." + fmt, write(records, rng), "record", k,
                       "id", _others(base, k), "duplicate id")
            if fmt == "parquet":
                continue  # pyarrow will not write such a string: see parquet_cases
            for raw in BAD_UTF8:
                k = rng.randrange(3)
                records = copy.deepcopy(base)
                records[k]["turns"][0]["text"] = "@@BAD@@"
                content = write(records, rng).replace(b"@@BAD@@", b"x" + raw + b"y")
                yield Case(f"{fmt} round {round_}: bytes {raw!r} that are no UTF-8 in a text", "table", "." + fmt,
                           content, "file" if fmt == "json" else "record", k,
                           {"jsonl": "(line)", "csv": "turns"}.get(fmt), _others(base, k), "UTF-8")


def _others(base: list[dict[str, Any]], k: int) -> tuple[str, ...]:
    return tuple(r["id"] for i, r in enumerate(base) if i != k)


def twitter_cases(rng: random.Random, rounds: int) -> Iterator[Case]:
    for round_ in range(rounds):
        base = [twitter_record(rng, i) for i in range(3)]
        for label, field_name, mutate in twitter_mutations(base[0], rng):
            k = rng.randrange(3)
            records = copy.deepcopy(base)
            records[k] = copy.deepcopy(base[0])
            records[k]["dialogHeader"]["sessionID"] = base[k]["dialogHeader"]["sessionID"]
            mutate(records[k], rng)
            yield Case(f"twitter round {round_}: {label}", "twitter_care", ".json", json_array(records, rng),
                       "record", k, field_name, tuple(r["dialogHeader"]["sessionID"] for i, r in enumerate(base)
                                                      if i != k))
        k = rng.randrange(1, 3)
        records = copy.deepcopy(base)
        records[k]["dialogHeader"]["sessionID"] = records[0]["dialogHeader"]["sessionID"]
        yield Case(f"twitter round {round_}: duplicate sessionID", "twitter_care", ".json",
                   json_array(records, rng), "record", k, "dialogHeader.sessionID",
                   tuple(r["dialogHeader"]["sessionID"] for i, r in enumerate(base) if i != k), "duplicate id")


def abcd_cases(rng: random.Random, rounds: int) -> Iterator[Case]:
    for round_ in range(rounds):
        base = [abcd_record(rng, i) for i in range(3)]
        for label, field_name, mutate in abcd_mutations(base[0], rng):
            k = rng.randrange(3)
            records = copy.deepcopy(base)
            records[k] = copy.deepcopy(base[0])
            records[k]["convo_id"] = base[k]["convo_id"]
            mutate(records[k], rng)
            yield Case(f"abcd round {round_}: {label}", "abcd", ".json", json_array(records, rng), "record", k,
                       field_name, tuple(str(r["convo_id"]) for i, r in enumerate(base) if i != k))
        k = rng.randrange(1, 3)
        records = copy.deepcopy(base)
        records[k]["convo_id"] = records[0]["convo_id"]
        yield Case(f"abcd round {round_}: duplicate convo_id", "abcd", ".json", json_array(records, rng), "record",
                   k, "convo_id", tuple(str(r["convo_id"]) for i, r in enumerate(base) if i != k), "duplicate id")


def parquet_cases(rng: random.Random) -> Iterator[Case]:
    """What only Parquet can get wrong: typed columns (one type for every row), nested columns, its own bytes."""
    import pyarrow as pa

    records = [schema_record(rng, i) for i in range(3)]
    turns = pa.array([r["turns"] for r in records])
    ids = [r["id"] for r in records]

    def table(**columns: Any) -> bytes:
        return parquet_file({"id": pa.array(ids), "turns": turns, **columns})

    import datetime as dt
    for label, column in (("id int64", pa.array([1, 2, 3])), ("id float", pa.array([1.0, 2.0, 3.0])),
                          ("id bool", pa.array([True, False, True])),
                          ("id date32 (date-like)", pa.array([dt.date(2024, 1, d) for d in (1, 2, 3)])),
                          ("id timestamp", pa.array([dt.datetime(2024, 1, 1, 0, 0, d) for d in (1, 2, 3)])),
                          ("id binary", pa.array([b"a", b"b", b"c"])), ("id all null", pa.array([None] * 3,
                                                                                             pa.string())),
                          ("id list", pa.array([["a"], ["b"], ["c"]])), ("id blank", pa.array(["", " ", "\u200b"]))):
        yield Case(f"parquet: {label}", "table", ".parquet", parquet_file({"id": column, "turns": turns}), "all", 0,
                   "id")
    bad_text = pa.array([[{"role": "customer", "text": 5}, {"role": "agent", "text": 6}]] * 3)
    yield Case("parquet: nested text is int64", "table", ".parquet",
               parquet_file({"id": pa.array(ids), "turns": bad_text}), "all", 0, "turns[0].text")
    handoff = pa.array([[{"role": "customer", "text": "hi"}, {"role": "agent", "text": "yo",
                                                                 "meta": {"handoff": "false"}}]] * 3)
    yield Case("parquet: nested handoff is a string", "table", ".parquet",
               parquet_file({"id": pa.array(ids), "turns": handoff}), "all", 0, "turns[1].meta.handoff")
    yield Case("parquet: meta is a map", "table", ".parquet", table(meta=pa.array(
        [[("intent", "refund")]] * 3, type=pa.map_(pa.string(), pa.string()))), "all", 0, "meta")
    yield Case("parquet: turns is a list of strings", "table", ".parquet", parquet_file(
        {"id": pa.array(ids), "turns": pa.array([["hi", "yo"]] * 3)}), "all", 0, "turns[0]")
    yield Case("parquet: no agent turn in any record", "table", ".parquet", parquet_file(
        {"id": pa.array(ids), "turns": pa.array([[{"role": "customer", "text": "hi"}]] * 3)}), "all", 0, "turns")
    deep_type: Any = pa.int64()
    for _ in range(70):
        deep_type = pa.struct([("x", deep_type)])
    yield Case("parquet: meta nests 70 levels", "table", ".parquet",
               table(meta=pa.array([None] * 3, type=deep_type)), "file", problem="nests more than")
    yield Case("parquet: no id column", "table", ".parquet", parquet_file({"turns": turns}), "file",
               problem="no 'id' column")
    yield Case("parquet: no turns column", "table", ".parquet", parquet_file({"id": pa.array(ids)}), "file",
               problem="no 'turns' column")
    no_rows = parquet_file({"id": pa.array([], pa.string()), "turns": pa.array([], turns.type)})
    yield Case("parquet: no rows", "table", ".parquet", no_rows, "file", problem="no conversations")
    good = table()
    for cut in sorted({rng.randrange(1, len(good)) for _ in range(12)}):
        yield Case(f"parquet: truncated at {cut}", "table", ".parquet", good[:cut], "file")
    for n in range(8):
        flipped = bytearray(good)
        for _ in range(rng.randint(1, 6)):
            flipped[rng.randrange(len(flipped))] = rng.randrange(256)
        yield Case(f"parquet: {n}: bytes flipped", "table", ".parquet", bytes(flipped), "maybe")
    yield Case("parquet: JSON garbage", "table", ".parquet", b'{"id": "a"}\n', "file")
    for raw in BAD_UTF8[:3]:  # a string column holding bytes that are no UTF-8, written without validation
        values = [ids[0].encode(), b"x" + raw, ids[2].encode()]
        offsets, data, position = [0], b"", 0
        for v in values:
            position += len(v)
            offsets.append(position)
            data += v
        intent = pa.Array.from_buffers(pa.string(), 3, [None, pa.py_buffer(pa.array(offsets, pa.int32()).buffers()[1]),
                                                         pa.py_buffer(data)])
        yield Case(f"parquet: id holds bytes {raw!r}", "table", ".parquet", parquet_file(
            {"id": intent, "turns": turns}), "record", 1, "id", (ids[0], ids[2]), "UTF-8")


def csv_cases(rng: random.Random) -> Iterator[Case]:
    """What only CSV can get wrong: rows, quoting, the header."""
    records = [schema_record(rng, i) for i in range(3)]
    good = csv_file(records, rng).decode()
    header, *rows = good.splitlines(keepends=True)
    for k in range(3):
        others = tuple(r["id"] for i, r in enumerate(records) if i != k)
        bad = list(rows)
        bad[k] = bad[k].rstrip("\r\n") + ',"extra"\r\n'
        yield Case(f"csv: row {k} has an extra cell", "table", ".csv", "".join([header, *bad]).encode(), "record", k,
                   "(row)", others)
        bad = list(rows)
        bad[k] = f'{records[k]["id"]}\r\n'
        yield Case(f"csv: row {k} has one cell", "table", ".csv", "".join([header, *bad]).encode(), "record", k,
                   "(row)", others)
        bad = list(rows)
        bad[k] = f'"{records[k]["id"]}"x,"[]",\r\n'
        yield Case(f"csv: row {k} quotes badly", "table", ".csv", "".join([header, *bad]).encode(), "record", k,
                   "(row)", others)
    for label, head in (("no turns column", "id,meta\r\n"), ("no id column", "turns,meta\r\n"),
                        ("a duplicate column", "id,turns,turns\r\n"), ("header only", None)):
        content = (header if head is None else head) + ("" if head is None else "".join(rows))
        yield Case(f"csv: {label}", "table", ".csv", content.encode(), "file")
    yield Case("csv: the header is no UTF-8", "table", ".csv", b"id,tu\xffrns,meta\r\n" + "".join(rows).encode(),
               "file", problem="UTF-8")
    yield Case("csv: an unterminated quote runs to the end", "table", ".csv",
               (header + rows[0] + '"c-9,[]\r\n').encode(), "maybe")


def file_cases(rng: random.Random) -> Iterator[Case]:
    """Files that are wrong as a whole, for every loader and format."""
    formats = [("table", ".jsonl"), ("table", ".json"), ("table", ".csv"), ("table", ".parquet"),
               ("twitter_care", ".json"), ("abcd", ".json")]
    for loader, suffix in formats:
        tag = f"{loader}{suffix}"
        yield Case(f"{tag}: empty file", loader, suffix, b"", "file", problem="empty")
        yield Case(f"{tag}: whitespace only", loader, suffix, b" \n\r\n\t\n", "file", problem="empty")
        yield Case(f"{tag}: a directory", loader, suffix, None, "file", special="dir", problem="directory")
        yield Case(f"{tag}: no such file", loader, suffix, None, "file", special="missing", problem="no such")
        yield Case(f"{tag}: a lone BOM", loader, suffix, b"\xef\xbb\xbf", "file")
        good = good_file(loader, suffix, rng)
        if suffix != ".parquet":
            yield Case(f"{tag}: UTF-16", loader, suffix, good.decode().encode("utf-16"), "file", problem="UTF-16")
            for _ in range(10):
                cut = rng.randrange(1, len(good) - 1)
                yield Case(f"{tag}: truncated at {cut}", loader, suffix, good[:cut], "maybe")
            for n in range(10):
                flipped = bytearray(good)
                for _ in range(rng.randint(1, 4)):
                    flipped[rng.randrange(len(flipped))] = rng.choice(b'{}[]",:\\\x00\xff\n ')
                yield Case(f"{tag}: {n}: bytes flipped", loader, suffix, bytes(flipped), "maybe")
        if loader != "table":
            for value in ({"a": 1}, "text", 5, None, True):
                yield Case(f"{tag}: top level is {value!r}", loader, suffix, json.dumps(value).encode(), "file")
            yield Case(f"{tag}: an empty array", loader, suffix, b"[]", "file", problem="no conversations")
            yield Case(f"{tag}: bytes that are no UTF-8", loader, suffix, good.replace(b"!", b"\xff!", 1)
                       if b"!" in good else b"\xff" + good, "file", problem="UTF-8")
            yield Case(f"{tag}: NaN as the document", loader, suffix, b"NaN", "file")
    yield Case("abcd: a split that is not a list", "abcd", ".json", b'{"train": 5}', "file", problem="split")
    yield Case("abcd: a split that is a string", "abcd", ".json", b'{"train": "abc"}', "file", problem="split")
    yield Case("abcd: no splits", "abcd", ".json", b"{}", "file", problem="no conversations")
    yield Case("abcd: a split named twice", "abcd", ".json", b'{"train": [], "train": []}', "file", problem="twice")
    yield Case("table.json: a JSON array that is an object", "table", ".json", b'[{"id": 1}', "file")
    yield Case("table.jsonl: only broken lines", "table", ".jsonl", b'{"id": \n[\n"x"\n', "all", 0, "(line)")
    yield Case("table.jsonl: no record has an agent turn", "table", ".jsonl", b"".join(
        json.dumps({"id": f"n{i}", "turns": [{"role": "customer", "text": "hi"}]}).encode() + b"\n" for i in range(3)),
        "all", 0, "turns", problem="no agent turn")


def good_file(loader: str, suffix: str, rng: random.Random) -> bytes:
    if loader == "twitter_care":
        return json_array([twitter_record(rng, i) for i in range(3)], rng)
    if loader == "abcd":
        return json_array([abcd_record(rng, i) for i in range(3)], rng)
    records = [schema_record(rng, i) for i in range(3)]
    return {".jsonl": jsonl, ".json": json_array, ".csv": csv_file}[suffix](records, rng) if suffix != ".parquet" \
        else parquet_json(records)


def valid_cases(rng: random.Random) -> Iterator[Case]:
    """Inputs a too-eager loader would refuse or change: they must load, ids exactly as written."""
    for fmt in ("jsonl", "json", "csv", "parquet"):
        records = [schema_record(rng, i) for i in range(4)]
        for record, rid in zip(records, ("000", "2024-01-01", "1e5", "true"), strict=True):
            record["id"] = rid
        records[0]["turns"][0]["text"] = "escaped pair 🙂 and U+2028 \u2028 and zero\u200bwidth inside"
        writer = {"jsonl": jsonl, "json": json_array, "csv": csv_file}.get(fmt)
        content = writer(records, rng) if writer else parquet_json(records)
        yield Case(f"{fmt}: ids that look like numbers and dates", "table", "." + fmt, content, "valid",
                   good=("000", "2024-01-01", "1e5", "true"))
        if fmt != "parquet":
            yield Case(f"{fmt}: a UTF-8 BOM and CRLF line ends", "table", "." + fmt,
                       b"\xef\xbb\xbf" + content.replace(b"\n", b"\r\n"), "valid",
                       good=("000", "2024-01-01", "1e5", "true"))
    yield Case("jsonl: blank lines between records", "table", ".jsonl",
               b"\n\n" + jsonl(records, rng).replace(b"\n", b"\n\n  \n"), "valid",
               good=("000", "2024-01-01", "1e5", "true"))
    yield Case("twitter: emoji as escaped surrogate pairs", "twitter_care", ".json",
               json_array([twitter_record(rng, 0)], rng).replace(b'"message": "', b'"message": "\\ud83d\\ude42 ', 1),
               "valid", good=("S0000x",))
    yield Case("abcd: the full release's split object", "abcd", ".json",
               encode(to_json({"train": [abcd_record(rng, 0)], "dev": [abcd_record(rng, 1)], "test": []})),
               "valid", good=("1000", "1001"))


def deep_cases() -> Iterator[Case]:
    """100,000 levels: refused before any parser runs (run in a process of its own, in case one is not)."""
    deep = "[" * DEEP + "]" * DEEP
    record = {"id": "deep", "turns": [{"role": "customer", "text": "hi"}, {"role": "agent", "text": "yo"}],
              "meta": {"x": Raw(deep)}}
    good = {"id": "ok", "turns": [{"role": "customer", "text": "hi"}, {"role": "agent", "text": "yo"}]}
    yield Case("jsonl: 100,000 deep", "table", ".jsonl", encode(to_json(good) + "\n" + to_json(record) + "\n"),
               "record", 1, "(line)", ("ok",), "nested more than")
    yield Case("jsonl: 100,000 unclosed", "table", ".jsonl", encode(to_json(good) + "\n" + "[" * DEEP + "\n"),
               "record", 1, "(line)", ("ok",), "nested more than")
    yield Case("json: 100,000 deep", "table", ".json", encode(f"[{to_json(good)}, {to_json(record)}]"), "file",
               problem="nested more than")
    yield Case("csv: 100,000 deep in a cell", "table", ".csv", csv_file([good, record], random.Random(0)), "record",
               1, "meta", ("ok",), "nested more than")
    yield Case("parquet: 100,000 deep in a JSON cell", "table", ".parquet", parquet_json([good, record]), "record", 1,
               "meta", ("ok",), "nested more than")
    yield Case("twitter: 100,000 deep", "twitter_care", ".json",
               encode(f'[{{"dialogHeader": {deep}}}]'), "file", problem="nested more than")
    yield Case("abcd: 100,000 deep", "abcd", ".json", encode(f'[{{"convo_id": 1, "scenario": {deep}}}]'), "file",
               problem="nested more than")


def all_cases(seed: int = 20261201) -> list[Case]:
    rng = random.Random(seed)
    return [*record_cases(rng, rounds=2), *twitter_cases(rng, rounds=3), *abcd_cases(rng, rounds=3),
            *parquet_cases(rng), *csv_cases(rng), *file_cases(rng), *valid_cases(rng)]


# --- loading a case ---------------------------------------------------------------------------------------------


def place(case: Case, directory: Path, n: int) -> Path:
    path = directory / f"case{n}{case.suffix}"
    if case.special == "dir":
        path.mkdir()
    elif case.special != "missing":
        assert case.content is not None
        path.write_bytes(case.content)
    return path


def loader_for(case: Case, path: Path, on_error: str) -> Any:
    from evalkit.loaders.abcd import AbcdLoader
    from evalkit.loaders.table import TableLoader
    from evalkit.loaders.twitter_care import TwitterCareLoader

    kind = {"table": TableLoader, "twitter_care": TwitterCareLoader, "abcd": AbcdLoader}[case.loader]
    return kind(str(path), on_error=on_error)


def outcome(case: Case, path: Path, on_error: str) -> dict[str, Any]:
    """What loading did, as plain data: the error (type, message, record, field) or what loaded."""
    from evalkit.errors import InvalidData, InvalidRecord

    try:
        loaded = loader_for(case, path, on_error).load()
    except InvalidRecord as err:
        return {"error": "InvalidRecord", "message": str(err), "index": err.index, "field": err.field}
    except InvalidData as err:
        return {"error": "InvalidData", "message": str(err)}
    return {"error": None, "ids": [t.id for t in loaded.transcripts],
            "skipped": [(e.index, e.field, str(e)) for e in loaded.skipped], "dataset": loaded}


if __name__ == "__main__":  # the deep cases, in a process of their own
    directory = Path(sys.argv[1])
    for n, case in enumerate(deep_cases()):
        path = place(case, directory, n)
        for on_error in ("raise", "skip"):
            result = {k: v for k, v in outcome(case, path, on_error).items() if k != "dataset"}
            print(json.dumps({"label": case.label, "on_error": on_error, **result}), flush=True)
