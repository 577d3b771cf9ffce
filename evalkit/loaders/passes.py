"""The passes over a dataset file: `load()` makes one that validates every record and keeps only what it must (the
ids seen, the records skipped, the count, the sha256); each iteration over the transcripts makes another that
yields them, so memory holds one read block and one record, never the dataset.

Both passes apply the same rules to the same bytes, so the second yields exactly the records the first accepted;
its sha256 must equal the first's, or the file changed in between and nothing it yielded can be trusted.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from evalkit.errors import InvalidData, InvalidRecord, check_choice
from evalkit.loaders.base import LoadedDataset, OnError, Records
from evalkit.loaders.source import SourceFile
from evalkit.transcript import Transcript

Read = Callable[[SourceFile], Records]  # a format's reader, over an open file
Build = Callable[[int, Any], Transcript]  # one record validated into a transcript, or InvalidRecord


def load_file(source: SourceFile, name: str, read: Read, build: Build, on_error: OnError, *, id_field: str = "id",
              turns_field: str = "turns") -> LoadedDataset:
    """Validate the open file in one pass; the dataset's transcripts read it again whenever they are iterated."""
    with gc_paused():
        count, skipped = validate(read(source), build, on_error, source.path, id_field, turns_field)
    digest = source.finish()
    transcripts = FileTranscripts(source.path, read, build, count, frozenset(e.index for e in skipped), digest)
    return LoadedDataset(name, source.path, transcripts, skipped, digest)


@contextmanager
def gc_paused() -> Iterator[None]:
    """The validating pass makes millions of small objects and keeps none, and none holds a reference cycle:
    refcounting frees them all, and the cyclic collector's passes over them were 15 % of the load of 100k
    conversations. (Not while iterating: the consumer's own code runs between two transcripts.)"""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def validate(records: Records, build: Build, on_error: OnError, file: str, id_field: str = "id",
             turns_field: str = "turns") -> tuple[int, tuple[InvalidRecord, ...]]:
    """Build a transcript from every record, keeping none: how many are valid, and the ones skipped.

    A bad record raises, or is skipped and counted when on_error='skip'. A valid conversation with no agent turn
    has nothing to replay: it is refused too, but under 'raise' only once every record is known to be well-formed,
    so a broken file is reported as broken first. A dataset left with no conversation is an error either way.
    """
    check_choice("on_error", on_error, ("raise", "skip"))
    count = 0
    skipped: list[InvalidRecord] = []
    seen: dict[str, int] = {}
    nothing_to_replay: InvalidRecord | None = None
    rows = records.rows
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
                if records.whole:
                    for _ in rows:  # a document broken further on fails as a whole, before any one record
                        pass
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
        count += 1
    if nothing_to_replay is not None and on_error == "raise":
        raise nothing_to_replay
    if not count:
        if skipped:
            raise InvalidData(f"{file}: no valid conversations: all {len(skipped)} records are invalid (the first: "
                              f"{skipped[0]})")
        raise InvalidData(f"{file}: no conversations")
    return count, tuple(skipped)


@dataclass(frozen=True)
class FileTranscripts:
    """The valid transcripts of a loaded file, read from it again on each iteration."""

    path: str
    read: Read
    build: Build
    count: int
    skip: frozenset[int]  # the records load() skipped (invalid, a duplicate id, nothing to replay)
    digest: str  # the sha256 load() read

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[Transcript]:
        try:
            source = SourceFile(self.path)
        except InvalidData as err:  # gone, emptied, unreadable: changed since load() read it
            raise self._changed(f"now {str(err).removeprefix(f'{self.path}: ')}") from None
        with source:
            try:
                for index, record in self.read(source).rows:
                    if index in self.skip:
                        continue
                    if isinstance(record, InvalidRecord):
                        raise record
                    yield self.build(index, record)
            except InvalidData:  # load() accepted these bytes: a refusal now means they are other bytes
                if (now := source.finish()) != self.digest:
                    raise self._changed(f"{now[:12]}… now") from None
                raise
            if (now := source.finish()) != self.digest:
                raise self._changed(f"{now[:12]}… now")

    def _changed(self, now: str) -> InvalidData:
        return InvalidData(f"{self.path}: changed while evalkit was reading it (sha256 {self.digest[:12]}… when "
                           f"loaded, {now}); run again")
