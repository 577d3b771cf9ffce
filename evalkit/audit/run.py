"""One `evalkit audit`: choose the cases, write audit.html, audit.csv and audit.jsonl, and, when the audited run is
in MLflow, trace the picks, create the label schemas and one review queue per reviewer, and log the files to the
audited run (under `audit/<time>/`)."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from evalkit.audit.case_view import CaseView, view_of, views_json
from evalkit.audit.page import render_page
from evalkit.audit.selection import Criteria, Pick, select
from evalkit.audit.source import AuditedRun
from evalkit.errors import InvalidData
from evalkit.files import write_text

FILES = ("audit.html", "audit.csv", "audit.jsonl")


@dataclass(frozen=True)
class Audit:
    picks: tuple[Pick, ...]
    views: tuple[CaseView, ...]
    out_dir: Path
    queues: Mapping[str, str] = field(default_factory=dict)  # reviewer -> queue name
    traced: Mapping[tuple[str, str], str] = field(default_factory=dict)  # (bot, case id) -> trace id


def choose(run: AuditedRun, criteria: Criteria) -> list[Pick]:
    records = run.results.records
    bots = {r.bot for r in records}
    if criteria.bot and criteria.bot not in bots:
        raise InvalidData(f"{run.results.source}: no results for bot {criteria.bot!r} "
                          f"(it has: {', '.join(sorted(bots))})")
    keys = {k for r in records for k in r.slices}
    unknown = [k for k in (*criteria.slices, *criteria.where) if k not in keys]
    if unknown:
        raise InvalidData(f"{run.results.source}: no slice {unknown[0]!r} in the run "
                          f"(it has: {', '.join(sorted(keys))})")
    return select(records, run.results.higher_is_better, criteria, run.thresholds)


def write_files(views: Sequence[CaseView], out_dir: Path, title: str) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    write_text(out_dir / "audit.html", render_page(views, title))
    write_text(out_dir / "audit.jsonl", views_json(views))
    rows = [v.as_row() for v in views]
    columns = list(dict.fromkeys(k for row in rows for k in row))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, columns)
    writer.writeheader()
    writer.writerows(rows)
    write_text(out_dir / "audit.csv", buffer.getvalue())


def audit(run: AuditedRun, criteria: Criteria, out_dir: Path, reviewers: Sequence[str] = (),
          categories: Sequence[str] = (), queue: str | None = None, tracked: bool = True) -> Audit:
    """Choose, write the files, and queue the picks in MLflow when `tracked` and the run has an MLflow run (call it
    with MLflow pointed at the run's store)."""
    picks = choose(run, criteria)
    directions, thresholds = run.results.higher_is_better, run.thresholds
    title = f"audit of {criteria.bot or 'every bot'} in {run.results.source}"
    traced: dict[tuple[str, str], str] = {}
    queues: dict[str, str] = {}
    parent = run.run_id if tracked else None
    if parent:
        import mlflow

        from evalkit.audit.queues import bot_runs, create_queues, ensure_schemas, trace_picks

        experiment = mlflow.MlflowClient().get_run(parent).info.experiment_id
        traced = trace_picks(picks, experiment, bot_runs(experiment, parent), run.results.fingerprints)
        if reviewers:
            schemas = ensure_schemas(experiment, categories)
            name = queue or f"{criteria.bot or 'all'}-{out_dir.parent.name}-{out_dir.name}"
            queues = create_queues(name, reviewers, schemas, [traced[p.key] for p in picks if p.key in traced],
                                   experiment)
    views = tuple(view_of(p, directions, thresholds, traced.get(p.key)) for p in picks)
    write_files(views, out_dir, title)
    if parent:
        import mlflow

        for name in FILES:
            mlflow.MlflowClient().log_artifact(parent, str(out_dir / name),
                                               artifact_path=f"audit/{out_dir.parent.name}_{out_dir.name}")
    return Audit(tuple(picks), views, out_dir, queues, traced)
