"""Generic transcripts in evalkit's own schema (datasets/README.md), as JSONL, a JSON array, CSV or Parquet."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evalkit.errors import InvalidData
from evalkit.loaders.base import FileLoader, LoadedDataset, Records
from evalkit.loaders.passes import load_file
from evalkit.loaders.schema import build_transcript
from evalkit.loaders.source import SourceFile
from evalkit.loaders.table_formats import READERS
from evalkit.transcript import Transcript

_FORMATS = {".jsonl": "jsonl", ".json": "json", ".csv": "csv", ".parquet": "parquet"}


@dataclass(frozen=True)
class TableLoader(FileLoader):
    """Columns `id`, `turns` (list of {role, text, meta}) and optional `meta`; in CSV, `turns`/`meta` hold JSON.

    `format` is told from the suffix unless set: jsonl, json (a JSON array, or JSON Lines), csv or parquet.
    """

    format: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.name:
            object.__setattr__(self, "name", Path(self.path).stem)

    def load(self) -> LoadedDataset:
        with SourceFile(self.path) as source:  # first: a directory or a missing file is that, whatever its suffix
            if self._format() not in READERS:
                raise InvalidData(f"{self.path}: cannot tell the format from the suffix; set dataset.format to "
                                  "jsonl, json, csv or parquet")
            return load_file(source, self.name, self._read, self._build, self.on_error)

    def _format(self) -> str:
        return self.format or _FORMATS.get(Path(self.path).suffix.lower(), "")

    def _read(self, source: SourceFile) -> Records:
        return READERS[self._format()](source, self.limits)

    def _build(self, index: int, record: Any) -> Transcript:
        return build_transcript(record, self.path, index, self.limits)
