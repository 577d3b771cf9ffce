"""The end of every evaluation (a run, a re-score, a merge): write summary.json, report.md, environment.json, the
per-turn tables and tracking.json (everything the tracker logs) into the run directory, then log it.

It computes nothing: the RunSummary already holds every number. The files come first, so a store that is down
costs only the logging, which `evalkit sync <run dir>` does later from tracking.json.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evalkit.files import write_text, writing
from evalkit.pipeline.provenance import environment
from evalkit.replay import Case
from evalkit.report.markdown import render_report
from evalkit.results import Record, as_rows
from evalkit.summaries.run import RunSummary
from evalkit.tracking.runs import BotRun, EvaluationRun, Tracker, TrackingFailed
from evalkit.tracking.tables import write_table

TRACKING_FILE = "tracking.json"


@dataclass(frozen=True)
class Outcome:
    run_dir: Path
    run_id: str | None
    summary: RunSummary
    report_path: Path
    tracking_error: str | None = None  # the store could not be used: the run directory holds everything


def run_uid(run_dir: Path) -> str:
    """The run directory's identity in MLflow, made once: a resumed run replaces its own MLflow run, and a sync
    finds the run it already logged."""
    path = run_dir / "run_uid"
    if not path.exists():
        with writing(path):
            path.write_text(uuid.uuid4().hex + "\n")
    return path.read_text().strip()


def publish(summary: RunSummary, records: Sequence[Record], cases: Sequence[Case], run_dir: Path, tracker: Tracker,
            params: Mapping[str, Any], tags: Mapping[str, str]) -> Outcome:
    write_text(run_dir / "summary.json", json.dumps(summary.as_json(), indent=2, allow_nan=True))
    report_path = write_text(run_dir / "report.md", render_report(summary, records))
    env = environment()
    write_text(run_dir / "environment.json", json.dumps(env, indent=2))
    run = EvaluationRun(
        uid=run_uid(run_dir),
        name=summary.name,
        tags={**tags, "evalkit.dataset_digest": summary.dataset.digest, "evalkit.seed": str(summary.seed),
              **({"evalkit.shard": summary.shard} if summary.shard else {})},
        params={**params, **{f"env.{k}": v for k, v in env["packages"].items()}, "env.python": env["python"]},
        dataset_name=summary.dataset.name, dataset_path=summary.dataset.path, dataset_digest=summary.dataset.digest,
        dataset_rows=[{"case_id": c.id, "transcript_id": c.transcript_id, **c.slices} for c in cases],
        metrics=summary.run_metrics(),
        artifacts=[name for name in ("report.md", "summary.json", "environment.json", "results.jsonl", "config.yaml")
                   if (run_dir / name).exists()],
        bots=[BotRun(name=b.bot, metrics=summary.bot_metrics(b.bot),
                     tags={"evalkit.bot_fingerprint": summary.fingerprints[b.bot]}
                     if b.bot in summary.fingerprints else {},
                     tables={"per_turn.json": per_turn_table(run_dir, b.bot, records)})
              for b in summary.bots],
    )
    run.save(run_dir / TRACKING_FILE)
    run_id, error = track(run, run_dir, tracker)
    return Outcome(run_dir, run_id, summary, report_path, error)


def per_turn_table(run_dir: Path, bot: str, records: Sequence[Record]) -> str:
    """One bot's records as a table file in the run directory (its name in the run directory)."""
    rows = as_rows(r for r in records if r.bot == bot)
    columns = list(dict.fromkeys(k for row in rows for k in row))
    name = f"tables/{bot}/per_turn.json"
    write_table(run_dir / name, columns, rows)
    return name


def track(run: EvaluationRun, run_dir: Path, tracker: Tracker) -> tuple[str | None, str | None]:
    """(the MLflow run id, or None when not tracked; why the store could not be used, or None)."""
    try:
        run_id = tracker.log(run, run_dir)
    except TrackingFailed as failed:
        return None, str(failed)
    if run_id:
        write_text(run_dir / "mlflow_run_id", run_id + "\n")  # links the run directory to its MLflow run
    return run_id, None
