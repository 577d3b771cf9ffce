"""The files evalkit's schema comes in, read into plain records ({id, turns, meta}): JSONL, a JSON array, CSV,
Parquet. Each reader gives the Records of one pass: (index, record), or (index, InvalidRecord) where a record could
not even be read, so on_error=skip keeps the rest of the file.

Why not Hugging Face `datasets` (which this loader used to go through): it writes an Arrow copy of every file it
loads into ~/.cache/huggingface (transcripts are personal data, and the copy outlives the run); it guesses types
across records (CSV `000` became 0, a date-like id a timestamp, mixed types an error that names no line); its JSON
reader (pyarrow) segfaulted on deep nesting; and it took 10-16 s for 100k JSONL conversations. The json and csv
modules and pyarrow's Parquet reader read the file as written, with errors that name the line, and leave
nothing behind: 2.6-3 s for the same 100k (on a busy 2-core machine where json.loads alone takes 1.6 s; CSV and
Parquet alike). A temporary HF cache would fix only the copy, not the guessing or the speed.

Each reader streams its file (evalkit.loaders.source): JSONL line by line, CSV through csv.reader over a text stream,
Parquet in batches of rows, a JSON array element by element (evalkit.loaders.json_stream), so a pass holds one read
block and one record.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from evalkit.errors import InvalidData, InvalidRecord
from evalkit.loaders.base import Records, Rows
from evalkit.loaders.fields import Limits, RecordAt, valid_id
from evalkit.loaders.json_array import array_elements, element_rows
from evalkit.loaders.json_stream import JsonStream
from evalkit.loaders.source import SourceFile
from evalkit.loaders.strict_json import JsonRefused, StrictJson, has_surrogate

_COLUMNS = ("id", "turns", "meta")
_REQUIRED = ("id", "turns")
_BUFFER = 1 << 20  # bytes read at a time from a JSONL or CSV file
_PARQUET_ROWS = 1024  # rows converted to Python at a time: a few MB of records, whatever the file's row groups


def jsonl_rows(source: SourceFile, limits: Limits) -> Records:
    return Records(_jsonl(source, limits), whole=False)


def _jsonl(source: SourceFile, limits: Limits) -> Rows:
    """Record i is line i + 1; blank lines are allowed and skipped."""
    source.skip_bom()
    parser = StrictJson(limits.max_depth)
    # Binary lines end at b"\n" only (never splitlines: U+2028 is valid JSON).
    for index, line in enumerate(io.BufferedReader(source.stream(), _BUFFER)):
        if line.isspace():
            continue
        line = line.removesuffix(b"\n")  # as split from the file, so a message says "column 7", not "line 1, ..."
        try:
            yield index, parser.value(line)
        except JsonRefused as err:
            yield index, _refused(err, RecordAt(source.path, index))


def json_rows(source: SourceFile, limits: Limits) -> Records:
    """A .json file: one JSON array of records, or JSON Lines."""
    if source.lead() != b"[":
        return jsonl_rows(source, limits)
    stream = JsonStream(source, source.path, StrictJson(limits.max_depth))
    return Records(element_rows(array_elements(stream, source, limits), source.path, _id_of), whole=True)


def csv_rows(source: SourceFile, limits: Limits) -> Records:
    return Records(_csv(source, limits), whole=False)


def _csv(source: SourceFile, limits: Limits) -> Rows:
    """Record i is the i-th row after the header (blank lines skipped). Every cell is text as written: no type
    guessing, so `000` stays '000'. `turns` and `meta` hold JSON."""
    file = source.path
    source.skip_bom()
    # Bytes that are no UTF-8 become lone surrogates here and are refused in their cell, so one bad record does
    # not cost the file under on_error=skip.
    text = io.TextIOWrapper(io.BufferedReader(source.stream(), _BUFFER), encoding="utf-8", errors="surrogateescape",
                            newline="")
    rows = _CsvRows(csv.reader(text, strict=True), source.size() + 1)
    try:
        header = rows.next()
    except csv.Error as err:
        raise InvalidData(f"{file}: not valid CSV at line {rows.reader.line_num}: {err}") from None
    if header is None:
        raise InvalidData(f"{file}: empty file: no conversations")
    if any(has_surrogate(name) for name in header):
        raise InvalidData(f"{file}: the header row is not valid UTF-8; re-encode the file as UTF-8")
    _check_columns(header, file)
    parser = StrictJson(limits.max_depth)
    index = 0
    while True:
        at = RecordAt(file, index)
        try:
            row = rows.next()
        except csv.Error as err:
            yield index, at.error("(row)", f"not valid CSV at line {rows.reader.line_num}: {err}")
            index += 1
            continue
        if row is None:
            return
        if not row:
            continue
        if len(row) != len(header):
            yield index, at.error("(row)", f"has {len(row)} cells, the header {len(header)}")
        else:
            yield index, _csv_record(dict(zip(header, row, strict=True)), parser, at)
        index += 1


@dataclass(frozen=True)
class _CsvRows:
    """The rows of a CSV reader. The field size limit is process-wide, so it is raised only while a row is read
    (the stdlib's 128 KiB is less than one long turns cell; no cell is longer than the file)."""

    reader: Any  # a csv.reader (its type is not importable)
    field_limit: int

    def next(self) -> list[str] | None:
        previous = csv.field_size_limit(max(csv.field_size_limit(), self.field_limit))
        try:
            return next(self.reader, None)
        finally:
            csv.field_size_limit(previous)


def parquet_rows(source: SourceFile, limits: Limits) -> Records:
    return Records(_parquet(source, limits), whole=True)


def _parquet(source: SourceFile, limits: Limits) -> Rows:
    """Record i is row i. `turns` and `meta` may be nested columns or JSON strings."""
    import pyarrow as pa  # only Parquet needs it, and it is slow to import
    import pyarrow.parquet as pq

    file = source.path
    unreadable = (pa.ArrowException, OSError, ValueError)
    try:
        parquet = pq.ParquetFile(source.random_access(), buffer_size=_BUFFER)
        schema = parquet.schema_arrow
    except unreadable as err:
        raise InvalidData(f"{file}: not a readable Parquet file ({_one_line(err)})") from None
    _check_columns(schema.names, file)
    for column in schema:
        if (depth := 1 + _nesting(column.type, limits.max_depth)) > limits.max_depth:
            raise InvalidData(f"{file}: column {column.name!r} nests more than max_depth={limits.max_depth} levels "
                              f"deep ({depth}); refused unread")
    parser = StrictJson(limits.max_depth)
    index = 0
    try:
        batches = parquet.iter_batches(batch_size=_PARQUET_ROWS, columns=[n for n in _COLUMNS if n in schema.names])
        batch = next(batches, None)
    except unreadable as err:
        raise InvalidData(f"{file}: not a readable Parquet file ({_one_line(err)})") from None
    while batch is not None:
        columns = {name: _python_values(batch.column(name)) for name in batch.schema.names}
        for row in range(batch.num_rows):
            yield index, _parquet_record({name: values[row] for name, values in columns.items()}, parser,
                                         RecordAt(file, index))
            index += 1
        try:
            batch = next(batches, None)
        except unreadable as err:
            raise InvalidData(f"{file}: not a readable Parquet file ({_one_line(err)})") from None


@dataclass(frozen=True)
class _Unreadable:
    """A Parquet cell pyarrow cannot turn into a Python value (say, a string column holding bytes no UTF-8)."""

    problem: str


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


READERS: dict[str, Callable[[SourceFile, Limits], Records]] = {
    "jsonl": jsonl_rows, "json": json_rows, "csv": csv_rows, "parquet": parquet_rows}
