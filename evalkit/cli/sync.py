"""`evalkit sync <run dir>`: log a finished run directory to MLflow, e.g. after the store was down during the run.

Idempotent: a run directory already logged completely is found by its uid and not logged again; what a log that
was cut short left behind (a run marked `evalkit.state=logging`) is replaced.
"""

from __future__ import annotations

from pathlib import Path

import hydra
from omegaconf import DictConfig

from evalkit.cli.config import CONFIG_DIR, build_object
from evalkit.cli.errors import exit_if_untracked, exit_on_bad_input
from evalkit.errors import InvalidData
from evalkit.files import write_text
from evalkit.pipeline.publish import TRACKING_FILE
from evalkit.tracking.runs import EvaluationRun, MlflowTracker
from evalkit.tracking.store import TrackingFailed


@hydra.main(version_base="1.3", config_path=str(CONFIG_DIR), config_name="sync")
def sync(cfg: DictConfig) -> None:
    run_dir = Path(cfg.run_dir).resolve()
    with exit_on_bad_input():
        if not (run_dir / TRACKING_FILE).is_file():
            raise InvalidData(f"{run_dir}: no {TRACKING_FILE}: not an evalkit run directory (or one from before "
                              "sync existed)")
        tracker = build_object(cfg.tracker, "tracker")
        if not isinstance(tracker, MlflowTracker):
            raise InvalidData("sync needs an MLflow tracker (tracker=mlflow)")
        run = EvaluationRun.load(run_dir / TRACKING_FILE)
    try:
        run_id, logged = tracker.sync(run, run_dir)
    except TrackingFailed as failed:
        exit_if_untracked(run_dir, str(failed))
        return
    write_text(run_dir / "mlflow_run_id", run_id + "\n")
    print(f"{'logged' if logged else 'already logged'}: {run_dir} -> MLflow run {run_id} ({tracker.resolved_uri()})")


def main() -> None:
    sync()
