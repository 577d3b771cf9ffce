"""Formats that are one JSON document holding the conversations (Twitter care, ABCD, evalkit's schema as an array).

The shared structure: stream the document's records (evalkit.loaders.json_stream), name each by its id, build each
with a format's own rules. A subclass says where the records and their ids are, and how one becomes a transcript.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, ClassVar, NoReturn

from evalkit.errors import InvalidData, InvalidRecord
from evalkit.loaders.base import FileLoader, LoadedDataset, Records, Rows, without_bom
from evalkit.loaders.fields import Limits, RecordAt, type_name
from evalkit.loaders.json_stream import JsonStream
from evalkit.loaders.passes import load_file
from evalkit.loaders.source import SourceFile
from evalkit.loaders.strict_json import JsonRefused, StrictJson, first_flaw
from evalkit.transcript import Transcript

Elements = Iterator[tuple[Any, bool]]  # each record, and whether it may hold refused values (see first_flaw)


def array_elements(stream: JsonStream, source: SourceFile, limits: Limits) -> Elements:
    """The elements of the document's array; a document that is no array is refused as a whole."""
    if stream.first() != "[":
        refuse_whole(source, limits)
    yield from stream.elements()
    stream.end()


def refuse_whole(source: SourceFile, limits: Limits) -> NoReturn:
    """A document that holds no array of conversations: parsed whole, as it always was, to say why (not JSON, or
    JSON of another type). It is refused either way, so its size costs nothing a valid file would pay."""
    try:
        document, _ = StrictJson(limits.max_depth).document(without_bom(source.whole(), source.path))
    except JsonRefused as err:
        raise InvalidData(f"{source.path}: {err.problem}") from None
    raise InvalidData(f"{source.path}: expected a JSON array of conversations, got {type_name(document)}")


def element_rows(elements: Elements, file: str, id_of: Callable[[Any], str | None]) -> Rows:
    """Each record with its index; one holding a refused value (lone surrogate, duplicate key, NaN) is the error
    naming that field instead."""
    for index, (record, suspect) in enumerate(elements):
        flaw = first_flaw(record) if suspect else None
        yield index, record if flaw is None else InvalidRecord(file, index, id_of(record), flaw[0] or "(record)",
                                                               flaw[1])


@dataclass(frozen=True)
class JsonArrayLoader(FileLoader):
    id_field: ClassVar[str]  # where the record's id is, as error messages name it
    turns_field: ClassVar[str]  # the record's list of turns, named when it has no agent turn

    def load(self) -> LoadedDataset:
        with SourceFile(self.path) as source:
            return load_file(source, self.name, self._read, self._build, self.on_error, id_field=self.id_field,
                             turns_field=self.turns_field)

    def records(self, stream: JsonStream, source: SourceFile) -> Elements:
        """The conversations in the document: a JSON array's elements unless the format says otherwise."""
        return array_elements(stream, source, self.limits)

    def record_id(self, record: Any) -> str | None:
        """The record's id when it is a valid one (to name the record in errors), else None."""
        raise NotImplementedError

    def transcript(self, record: dict[str, Any], at: RecordAt) -> Transcript:
        """The record (a JSON object) validated into a transcript, or InvalidRecord naming the field."""
        raise NotImplementedError

    def _read(self, source: SourceFile) -> Records:
        stream = JsonStream(source, self.path, StrictJson(self.limits.max_depth))
        return Records(element_rows(self.records(stream, source), self.path, self.record_id), whole=True)

    def _build(self, index: int, record: Any) -> Transcript:
        at = RecordAt(self.path, index, self.record_id(record))
        if not isinstance(record, dict):
            raise at.error("(record)", f"must be a JSON object, got {type_name(record)}")
        return self.transcript(record, at)
