"""After a Hydra multirun: one table across its jobs (what each changed, each bot's scores, each job's MLflow run).

Registered as a Hydra callback in configs/run.yaml, so every `evalkit run -m ...` (any launcher) ends with
sweep_summary.md and sweep_summary.json in the sweep directory, logged as a run of its own when tracking is on.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from evalkit.files import write_text
from evalkit.summaries.slices import OVERALL
from evalkit.tracking.runs import MlflowTracker


def collect_jobs(sweep_dir: Path) -> list[dict[str, Any]]:
    """One entry per finished job directory: overrides, run id and the overall mean of every bot x scorer."""
    jobs = []
    for summary_path in sorted(sweep_dir.glob("*/summary.json"), key=lambda p: _job_key(p.parent.name)):
        job_dir = summary_path.parent
        summary = json.loads(summary_path.read_text())
        overrides_path = job_dir / ".hydra" / "overrides.yaml"
        overrides = OmegaConf.to_container(OmegaConf.load(overrides_path)) if overrides_path.exists() else []
        run_id_path = job_dir / "mlflow_run_id"
        means = {f"{s['bot']}/{s['scorer']}": s["mean"] for s in summary["scores"] if s["slice_key"] == OVERALL}
        jobs.append({"job": job_dir.name, "dir": str(job_dir), "overrides": overrides,
                     "run_id": run_id_path.read_text().strip() if run_id_path.exists() else None,
                     "cases": summary["cases"], "means": means})
    return jobs


def _job_key(name: str) -> tuple[int, str]:
    return (int(name), "") if name.isdigit() else (math.inf, name)  # type: ignore[return-value]


def render_sweep(jobs: Sequence[dict[str, Any]]) -> str:
    columns = list(dict.fromkeys(k for job in jobs for k in job["means"]))
    lines = [f"# Sweep: {len(jobs)} jobs", "", "| job | overrides | MLflow run | " + " | ".join(columns) + " |",
             "|---|---|---|" + "---|" * len(columns)]
    for job in jobs:
        cells = [f"{job['means'][c]:.3f}" if c in job["means"] and job["means"][c] == job["means"][c] else "–"
                 for c in columns]
        lines.append(f"| {job['job']} | {' '.join(job['overrides']) or '(none)'} | {job['run_id'] or '–'} | "
                     + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def write_sweep_summary(sweep_dir: Path) -> tuple[Path, Path, list[dict[str, Any]]]:
    jobs = collect_jobs(sweep_dir)
    json_path, md_path = sweep_dir / "sweep_summary.json", sweep_dir / "sweep_summary.md"
    write_text(json_path, json.dumps({"sweep_dir": str(sweep_dir), "jobs": jobs}, indent=2, allow_nan=True))
    write_text(md_path, render_sweep(jobs))
    return json_path, md_path, jobs


class SweepSummary(Callback):
    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        # Parallel jobs would race to create the store and the experiment: create them once, before any job starts.
        tracker = instantiate(config.tracker) if "tracker" in config else None
        if isinstance(tracker, MlflowTracker):
            from evalkit.tracking.sweep import prepare_experiment

            prepare_experiment(tracker)

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        sweep_dir = Path(config.hydra.sweep.dir)
        if not sweep_dir.is_dir():
            return
        json_path, md_path, jobs = write_sweep_summary(sweep_dir)
        print(f"sweep summary: {md_path} ({len(jobs)} jobs)")
        tracker = instantiate(config.tracker) if "tracker" in config else None
        if isinstance(tracker, MlflowTracker) and jobs:
            from evalkit.tracking.sweep import log_sweep

            run_id = log_sweep(tracker, sweep_dir, jobs, [md_path, json_path])
            print(f"sweep MLflow run id: {run_id}")
