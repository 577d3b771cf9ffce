"""Generic transcripts in evalkit's own schema (datasets/README.md), as JSONL, CSV or Parquet, via HF datasets."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from evalkit.errors import InvalidData, InvalidRecord
from evalkit.loaders.base import LoadedDataset, OnError, collect, file_digest, read_utf8
from evalkit.loaders.schema import build_transcript
from evalkit.transcript import Transcript

_FORMATS = {".jsonl": "json", ".json": "json", ".csv": "csv", ".parquet": "parquet"}


class TableLoader:
    """Columns `id`, `turns` (list of {role, text, meta}) and optional `meta`; in CSV, `turns`/`meta` hold JSON."""

    def __init__(self, path: str, name: str | None = None, on_error: OnError = "raise", format: str | None = None):
        self.path = str(path)
        self.name = name or Path(path).stem
        self.on_error = on_error
        self.format = format or _FORMATS.get(Path(path).suffix.lower())

    def load(self) -> LoadedDataset:
        if self.format not in ("json", "csv", "parquet"):
            raise InvalidData(f"{self.path}: cannot tell the format from the suffix; set dataset.format to json, "
                              "csv or parquet")
        records = self._records()
        transcripts, skipped = collect(records, self._build, self.on_error, self.path)
        return LoadedDataset(self.name, self.path, transcripts, skipped, file_digest(self.path))

    def _records(self) -> list[Any]:
        if not Path(self.path).is_file():
            raise InvalidData(f"{self.path}: no such dataset file")
        os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
        import datasets

        datasets.disable_progress_bars()  # the CLI's output is the summary, and errors must stay one line
        if self.format != "parquet":
            read_utf8(self.path)  # a clear encoding error before arrow's opaque one
        try:
            return list(datasets.load_dataset(self.format, data_files=self.path, split="train"))
        except Exception:
            if self.format != "json":
                raise
            # Arrow rejects the whole file for one bad line, or for types that differ between records, in ways
            # that vary by version and never say where; the plain parser finds the line (or reads the file
            # anyway), and lets on_error=skip keep the rest.
            return list(self._json_lines())

    def _json_lines(self):
        for index, line in enumerate(read_utf8(self.path).splitlines()):
            if not line.strip():
                continue
            try:
                yield json.loads(line)
            except json.JSONDecodeError as err:
                problem = f"not valid JSON: {err.msg} at column {err.colno}"
                yield InvalidRecord(self.path, index, None, "(line)", problem)

    def _build(self, index: int, record: Any) -> Transcript:
        if isinstance(record, InvalidRecord):
            raise record
        if not isinstance(record, dict):
            raise InvalidRecord(self.path, index, None, "(record)", "must be a JSON object")
        turns, meta = record.get("turns"), record.get("meta")
        turns = self._maybe_json(turns, index, record.get("id"), "turns")
        meta = self._maybe_json(meta, index, record.get("id"), "meta")
        if isinstance(turns, list):
            turns = [_without_nulls(t) for t in turns]
        return build_transcript(record.get("id"), turns, _without_nulls(meta), file=self.path, index=index)

    def _maybe_json(self, value: Any, index: int, record_id: Any, field_name: str) -> Any:
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except json.JSONDecodeError as err:
            raise InvalidRecord(self.path, index, None if record_id is None else str(record_id), field_name,
                                f"not valid JSON: {err.msg}") from None


def _without_nulls(value: Any) -> Any:
    """Arrow gives every record every struct key, absent ones as None; drop them so meta stays as written."""
    if isinstance(value, dict):
        return {k: (_without_nulls(v) if k == "meta" else v) for k, v in value.items() if v is not None}
    return value
