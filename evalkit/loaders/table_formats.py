"""The files evalkit's schema comes in, read into plain records ({id, turns, meta}): JSONL, a JSON array, CSV,
Parquet. Each reader yields (index, record), or (index, InvalidRecord) where a record could not even be read, so
on_error=skip keeps the rest of the file.

Why not Hugging Face `datasets` (which this loader used to go through): it writes an Arrow copy of every file it
loads into ~/.cache/huggingface (transcripts are personal data, and the copy outlives the run); it guesses types
across records (CSV `000` became 0, a date-like id a timestamp, mixed types an error that names no line); its JSON
reader (pyarrow) segfaulted on deep nesting; and it took 10-16 s for 100k JSONL conversations. The json and csv
modules and pyarrow's Parquet reader read the file as written, from memory, with errors that name the line, and leave
nothing behind: 2.6-3 s for the same 100k (on a busy 2-core machine where json.loads alone takes 1.6 s; CSV and
Parquet alike). A temporary HF cache would fix only the copy, not the guessing or the speed.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from evalkit.errors import InvalidData, InvalidRecord
from evalkit.loaders.base import Rows, without_bom
from evalkit.loaders.fields import Limits, RecordAt, valid_id
from evalkit.loaders.json_array import document_rows, parse_document, records_list
from evalkit.loaders.strict_json import JsonRefused, StrictJson, has_surrogate

_COLUMNS = ("id", "turns", "meta")
_REQUIRED = ("id", "turns")


def jsonl_rows(data: bytes, file: str, limits: Limits) -> Rows:
    """Record i is line i + 1; blank lines are allowed and skipped."""
    parser = StrictJson(limits.max_depth)
    for index, line in enumerate(without_bom(data, file).split(b"\n")):  # never splitlines: U+2028 is valid JSON
        if not line or line.isspace():
            continue
        try:
            yield index, parser.value(line)
        except JsonRefused as err:
            yield index, _refused(err, RecordAt(file, index))


def json_rows(data: bytes, file: str, limits: Limits) -> Rows:
    """A .json file: one JSON array of records, or JSON Lines."""
    if not without_bom(data, file).lstrip().startswith(b"["):
        return jsonl_rows(data, file, limits)
    document, suspect = parse_document(data, file, limits)
    return document_rows(records_list(document, file), suspect, file, _id_of)


def csv_rows(data: bytes, file: str, limits: Limits) -> Rows:
    """Record i is the i-th row after the header (blank lines skipped). Every cell is text as written: no type
    guessing, so `000` stays '000'. `turns` and `meta` hold JSON."""
    # Bytes that are no UTF-8 become lone surrogates here and are refused in their cell, so one bad record does
    # not cost the file under on_error=skip.
    header, rows = _csv_table(without_bom(data, file).decode("utf-8", "surrogateescape"), file)
    parser = StrictJson(limits.max_depth)
    for index, row in enumerate(rows):
        at = RecordAt(file, index)
        if isinstance(row, str):
            yield index, at.error("(row)", row)
        elif len(row) != len(header):
            yield index, at.error("(row)", f"has {len(row)} cells, the header {len(header)}")
        else:
            yield index, _csv_record(dict(zip(header, row, strict=True)), parser, at)


def parquet_rows(data: bytes, file: str, limits: Limits) -> Rows:
    """Record i is row i. `turns` and `meta` may be nested columns or JSON strings."""
    import pyarrow as pa  # only Parquet needs it, and it is slow to import
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(pa.BufferReader(data))
        schema = parquet.schema_arrow
    except (pa.ArrowException, OSError, ValueError) as err:
        raise InvalidData(f"{file}: not a readable Parquet file ({_one_line(err)})") from None
    _check_columns(schema.names, file)
    for column in schema:
        if (depth := 1 + _nesting(column.type, limits.max_depth)) > limits.max_depth:
            raise InvalidData(f"{file}: column {column.name!r} nests more than max_depth={limits.max_depth} levels "
                              f"deep ({depth}); refused unread")
    try:
        table = parquet.read(columns=[name for name in _COLUMNS if name in schema.names])
    except (pa.ArrowException, OSError, ValueError) as err:
        raise InvalidData(f"{file}: not a readable Parquet file ({_one_line(err)})") from None
    columns = {name: _python_values(table.column(name)) for name in table.column_names}
    parser = StrictJson(limits.max_depth)
    for index in range(table.num_rows):
        yield index, _parquet_record({name: values[index] for name, values in columns.items()}, parser,
                                     RecordAt(file, index))


@dataclass(frozen=True)
class _Unreadable:
    """A Parquet cell pyarrow cannot turn into a Python value (say, a string column holding bytes no UTF-8)."""

    problem: str


def _csv_table(text: str, file: str) -> tuple[list[str], list[list[str] | str]]:
    """The header and every row (or, for a row the csv module rejects, why), read in one go: the field size limit
    is process-wide, so it is raised only while this file is read."""
    previous = csv.field_size_limit()
    csv.field_size_limit(max(previous, len(text) + 1))  # the stdlib's 128 KiB is less than one long turns cell
    try:
        reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        try:
            header = next(reader, None)
        except csv.Error as err:
            raise InvalidData(f"{file}: not valid CSV at line {reader.line_num}: {err}") from None
        if header is None:
            raise InvalidData(f"{file}: empty file: no conversations")
        rows: list[list[str] | str] = []
        while True:
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as err:
                rows.append(f"not valid CSV at line {reader.line_num}: {err}")
                continue
            if row:
                rows.append(row)
    finally:
        csv.field_size_limit(previous)
    if any(has_surrogate(name) for name in header):
        raise InvalidData(f"{file}: the header row is not valid UTF-8; re-encode the file as UTF-8")
    _check_columns(header, file)
    return header, rows


def _check_columns(names: list[str], file: str) -> None:
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise InvalidData(f"{file}: column {twice[0]!r} appears twice")
    missing = [name for name in _REQUIRED if name not in names]
    if missing:
        raise InvalidData(f"{file}: no {missing[0]!r} column (the columns are {', '.join(map(repr, names[:10]))})")


def _csv_record(cells: dict[str, str], parser: StrictJson, at: RecordAt) -> dict[str, Any] | InvalidRecord:
    for name in _COLUMNS:  # the columns evalkit reads; others are ignored, as in every format
        if has_surrogate(cells.get(name, "")):
            return at.error(name, "not valid UTF-8 (bytes that are no character); re-encode the file as UTF-8")
    at = RecordAt(at.file, at.index, valid_id(cells["id"]))
    record: dict[str, Any] = {"id": cells["id"]}
    for name in ("turns", "meta"):
        cell = cells.get(name, "")
        try:
            record[name] = parser.value(cell, name) if cell.strip() else None
        except JsonRefused as err:
            return at.error(err.field or name, err.problem)
    return record


def _parquet_record(cells: dict[str, Any], parser: StrictJson, at: RecordAt) -> dict[str, Any] | InvalidRecord:
    at = RecordAt(at.file, at.index, valid_id(cells.get("id")))
    for name, cell in cells.items():
        if isinstance(cell, _Unreadable):
            return at.error(name, cell.problem)
    record: dict[str, Any] = {"id": cells.get("id")}
    for name in ("turns", "meta"):
        cell = cells.get(name)
        try:
            record[name] = parser.value(cell, name) if isinstance(cell, str) else _without_nulls(cell, name)
        except JsonRefused as err:
            return at.error(err.field or name, err.problem)
    return record


def _without_nulls(value: Any, name: str) -> Any:
    """Arrow gives every row every struct key, absent ones as null: drop them, so meta and turns stay as written
    (in Parquet a null and an absent key cannot be told apart)."""
    if name == "turns" and isinstance(value, list):
        return [_without_nulls(turn, "turn") for turn in value]
    if isinstance(value, dict):
        return {k: (_without_nulls(v, "meta") if k == "meta" and name == "turn" else v)
                for k, v in value.items() if v is not None}
    return value


def _python_values(column: Any) -> list[Any]:
    """The column as Python values; where pyarrow cannot convert some, those cells (only) become _Unreadable."""
    import pyarrow as pa

    try:
        return column.to_pylist()
    except (pa.ArrowException, ValueError, OverflowError) as err:  # UnicodeDecodeError is a ValueError
        first = _one_line(err)
    values: list[Any] = []
    for i in range(len(column)):
        try:
            values.append(column[i].as_py())
        except UnicodeDecodeError as err:
            values.append(_Unreadable(f"not valid UTF-8 (byte 0x{err.object[err.start]:02x} at byte {err.start + 1})"))
        except (pa.ArrowException, ValueError, OverflowError) as err:
            values.append(_Unreadable(f"cannot be read ({_one_line(err) or first})"))
    return values


def _nesting(arrow_type: Any, limit: int) -> int:
    """Levels of nesting in an Arrow type (each struct, list or map is one), counted without recursion and only
    up to just past limit, since a hostile file's schema may be deeper than Python's stack."""
    import pyarrow as pa

    deepest, stack = 0, [(arrow_type, 0)]
    while stack and deepest <= limit:
        node, depth = stack.pop()
        if pa.types.is_dictionary(node):
            stack.append((node.value_type, depth))
        elif node.num_fields:
            deepest = max(deepest, depth + 1)
            stack.extend((node.field(i).type, depth + 1) for i in range(node.num_fields))
    return deepest


def _refused(err: JsonRefused, at: RecordAt) -> InvalidRecord:
    """A JSONL line refused: named by its id when it parsed far enough to have one, else by its line."""
    if err.value is None:
        return at.error("(line)", f"{err.problem} on line {at.index + 1}")
    return RecordAt(at.file, at.index, _id_of(err.value)).error(err.field or "(record)", err.problem)


def _id_of(record: Any) -> str | None:
    return valid_id(record.get("id")) if isinstance(record, dict) else None


def _one_line(err: BaseException) -> str:
    return " ".join(str(err).split())[:300]


READERS: dict[str, Callable[[bytes, str, Limits], Rows]] = {
    "jsonl": jsonl_rows, "json": json_rows, "csv": csv_rows, "parquet": parquet_rows}
