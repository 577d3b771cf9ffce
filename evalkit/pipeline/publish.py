"""The end of every evaluation (a run, a re-score, a merge): write summary.json, report.md and environment.json into
the run directory, then log it all to the tracker. It computes nothing: the RunSummary already holds every number."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evalkit.pipeline.provenance import environment
from evalkit.replay import Case
from evalkit.report.markdown import render_report
from evalkit.results import Record, as_rows
from evalkit.summaries.run import RunSummary
from evalkit.tracking.runs import BotRun, EvaluationRun, Tracker


@dataclass(frozen=True)
class Outcome:
    run_dir: Path
    run_id: str | None
    summary: RunSummary
    report_path: Path


def publish(summary: RunSummary, records: Sequence[Record], cases: Sequence[Case], run_dir: Path, tracker: Tracker,
            params: Mapping[str, Any], tags: Mapping[str, str]) -> Outcome:
    summary_path = run_dir / "summary.json"
    summary_path.write_text(json.dumps(summary.as_json(), indent=2, allow_nan=True))
    report_path = run_dir / "report.md"
    report_path.write_text(render_report(summary, records))
    env = environment()
    env_path = run_dir / "environment.json"
    env_path.write_text(json.dumps(env, indent=2))

    run_tags = {**tags, "evalkit.dataset_digest": summary.dataset.digest, "evalkit.seed": str(summary.seed)}
    if summary.shard:
        run_tags["evalkit.shard"] = summary.shard
    artifacts = [p for p in (report_path, summary_path, env_path, run_dir / "results.jsonl", run_dir / "config.yaml")
                 if p.exists()]
    run_id = tracker.log(EvaluationRun(
        name=summary.name,
        tags=run_tags,
        params={**params, **{f"env.{k}": v for k, v in env["packages"].items()}, "env.python": env["python"]},
        dataset_name=summary.dataset.name, dataset_path=summary.dataset.path, dataset_digest=summary.dataset.digest,
        dataset_rows=[{"case_id": c.id, "transcript_id": c.transcript_id, **c.slices} for c in cases],
        metrics=summary.run_metrics(),
        artifacts=artifacts,
        bots=[BotRun(name=b.bot, metrics=summary.bot_metrics(b.bot),
                     rows=as_rows(r for r in records if r.bot == b.bot),
                     tags={"evalkit.bot_fingerprint": summary.fingerprints[b.bot]}
                     if b.bot in summary.fingerprints else {})
              for b in summary.bots],
    ))
    if run_id:
        (run_dir / "mlflow_run_id").write_text(run_id + "\n")  # lets `evalkit compare` link a run directory's run
    return Outcome(run_dir, run_id, summary, report_path)
