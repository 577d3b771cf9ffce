"""The dashboard run in MLflow: the page as an HTML artifact (MLflow's artifact view shows it), tagged with the
runs it was built from."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from evalkit.summaries.versions import VersionResult
from evalkit.tracking.runs import MlflowTracker


def log_dashboard(tracker: MlflowTracker, experiment_id: str, versions: Sequence[VersionResult], page: Path) -> str:
    import mlflow

    with tracker.active(), mlflow.start_run(
            experiment_id=experiment_id, run_name=f"dashboard · {', '.join(v.label for v in versions)}",
            tags={"evalkit.kind": "dashboard",
                  "evalkit.dashboard_runs": ",".join(v.run_id for v in versions if v.run_id)[:5000]}) as run:
        mlflow.log_artifact(str(page))
        return run.info.run_id
