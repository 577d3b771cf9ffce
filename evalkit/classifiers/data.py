"""Labelled examples for text classifiers: text, optional context, label (and a group that keeps folds apart).

Every model in evalkit.classifiers takes a pandas DataFrame with the columns `text` and `context`, so a fitted
pipeline can be logged to MLflow as is and called the same way by the scorers.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from evalkit.errors import InvalidData, InvalidRecord
from evalkit.scorers.classifier import CONTEXT, TEXT, model_input


@dataclass(frozen=True)
class LabelledData:
    texts: tuple[str, ...]
    contexts: tuple[str, ...]
    labels: tuple[str, ...]
    groups: tuple[str, ...]  # examples from one conversation share a group, so no fold sees it twice
    source: str = ""
    kinds: tuple[str, ...] = ()  # optional, per example: how it was made ("true", "truncated", ...), for reports

    def __post_init__(self) -> None:
        n = len(self.texts)
        if not (len(self.contexts) == len(self.labels) == len(self.groups) == n):
            raise ValueError("texts, contexts, labels and groups must have the same length")
        if self.kinds and len(self.kinds) != n:
            raise ValueError("kinds, when given, must have one entry per example")

    def __len__(self) -> int:
        return len(self.texts)

    def frame(self) -> pd.DataFrame:
        """The model input; with kinds, also a `kind` column (which supervision a row is, for models that fit
        kinds apart: evalkit.classifiers.quality_model). Feature steps read columns by name, so it is ignored
        elsewhere, and scoring needs none."""
        frame = model_input(self.texts, self.contexts)
        if self.kinds:
            frame["kind"] = list(self.kinds)
        return frame

    def label_counts(self) -> dict[str, int]:
        return {str(k): int(v) for k, v in pd.Series(self.labels).value_counts().sort_index().items()}


_READERS = {
    ".jsonl": lambda p: pd.read_json(p, lines=True, dtype=False),
    ".json": lambda p: pd.read_json(p, dtype=False),
    ".csv": lambda p: pd.read_csv(p, dtype=str, keep_default_na=False),
    ".parquet": pd.read_parquet,
}


def read_labelled(path: str | Path, task: str | None = None, text_field: str = TEXT,
                  context_field: str = CONTEXT, label_field: str = "label", group_field: str | None = None,
                  task_field: str = "task") -> LabelledData:
    """Read a JSONL/CSV/Parquet file of labelled texts; bad rows fail with file, row and field."""
    path = str(path)
    reader = _READERS.get(Path(path).suffix.lower())
    if reader is None:
        raise InvalidData(f"{path}: unknown format; use .jsonl, .json, .csv or .parquet")
    if not Path(path).is_file():
        raise InvalidData(f"{path}: no such file")
    try:
        frame = reader(path)
    except ValueError as err:
        raise InvalidData(f"{path}: cannot read: {str(err).splitlines()[0]}") from None
    if task is not None:
        if task_field not in frame.columns:
            raise InvalidData(f"{path}: a task ({task!r}) was asked for but the file has no {task_field!r} column")
        frame = frame[frame[task_field] == task]
        if frame.empty:
            raise InvalidData(f"{path}: no rows with {task_field}={task!r}")
    for required in (text_field, label_field):
        if required not in frame.columns:
            raise InvalidData(f"{path}: missing column {required!r} (columns: {', '.join(map(str, frame.columns))})")
    texts, contexts, labels, groups = [], [], [], []
    has_context = context_field in frame.columns
    for index, row in zip(frame.index, frame.to_dict("records"), strict=True):
        text, label = row[text_field], row[label_field]
        if not isinstance(text, str) or not text.strip():
            raise InvalidRecord(path, int(index), None, text_field, "missing or empty text")
        if label is None or (isinstance(label, float) and label != label) or str(label).strip() == "":
            raise InvalidRecord(path, int(index), None, label_field, "missing label")
        context = row[context_field] if has_context else ""
        if context is not None and not isinstance(context, str):
            raise InvalidRecord(path, int(index), None, context_field,
                                f"must be a string, got {type(context).__name__}")
        texts.append(text)
        contexts.append(context or "")
        labels.append(str(label))
        groups.append(str(row[group_field]) if group_field else str(index))
    if len(set(labels)) < 2:
        raise InvalidData(f"{path}: need at least two distinct labels to train a classifier, got {sorted(set(labels))}")
    return LabelledData(tuple(texts), tuple(contexts), tuple(labels), tuple(groups), source=path)
