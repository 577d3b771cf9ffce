"""What a loader returns, what a format's reader gives for one pass over its file, and the loader settings."""

from __future__ import annotations

import codecs
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from evalkit.errors import InvalidData, InvalidRecord, check_choice
from evalkit.loaders.fields import MAX_DEPTH, MAX_TURN_CHARS, Limits
from evalkit.loaders.nesting import line_too_deep
from evalkit.loaders.source import WIDE_BOMS
from evalkit.transcript import Transcript

OnError = Literal["raise", "skip"]
Rows = Iterator[tuple[int, Any]]  # (record index, the record or the InvalidRecord its reader found instead)


class Transcripts(Protocol):
    """A dataset's valid transcripts, in file order, as often as asked: a tuple, or a file read again on each
    iteration (evalkit.loaders.passes.FileTranscripts), so that no run holds them all."""

    def __iter__(self) -> Iterator[Transcript]: ...

    def __len__(self) -> int: ...


@dataclass(frozen=True)
class LoadedDataset:
    name: str
    path: str
    transcripts: Transcripts
    skipped: tuple[InvalidRecord, ...]
    digest: str  # sha256 of the source file(s): ties every result to the exact data it came from


@dataclass(frozen=True)
class Records:
    """What a format's reader gives for one pass over its file: each (index, record), a record its reader could not
    read being the InvalidRecord that says why."""

    rows: Rows
    whole: bool  # one document (a JSON array, Parquet): a problem anywhere in it fails the file, so under
    #              on_error=raise a refused record is raised only once the rest has been read


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


def without_bom(data: bytes, path: str) -> bytes:
    """UTF-8 text without its optional BOM; UTF-16 or UTF-32 (told by their BOM) is one clear line."""
    if data.startswith(WIDE_BOMS):
        raise InvalidData(f"{path}: encoded as UTF-16 or UTF-32 (byte order mark); re-encode the file as UTF-8")
    return data.removeprefix(codecs.BOM_UTF8)


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
