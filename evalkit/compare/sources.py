"""Where compared bots come from: a run directory, or an MLflow run (fetched into a directory first)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from evalkit.errors import InvalidData
from evalkit.results import Record, ResultsLog


@dataclass(frozen=True)
class RunResults:
    """One evaluation's per-turn log plus what the log alone does not say (scorer directions, fingerprints)."""

    source: str  # the run directory or MLflow run id it came from, as the user named it
    records: tuple[Record, ...]
    higher_is_better: Mapping[str, bool | None] = field(default_factory=dict)  # scorer -> direction, if recorded
    fingerprints: Mapping[str, str] = field(default_factory=dict)  # bot -> fingerprint, when recorded
    run_id: str | None = None  # the MLflow parent run, when known

    def bots(self) -> list[str]:
        return list(dict.fromkeys(r.bot for r in self.records))

    def of(self, bot: str) -> list[Record]:
        found = [r for r in self.records if r.bot == bot]
        if not found:
            raise InvalidData(f"{self.source}: no results for bot {bot!r} (it has: {', '.join(self.bots())})")
        return found


@dataclass(frozen=True)
class Side:
    """One compared bot: `bot` or `bot@<run directory or MLflow run id>`."""

    bot: str
    source: str

    @classmethod
    def parse(cls, spec: str, default_source: str | None) -> Side:
        bot, _, source = str(spec).partition("@")
        source = source or default_source
        if not bot or not source:
            raise InvalidData(f"compare: {spec!r} names no run; write bot@<run dir or MLflow run id> or set run=...")
        return cls(bot, source)


def read_run_dir(path: str | Path, source: str | None = None, run_id: str | None = None) -> RunResults:
    """A run directory's results.jsonl, with scorer directions and bot fingerprints from its summary.json."""
    path = Path(path)
    log = path / "results.jsonl"
    if not log.exists():
        raise InvalidData(f"{path}: no results.jsonl here; name a run directory or an MLflow run id")
    summary_path = path / "summary.json"
    summary = json.loads(summary_path.read_text()) if summary_path.exists() else {}
    directions = {name: meta["higher_is_better"] for name, meta in summary.get("scorers", {}).items()}
    fingerprints = {b["bot"]: b["fingerprint"] for b in summary.get("bots", []) if b.get("fingerprint")}
    recorded_id = path / "mlflow_run_id"
    if run_id is None and recorded_id.exists():
        run_id = recorded_id.read_text().strip() or None
    return RunResults(source or str(path), tuple(ResultsLog(log)), directions, fingerprints, run_id)


def load_sources(
    sources: list[str], fetch: Callable[[str], RunResults]
) -> dict[str, RunResults]:
    """Each distinct source once: an existing directory is read in place, anything else is an MLflow run id."""
    loaded: dict[str, RunResults] = {}
    for source in dict.fromkeys(sources):
        loaded[source] = read_run_dir(source) if Path(source).is_dir() else fetch(source)
    return loaded
