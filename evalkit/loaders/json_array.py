"""Formats that are one JSON document holding the conversations (Twitter care, ABCD, evalkit's schema as an array).

The shared structure: read and parse the file strictly, find the records, name each by its id, build each with a
format's own rules. A subclass says where the records and their ids are, and how one becomes a transcript.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from evalkit.errors import InvalidData, InvalidRecord
from evalkit.loaders.base import FileLoader, LoadedDataset, Rows, collect, digest, read_source, without_bom
from evalkit.loaders.fields import Limits, RecordAt, type_name
from evalkit.loaders.strict_json import JsonRefused, StrictJson, first_flaw
from evalkit.transcript import Transcript


def parse_document(data: bytes, file: str, limits: Limits) -> tuple[Any, bool]:
    """The file's JSON document and whether it may hold refused values (see document_rows); a file that is not
    JSON, or nests too deep, is one line naming it."""
    try:
        return StrictJson(limits.max_depth).document(without_bom(data, file))
    except JsonRefused as err:
        raise InvalidData(f"{file}: {err.problem}") from None


def document_rows(records: list[Any], suspect: bool, file: str, id_of: Callable[[Any], str | None]) -> Rows:
    """Each record with its index; one holding a refused value (lone surrogate, duplicate key, NaN) is the error
    naming that field instead."""
    for index, record in enumerate(records):
        flaw = first_flaw(record) if suspect else None
        yield index, record if flaw is None else InvalidRecord(file, index, id_of(record), flaw[0] or "(record)",
                                                               flaw[1])


def records_list(document: Any, file: str) -> list[Any]:
    if not isinstance(document, list):
        raise InvalidData(f"{file}: expected a JSON array of conversations, got {type_name(document)}")
    return document


@dataclass(frozen=True)
class JsonArrayLoader(FileLoader):
    id_field: ClassVar[str]  # where the record's id is, as error messages name it
    turns_field: ClassVar[str]  # the record's list of turns, named when it has no agent turn

    def load(self) -> LoadedDataset:
        data = read_source(self.path)
        document, suspect = parse_document(data, self.path, self.limits)
        rows = document_rows(self.records(document), suspect, self.path, self.record_id)
        transcripts, skipped = collect(rows, self._build, self.on_error, self.path, id_field=self.id_field,
                                       turns_field=self.turns_field)
        return LoadedDataset(self.name, self.path, transcripts, skipped, digest(data))

    def records(self, document: Any) -> list[Any]:
        """The conversations in the parsed document: a JSON array unless the format says otherwise."""
        return records_list(document, self.path)

    def record_id(self, record: Any) -> str | None:
        """The record's id when it is a valid one (to name the record in errors), else None."""
        raise NotImplementedError

    def transcript(self, record: dict[str, Any], at: RecordAt) -> Transcript:
        """The record (a JSON object) validated into a transcript, or InvalidRecord naming the field."""
        raise NotImplementedError

    def _build(self, index: int, record: Any) -> Transcript:
        at = RecordAt(self.path, index, self.record_id(record))
        if not isinstance(record, dict):
            raise at.error("(record)", f"must be a JSON object, got {type_name(record)}")
        return self.transcript(record, at)
