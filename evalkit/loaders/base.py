"""What a loader returns, reading its file, and the skip-or-fail policy every loader shares."""

from __future__ import annotations

import codecs
import gc
import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from evalkit.errors import InvalidData, InvalidRecord, check_choice
from evalkit.loaders.fields import MAX_DEPTH, MAX_TURN_CHARS, Limits
from evalkit.loaders.nesting import line_too_deep
from evalkit.transcript import Transcript

OnError = Literal["raise", "skip"]
Rows = Iterator[tuple[int, Any]]  # (record index, the record or the InvalidRecord its reader found instead)
_WIDE_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


@dataclass(frozen=True)
class LoadedDataset:
    name: str
    path: str
    transcripts: tuple[Transcript, ...]
    skipped: tuple[InvalidRecord, ...]
    digest: str  # sha256 of the source file(s): ties every result to the exact data it came from


class Loader(Protocol):
    name: str

    def load(self) -> LoadedDataset: ...


@dataclass(frozen=True)
class FileLoader:
    """The settings every file loader takes (the `dataset` config group's keys)."""

    path: str
    name: str = ""
    on_error: OnError = "raise"
    max_turn_chars: int = MAX_TURN_CHARS
    max_depth: int = MAX_DEPTH
    limits: Limits = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", str(self.path))
        check_choice("on_error", self.on_error, ("raise", "skip"))
        object.__setattr__(self, "limits", Limits(self.max_turn_chars, self.max_depth))  # bad settings fail here


def read_source(path: str) -> bytes:
    """The file's bytes, or one line saying why there are none to read."""
    source = Path(path)
    if source.is_dir():
        raise InvalidData(f"{path}: is a directory; dataset.path must name a file")
    if not source.exists():
        raise InvalidData(f"{path}: no such dataset file")
    if not source.is_file():
        raise InvalidData(f"{path}: not a regular file")
    try:
        data = source.read_bytes()
    except OSError as err:
        raise InvalidData(f"{path}: cannot be read ({err.strerror or err})") from None
    if not data or data.isspace():
        raise InvalidData(f"{path}: empty file: no conversations")
    return data


def without_bom(data: bytes, path: str) -> bytes:
    """UTF-8 text without its optional BOM; UTF-16 or UTF-32 (told by their BOM) is one clear line."""
    if data.startswith(_WIDE_BOMS):
        raise InvalidData(f"{path}: encoded as UTF-16 or UTF-32 (byte order mark); re-encode the file as UTF-8")
    return data.removeprefix(codecs.BOM_UTF8)


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@contextmanager
def gc_paused() -> Iterator[None]:
    """Loading makes millions of small objects that all survive: CPython's cyclic collector then runs over and over
    on a growing heap and finds nothing (it was a third of the load time of 100k conversations). Parsed records
    hold no reference cycles, so nothing is lost by collecting once, afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def collect(
    rows: Rows, build: Callable[[int, Any], Transcript], on_error: OnError, file: str, *,
    id_field: str = "id", turns_field: str = "turns",
) -> tuple[tuple[Transcript, ...], tuple[InvalidRecord, ...]]:
    """Build a transcript from every (index, record); a row may already be the InvalidRecord its reader found.

    A bad record raises, or is skipped and counted when on_error='skip'. A valid conversation with no agent turn
    has nothing to replay: it is refused too, but under 'raise' only once every record is known to be well-formed,
    so a broken file is reported as broken first. A dataset left with no conversation is an error either way.
    """
    with gc_paused():
        return _collect(rows, build, on_error, file, id_field, turns_field)


def _collect(
    rows: Rows, build: Callable[[int, Any], Transcript], on_error: OnError, file: str,
    id_field: str, turns_field: str,
) -> tuple[tuple[Transcript, ...], tuple[InvalidRecord, ...]]:
    check_choice("on_error", on_error, ("raise", "skip"))
    transcripts: list[Transcript] = []
    skipped: list[InvalidRecord] = []
    seen: dict[str, int] = {}
    nothing_to_replay: InvalidRecord | None = None
    for index, record in rows:
        try:
            if isinstance(record, InvalidRecord):
                raise record
            transcript = build(index, record)
            if transcript.id in seen:
                raise InvalidRecord(file, index, transcript.id, id_field,
                                    f"duplicate id (first seen in record {seen[transcript.id]})")
        except InvalidRecord as err:
            if on_error == "raise":
                raise
            skipped.append(err)
            continue
        seen[transcript.id] = index
        if not any(turn.role == "agent" for turn in transcript.turns):
            err = InvalidRecord(file, index, transcript.id, turns_field, "no agent turn: nothing to replay")
            if on_error == "skip":
                skipped.append(err)
            nothing_to_replay = nothing_to_replay or err
            continue
        transcripts.append(transcript)
    if nothing_to_replay is not None and on_error == "raise":
        raise nothing_to_replay
    if not transcripts:
        if skipped:
            raise InvalidData(f"{file}: no valid conversations: all {len(skipped)} records are invalid (the first: "
                              f"{skipped[0]})")
        raise InvalidData(f"{file}: no conversations")
    return tuple(transcripts), tuple(skipped)


# Shared file reading for the other readers of user files (evalkit.validity.rated.formats).


def file_digest(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def read_utf8(path: str | Path) -> str:
    """The file's text, or an error naming the file and where the bad bytes are."""
    data = Path(path).read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise InvalidData(
            f"{path}: not valid UTF-8 (byte 0x{data[err.start]:02x} at offset {err.start}, line {line}); "
            "re-encode the file as UTF-8"
        ) from None


def read_json(path: str | Path, max_depth: int = MAX_DEPTH) -> Any:
    """The parsed JSON document, or an error naming the file, line and column (nesting is bounded before parsing,
    so a hostile file is refused instead of exhausting the parser's recursion)."""
    text = read_utf8(path)
    if (line := line_too_deep(text, max_depth)) is not None:
        raise InvalidData(f"{path}: nested more than {max_depth} levels deep at line {line}")
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise InvalidData(f"{path}: not valid JSON at line {err.lineno}, column {err.colno}: {err.msg}") from None
