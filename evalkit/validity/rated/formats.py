"""Human-rated data formats: evalkit's own JSONL, flat one-rating-per-row tables, USR and FED ratings JSON.

`load_rated(path)` tells the format from the suffix and the first record, so `evalkit validate rated.path=X` works
on any of them unconverted. Bad records fail with file, record and field (InvalidRecord). The writers turn any of
them into evalkit's JSONL or the flat CSV (scripts/convert_usr_ratings.py).
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from evalkit.errors import InvalidData, InvalidRecord, check_choice
from evalkit.loaders.base import file_digest, read_json, read_utf8
from evalkit.transcript import Turn
from evalkit.validity.rated.model import RatedCandidate, RatedItem, RatedSet

FORMATS = ("auto", "nested", "flat", "usr", "fed")
# USR's name for the dialogue's own next turn: the natural reference for the other candidates.
USR_REFERENCE_MODEL = "Original Ground Truth"
_SPEAKERS = {"customer": "customer", "user": "customer", "human": "customer", "agent": "agent", "system": "agent",
             "assistant": "agent", "bot": "agent", "chatbot": "agent", "tool": "system", "note": "system"}
_PREFIX = re.compile(r"^\s*(\w+)\s*:\s?(.*)$", re.S)


def load_rated(path: str, format: str = "auto", name: str | None = None, usr_reference: str = "exclude",
               knowledge: bool = True) -> RatedSet:
    """Read a rated set. For USR data the original ground-truth reply becomes each item's reference and, with
    usr_reference="exclude" (default), is no candidate (a reference-based score of the reference itself says nothing);
    knowledge=True shows USR's fact / persona line to scorers as a leading system turn."""
    check_choice("rated.format", format, FORMATS)
    check_choice("rated.usr_reference", usr_reference, ("exclude", "keep"))
    if not Path(path).is_file():
        raise InvalidData(f"{path}: no such rated dataset file")
    records, kind = _records(path, format)
    if kind == "nested":
        items = [_nested(path, i, r) for i, r in enumerate(records)]
    elif kind == "flat":
        items = _flat(path, records)
    elif kind == "usr":
        items = [_usr(path, i, r, usr_reference == "keep", knowledge) for i, r in enumerate(records)]
    else:
        items = [item for i, r in enumerate(records) if (item := _fed(path, i, r)) is not None]
    ids = [item.id for item in items]
    if len(set(ids)) != len(ids):
        raise InvalidData(f"{path}: duplicate item ids: {sorted({i for i in ids if ids.count(i) > 1})[:5]}")
    if not items:
        raise InvalidData(f"{path}: no rated items")
    return RatedSet(name or Path(path).stem, str(path), file_digest(path), tuple(items))


def _records(path: str, format: str) -> tuple[list[Any], str]:
    suffix = Path(path).suffix.lower()
    if suffix == ".csv":
        with open(path, encoding="utf-8-sig", newline="") as handle:
            return list(csv.DictReader(handle)), "flat"
    if suffix == ".jsonl":
        records = []
        for i, line in enumerate(read_utf8(path).splitlines()):
            if line.strip():
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError as err:
                    raise InvalidRecord(path, i, None, "(line)", f"not valid JSON: {err.msg}") from None
    else:
        records = read_json(path)
        if isinstance(records, Mapping):  # some releases wrap the list: {"data": [...]}
            lists = [v for v in records.values() if isinstance(v, list)]
            records = lists[0] if len(lists) == 1 else records
        if not isinstance(records, list):
            raise InvalidData(f"{path}: expected a JSON list of rated items")
    if not records or not isinstance(records[0], Mapping):
        raise InvalidData(f"{path}: expected rated items as JSON objects")
    if format != "auto":
        return records, format
    first = records[0]
    for key, kind in (("candidates", "nested"), ("responses", "usr"), ("annotations", "fed"), ("rating", "flat")):
        if key in first:
            return records, kind
    raise InvalidData(f"{path}: cannot tell the rated format from record 0 (keys {sorted(first)}); "
                      "see datasets/rated/README.md or set rated.format")


def _rating(value: Any) -> float | None:
    """A number, or None for a missing one (null, "", "N/A (...)" as FED writes it)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value).strip())
    except ValueError:
        return None


def _ratings(path: str, index: int, item_id: str, where: str, raw: Any) -> dict[str, dict[str, float | None]]:
    if not isinstance(raw, Mapping) or not raw:
        raise InvalidRecord(path, index, item_id, where, "must be an object {aspect: [ratings] or {rater: rating}}")
    out = {}
    for aspect, values in raw.items():
        if isinstance(values, list):
            out[str(aspect)] = {str(k): _rating(v) for k, v in enumerate(values)}
        elif isinstance(values, Mapping):
            out[str(aspect)] = {str(k): _rating(v) for k, v in values.items()}
        elif isinstance(values, int | float) and not isinstance(values, bool):
            out[str(aspect)] = {"0": float(values)}
        else:
            raise InvalidRecord(path, index, item_id, f"{where}.{aspect}", "must be a list of ratings, "
                                "an object {rater: rating} or a number")
    return out


def _turns(path: str, index: int, item_id: str, raw: Any) -> tuple[Turn, ...]:
    """A list of {role, text}, or text: "role: text" lines, else plain lines alternating into the last speaker."""
    if isinstance(raw, list):
        turns = []
        for i, turn in enumerate(raw):
            if not isinstance(turn, Mapping) or not isinstance(turn.get("text"), str):
                raise InvalidRecord(path, index, item_id, f"context[{i}]", "must be an object with role and text")
            role = _SPEAKERS.get(str(turn.get("role", "")).lower())
            if role is None:
                raise InvalidRecord(path, index, item_id, f"context[{i}].role", f"unknown role {turn.get('role')!r}")
            turns.append(Turn(role, turn["text"]))
        return tuple(turns)
    if not isinstance(raw, str):
        raise InvalidRecord(path, index, item_id, "context", "must be a list of turns or text")
    if raw.strip().startswith("["):
        try:
            return _turns(path, index, item_id, json.loads(raw))
        except json.JSONDecodeError:
            pass
    return lines_to_turns(raw)


def lines_to_turns(text: str) -> tuple[Turn, ...]:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    prefixed = [_PREFIX.match(line) for line in lines]
    if lines and all(m and m.group(1).lower() in _SPEAKERS for m in prefixed):
        return tuple(Turn(_SPEAKERS[m.group(1).lower()], m.group(2)) for m in prefixed if m)
    # Unlabelled lines: the reply answers the last line, so speakers alternate back from it.
    n = len(lines)
    return tuple(Turn("customer" if (n - 1 - i) % 2 == 0 else "agent", line) for i, line in enumerate(lines))


def _nested(path: str, index: int, record: Mapping[str, Any]) -> RatedItem:
    item_id = record.get("id")
    if item_id is None or not str(item_id).strip():
        raise InvalidRecord(path, index, None, "id", "missing or empty")
    item_id = str(item_id)
    reference = record.get("reference")
    if reference is not None and not isinstance(reference, str):
        raise InvalidRecord(path, index, item_id, "reference", "must be a string or null")
    raw = record.get("candidates")
    if not isinstance(raw, list) or not raw:
        raise InvalidRecord(path, index, item_id, "candidates", "must be a non-empty list")
    candidates = []
    for i, c in enumerate(raw):
        if not isinstance(c, Mapping) or not isinstance(c.get("text"), str):
            raise InvalidRecord(path, index, item_id, f"candidates[{i}].text", "missing or not a string")
        candidates.append(RatedCandidate(str(c.get("id", i)), c["text"],
                                         _ratings(path, index, item_id, f"candidates[{i}].ratings", c.get("ratings"))))
    meta = {k: str(v) for k, v in (record.get("meta") or {}).items()}
    return RatedItem(item_id, _turns(path, index, item_id, record.get("context", [])), reference, tuple(candidates),
                     meta)


def _flat(path: str, rows: list[Mapping[str, Any]]) -> list[RatedItem]:
    """One rating per row: item_id, context, reference, candidate_id, candidate, aspect, rater, rating."""
    items: dict[str, dict[str, Any]] = {}
    for index, row in enumerate(rows):
        for column in ("item_id", "candidate", "aspect"):
            if row.get(column) in (None, ""):
                raise InvalidRecord(path, index, None, column, "missing")
        if "rating" not in row:
            raise InvalidRecord(path, index, None, "rating", "missing column (an empty cell is a missing rating)")
        item_id = str(row["item_id"])
        item = items.setdefault(item_id, {"index": index, "context": row.get("context") or "",
                                          "reference": row.get("reference") or None, "candidates": {}})
        candidate_id = str(row.get("candidate_id") or row["candidate"])
        candidate = item["candidates"].setdefault(candidate_id, {"text": row["candidate"], "ratings": {}})
        rater = str(row.get("rater") if row.get("rater") not in (None, "") else len(
            candidate["ratings"].get(row["aspect"], {})))
        rating = _rating(row["rating"])
        if rating is None and str(row["rating"] or "").strip():
            raise InvalidRecord(path, index, item_id, "rating", f"not a number: {row['rating']!r}")
        candidate["ratings"].setdefault(str(row["aspect"]), {})[rater] = rating
    return [RatedItem(item_id, _turns(path, item["index"], item_id, item["context"]), item["reference"],
                      tuple(RatedCandidate(cid, c["text"], c["ratings"]) for cid, c in item["candidates"].items()))
            for item_id, item in items.items()]


def _usr(path: str, index: int, record: Mapping[str, Any], keep_reference: bool, knowledge: bool) -> RatedItem:
    item_id = str(record.get("id", f"usr-{index:04d}"))
    context = record.get("context")
    responses = record.get("responses")
    if not isinstance(context, str):
        raise InvalidRecord(path, index, item_id, "context", "must be the conversation as text lines")
    if not isinstance(responses, list) or not responses:
        raise InvalidRecord(path, index, item_id, "responses", "must be a non-empty list")
    turns = lines_to_turns(context)
    fact = record.get("fact")
    if knowledge and isinstance(fact, str) and fact.strip():
        turns = (Turn("system", f"Knowledge: {' '.join(fact.split())}"), *turns)
    reference, candidates = None, []
    for i, response in enumerate(responses):
        where = f"responses[{i}]"
        if not isinstance(response, Mapping) or not isinstance(response.get("response"), str):
            raise InvalidRecord(path, index, item_id, f"{where}.response", "missing or not a string")
        model = str(response.get("model", i))
        text = response["response"].strip()
        if model == USR_REFERENCE_MODEL:
            reference = text
            if not keep_reference:
                continue
        aspects = {k: v for k, v in response.items() if k not in ("response", "model")}
        candidates.append(RatedCandidate(model, text, _ratings(path, index, item_id, where, aspects)))
    if not candidates:
        raise InvalidRecord(path, index, item_id, "responses", "no rated candidate besides the reference")
    return RatedItem(item_id, turns, reference, tuple(candidates))


def _fed(path: str, index: int, record: Mapping[str, Any]) -> RatedItem | None:
    """FED: a turn-level item rates `response` after `context`; dialogue-level items (no response) are left out."""
    response = record.get("response")
    if not isinstance(response, str):
        return None
    item_id = str(record.get("id", f"fed-{index:04d}"))
    reply = lines_to_turns(response)
    text = reply[-1].text if reply else response
    annotations = _ratings(path, index, item_id, "annotations", record.get("annotations"))
    system = str(record.get("system", "candidate"))
    return RatedItem(item_id, lines_to_turns(str(record.get("context", ""))), None,
                     (RatedCandidate(system, text, annotations),), {"system": system})


def nested_record(item: RatedItem) -> dict[str, Any]:
    record: dict[str, Any] = {"id": item.id, "context": [{"role": t.role, "text": t.text} for t in item.context],
                              "reference": item.reference,
                              "candidates": [{"id": c.id, "text": c.text,
                                              "ratings": {a: dict(r) for a, r in c.ratings.items()}}
                                             for c in item.candidates]}
    if item.meta:
        record["meta"] = dict(item.meta)
    return record


def write_nested(rated: RatedSet, path: str | Path) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        for item in rated.items:
            out.write(json.dumps(nested_record(item), ensure_ascii=False) + "\n")


def flat_rows(rated: RatedSet) -> Iterator[dict[str, Any]]:
    """One row per rating: the inverse of the flat reader, for spreadsheets."""
    for item, candidate in rated.rows:
        context = json.dumps([{"role": t.role, "text": t.text} for t in item.context], ensure_ascii=False)
        for aspect, ratings in candidate.ratings.items():
            for rater, rating in ratings.items():
                yield {"item_id": item.id, "context": context, "reference": item.reference or "",
                       "candidate_id": candidate.id, "candidate": candidate.text, "aspect": aspect, "rater": rater,
                       "rating": "" if rating is None else rating}


def write_flat(rated: RatedSet, path: str | Path) -> None:
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=["item_id", "context", "reference", "candidate_id", "candidate",
                                                 "aspect", "rater", "rating"])
        writer.writeheader()
        writer.writerows(flat_rows(rated))
