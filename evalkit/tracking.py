"""Where runs are recorded. Only this module imports mlflow.

Everything is logged once the evaluation has finished and its files are written: a run that fails on bad input
leaves nothing half-written in the store, and the run directory already holds every result if the store is down.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol


@dataclass(frozen=True)
class BotRun:
    name: str
    metrics: Mapping[str, float]
    rows: Sequence[Mapping[str, Any]]  # the per-turn table
    params: Mapping[str, Any] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class EvaluationRun:
    name: str
    tags: Mapping[str, str]
    params: Mapping[str, Any]
    dataset_name: str
    dataset_path: str
    dataset_digest: str
    dataset_rows: Sequence[Mapping[str, Any]]
    metrics: Mapping[str, float]
    artifacts: Sequence[Path]
    bots: Sequence[BotRun]


class Tracker(Protocol):
    def log(self, run: EvaluationRun) -> str | None:
        """Record the evaluation; return the parent run id (None when nothing is tracked)."""
        ...


class NullTracker:
    """tracker=none: the run directory is the only record."""

    def log(self, run: EvaluationRun) -> str | None:
        return None


_METRIC_NAME_UNSAFE = re.compile(r"[^\w\-. /:]")


def metric_name(*parts: str) -> str:
    """MLflow accepts only alphanumerics, _ - . space / : in metric names; slice values can hold anything."""
    return "/".join(_METRIC_NAME_UNSAFE.sub("_", str(p)) for p in parts)


class MlflowTracker:
    """One parent run per invocation, one nested run per bot with its metrics and per-turn table.

    The tracking URI is, in order: the configured one, MLFLOW_TRACKING_URI, the embedded SQLite store in store_dir.
    """

    def __init__(self, tracking_uri: str | None = None, experiment: str = "evalkit", store_dir: str = "runs"):
        self.tracking_uri = tracking_uri
        self.experiment = experiment
        self.store_dir = store_dir

    def resolved_uri(self) -> str:
        if self.tracking_uri:
            return self.tracking_uri
        if os.environ.get("MLFLOW_TRACKING_URI"):
            return os.environ["MLFLOW_TRACKING_URI"]
        return self._embedded_uri()

    def _embedded_uri(self) -> str:
        return f"sqlite:///{Path(self.store_dir).resolve() / 'mlflow.db'}"

    def log(self, run: EvaluationRun) -> str | None:
        with self.active():
            return self._log(run)

    @contextmanager
    def active(self) -> Iterator[str]:
        """Point mlflow at this tracker's store for the duration, then put the process environment back:
        mlflow.set_tracking_uri exports MLFLOW_TRACKING_URI, which would redirect every later tracker."""
        import mlflow

        before = os.environ.get("MLFLOW_TRACKING_URI")
        uri = self.resolved_uri()
        try:
            mlflow.set_tracking_uri(uri)
            yield uri
        finally:
            if before is None:
                os.environ.pop("MLFLOW_TRACKING_URI", None)
            else:
                os.environ["MLFLOW_TRACKING_URI"] = before

    def _log(self, run: EvaluationRun) -> str | None:
        import mlflow
        import pandas as pd
        from mlflow.utils.validation import MAX_PARAM_VAL_LENGTH

        artifact_location = self._embedded_artifact_location()
        experiment_id = self._experiment_id(mlflow, artifact_location)
        params = {k: str(v)[:MAX_PARAM_VAL_LENGTH] for k, v in run.params.items()}
        with mlflow.start_run(experiment_id=experiment_id, run_name=run.name, tags=dict(run.tags)) as parent:
            mlflow.log_params(params)
            with warnings.catch_warnings():
                # A local path matches two of MLflow's equivalent local source types; it warns and picks one.
                warnings.filterwarnings("ignore", message="The specified dataset source")
                dataset = mlflow.data.from_pandas(
                    pd.DataFrame(run.dataset_rows), source=str(Path(run.dataset_path).resolve()),
                    name=run.dataset_name, digest=run.dataset_digest[:36],
                )
            mlflow.log_input(dataset, context="evaluation")
            mlflow.log_metrics(dict(run.metrics))
            for path in run.artifacts:
                mlflow.log_artifact(str(path))
            for bot in run.bots:
                with mlflow.start_run(experiment_id=experiment_id, run_name=bot.name, nested=True,
                                      tags={"evalkit.bot": bot.name, **bot.tags}):
                    if bot.params:
                        mlflow.log_params({k: str(v)[:MAX_PARAM_VAL_LENGTH] for k, v in bot.params.items()})
                    mlflow.log_metrics(dict(bot.metrics))
                    mlflow.log_table(pd.DataFrame(list(bot.rows)), artifact_file="per_turn.json")
            return parent.info.run_id

    def experiment_id(self) -> str:
        """This tracker's experiment, created when missing (for other runs than evaluations); inside active()."""
        import mlflow

        return self._experiment_id(mlflow, self._embedded_artifact_location())

    def _embedded_artifact_location(self) -> str | None:
        """Keep the embedded store's artifacts beside it, not in whatever directory the command ran from."""
        if self.resolved_uri() != self._embedded_uri():
            return None
        return (Path(self.store_dir).resolve() / "mlartifacts").as_uri()

    def _experiment_id(self, mlflow: Any, artifact_location: str | None) -> str:
        found = mlflow.get_experiment_by_name(self.experiment)
        if found is not None:
            return found.experiment_id
        try:
            return mlflow.create_experiment(self.experiment, artifact_location=artifact_location)
        except mlflow.exceptions.MlflowException:
            # Parallel sweep jobs race to create the experiment on first use; the loser takes the winner's.
            found = mlflow.get_experiment_by_name(self.experiment)
            if found is None:
                raise
            return found.experiment_id
