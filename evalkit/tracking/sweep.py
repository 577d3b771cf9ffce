"""The sweep's own MLflow run: links every job's run and carries the cross-job table."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from evalkit.summaries.run import metric_name
from evalkit.tracking.runs import MlflowTracker


def log_sweep(tracker: MlflowTracker, sweep_dir: Path, jobs: Sequence[dict[str, Any]], artifacts: Sequence[Path]
              ) -> str:
    import mlflow

    tags = {"evalkit.kind": "sweep", "evalkit.sweep_dir": str(sweep_dir)}
    tags.update({f"evalkit.sweep_job.{job['job']}": job["run_id"] for job in jobs if job["run_id"]})
    metrics = {metric_name("job", job["job"], *key.split("/"), "mean"): value
               for job in jobs for key, value in job["means"].items() if value == value}
    with tracker.active(), mlflow.start_run(experiment_id=tracker.experiment_id(),
                                            run_name=f"sweep {sweep_dir.name}", tags=tags) as run:
        mlflow.log_metrics(metrics)
        for path in artifacts:
            mlflow.log_artifact(str(path))
        return run.info.run_id


def prepare_experiment(tracker: MlflowTracker) -> str:
    with tracker.active():
        return tracker.experiment_id()
