"""`evalkit dashboard`: an offline HTML dashboard of bot versions, from MLflow."""

from __future__ import annotations

import hydra
from omegaconf import DictConfig

from evalkit.cli.config import CONFIG_DIR, build_object, output_dir
from evalkit.cli.errors import exit_on_bad_input
from evalkit.errors import InvalidData
from evalkit.pipeline.dashboard import DashboardRequest, build_dashboard
from evalkit.tracking.runs import MlflowTracker


def build(cfg: DictConfig) -> DashboardRequest:
    tracker = build_object(cfg.tracker, "tracker")
    if not isinstance(tracker, MlflowTracker):
        raise InvalidData("dashboard: tracker: the dashboard reads MLflow; use tracker=mlflow")
    runs = [cfg.runs] if isinstance(cfg.runs, str) else [str(r) for r in cfg.runs or []]
    experiment = None if cfg.mlflow_experiment is None else str(cfg.mlflow_experiment)
    return DashboardRequest(tracker=tracker, experiment=experiment, runs=runs, ui_url=cfg.ui_url,
                            slice_key=cfg.slice_key, track=bool(cfg.track))


@hydra.main(version_base="1.3", config_path=str(CONFIG_DIR), config_name="dashboard")
def main_app(cfg: DictConfig) -> None:
    with exit_on_bad_input():
        result = build_dashboard(build(cfg), output_dir(cfg))
    for version in result.history.versions:
        print(f"{version.label:<32} run {version.run_id}")
    print(f"dashboard:     {result.page}")
    print(f"MLflow run id: {result.run_id or '(not tracked)'}")


def main() -> None:
    main_app()
