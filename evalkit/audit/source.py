"""The run an audit reads: a run directory, or an MLflow run id (its results fetched from the store), with the
pass thresholds of its scores (the run's rubric criteria, and what the audit config sets)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from evalkit.compare.sources import RunResults, read_run_dir
from evalkit.errors import InvalidData
from evalkit.tracking.fetch import fetch_run


@dataclass(frozen=True)
class AuditedRun:
    results: RunResults
    thresholds: Mapping[str, float]  # score column -> pass threshold (rubric criteria, and what the user set)

    @property
    def run_id(self) -> str | None:
        return self.results.run_id


def load_run(run: str, tracking_uri: str, thresholds: Mapping[str, float] | None = None) -> AuditedRun:
    """`run` is a run directory or an MLflow run id (parent or a bot's nested run)."""
    if not run:
        raise InvalidData("audit: name the run to audit: run=<run directory or MLflow run id>")
    path = Path(run)
    results = read_run_dir(path) if path.is_dir() else fetch_run(run, tracking_uri)
    return AuditedRun(results, dict(thresholds or {}))
