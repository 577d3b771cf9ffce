"""What a loader returns, and the skip-or-fail policy every loader shares."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

from evalkit.errors import InvalidData, InvalidRecord, check_choice
from evalkit.transcript import Transcript

OnError = Literal["raise", "skip"]


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


def collect(
    records: Iterable[Any], build: Callable[[int, Any], Transcript], on_error: OnError, file: str
) -> tuple[tuple[Transcript, ...], tuple[InvalidRecord, ...]]:
    """Build a transcript from every record; a bad one raises, or is skipped and counted when on_error='skip'."""
    check_choice("on_error", on_error, ("raise", "skip"))
    transcripts, skipped, seen = [], [], {}
    for index, record in enumerate(records):
        try:
            transcript = build(index, record)
            if transcript.id in seen:
                raise InvalidRecord(file, index, transcript.id, "id",
                                    f"duplicate id (first seen in record {seen[transcript.id]})")
        except InvalidRecord as err:
            if on_error == "raise":
                raise
            skipped.append(err)
            continue
        seen[transcript.id] = index
        transcripts.append(transcript)
    return tuple(transcripts), tuple(skipped)



def read_json(path: str | Path) -> Any:
    """The parsed JSON document, or an error naming the file, line and column."""
    try:
        return json.loads(read_utf8(path))
    except json.JSONDecodeError as err:
        raise InvalidData(f"{path}: not valid JSON at line {err.lineno}, column {err.colno}: {err.msg}") from None
