"""Where runs are recorded: every evaluation and validation run goes through a Tracker (MLflow, or none).

Everything is logged once the evaluation has finished and its files are written: a run that fails on bad input
leaves nothing half-written in the store, and the run directory already holds every result if the store is down.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from evalkit.tracking.store import experiment_id, resolve_uri, using


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


class MlflowTracker:
    """One parent run per invocation, one nested run per bot with its metrics and per-turn table.

    The tracking URI is, in order: the configured one, MLFLOW_TRACKING_URI, the embedded SQLite store in store_dir.
    """

    def __init__(self, tracking_uri: str | None = None, experiment: str = "evalkit", store_dir: str | None = None):
        self.tracking_uri = tracking_uri
        self.experiment = experiment
        self.store_dir = store_dir

    def resolved_uri(self) -> str:
        return resolve_uri(self.tracking_uri, self.store_dir)

    def log(self, run: EvaluationRun) -> str | None:
        with self.active():
            return self._log(run)

    @contextmanager
    def active(self) -> Iterator[str]:
        """MLflow pointed at this tracker's store for the duration (see evalkit.tracking.store.using)."""
        with using(self.resolved_uri()) as uri:
            yield uri

    def experiment_id(self) -> str:
        """This tracker's experiment, created when missing; call inside active()."""
        return experiment_id(self.experiment, self.resolved_uri(), self.store_dir)

    def _log(self, run: EvaluationRun) -> str | None:
        import mlflow
        import pandas as pd
        from mlflow.utils.validation import MAX_PARAM_VAL_LENGTH

        experiment_id = self.experiment_id()
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
