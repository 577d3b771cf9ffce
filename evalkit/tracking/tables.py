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


def write_table(path: Path, columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> int:
    """Write the rows (missing cells null) and return how many there were."""
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with writing(path), path.open("w", encoding="utf-8") as out:
        out.write('{"columns": ' + json.dumps(list(columns), ensure_ascii=False) + ', "data": [')
        for row in rows:
            out.write((",\n" if count else "\n") + json.dumps([_cell(row.get(c)) for c in columns], ensure_ascii=False,
                                                               allow_nan=False, default=str))
            count += 1
        out.write("]}\n")
    return count
