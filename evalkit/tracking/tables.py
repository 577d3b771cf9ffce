"""Tables for MLflow's UI, written straight to files in the format `mlflow.log_table` writes (pandas' "split" JSON:
{"columns": [...], "data": [[...], ...]}), one row at a time, so a 100k-row table never sits in memory whole."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from evalkit.files import writing


def _cell(value: Any) -> Any:
    return None if isinstance(value, float) and not math.isfinite(value) else value


class TableFile:
    """A table file written row by row: `with TableFile(path, columns) as table: table.add(row)`. A write the
    machine refuses (StorageFailed) leaves no half table behind."""

    def __init__(self, path: Path, columns: Sequence[str]):
        self.path, self.columns, self.rows = path, list(columns), 0
        path.parent.mkdir(parents=True, exist_ok=True)
        with writing(path):
            self._out = path.open("w", encoding="utf-8")
            self._out.write('{"columns": ' + json.dumps(self.columns, ensure_ascii=False) + ', "data": [')

    def add(self, row: Mapping[str, Any]) -> None:
        """One row; missing cells are null."""
        with writing(self.path):
            self._out.write((",\n" if self.rows else "\n") + json.dumps(
                [_cell(row.get(c)) for c in self.columns], ensure_ascii=False, allow_nan=False, default=str))
        self.rows += 1

    def __enter__(self) -> TableFile:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        try:
            with writing(self.path):
                if kind is None:
                    self._out.write("]}\n")
                self._out.close()
        finally:
            if kind is not None:
                self.path.unlink(missing_ok=True)


def write_table(path: Path, columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> int:
    """Write the rows (missing cells null) and return how many there were."""
    with TableFile(path, columns) as table:
        for row in rows:
            table.add(row)
    return table.rows
