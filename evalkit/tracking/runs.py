"""Where runs are recorded: every evaluation and validation run goes through a Tracker (MLflow, or none).

Everything is logged once the run directory is complete, from what it holds: the run directory keeps the whole run
description (tracking.json) beside the results, so a store that is down costs nothing but a later `evalkit sync`.
A parent run is marked FAILED with `evalkit.state=logging` while it is being written and FINISHED with
`evalkit.state=complete` at the end, so a process killed while logging leaves no RUNNING run behind, and `sync`
knows to replace what it left.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from evalkit.files import write_text
from evalkit.results import ResultsLog
from evalkit.tracking.store import (
    StoreSettings,
    TrackingFailed,
    experiment_id,
    prepared,
    reason,
    resolve_uri,
    using,
)
from evalkit.tracking.traces import ScoreSource, TraceTarget, check_mode, delete_run_traces, log_case_traces
from evalkit.tracking.versions import delete_versions, log_version

STATE, LOGGING, COMPLETE = "evalkit.state", "logging", "complete"
RUN_UID = "evalkit.run_uid"  # what `evalkit sync` finds a run directory's MLflow run by


@dataclass(frozen=True)
class BotRun:
    name: str
    metrics: Mapping[str, float]
    params: Mapping[str, Any] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)
    tables: Mapping[str, str] = field(default_factory=dict)  # artifact name -> file in the run directory
    version: Mapping[str, Any] | None = None  # evalkit.tracking.versions.BotVersion as a dict; None: the human row
    traces: str | None = None  # a file of records in the run directory, each logged as a trace of this bot's run


@dataclass(frozen=True)
class EvaluationRun:
    """Everything one run logs, with files named relative to its run directory, so it can be written as
    tracking.json and logged again from there."""

    uid: str  # stable per run directory: logging it twice finds the first copy
    name: str
    tags: Mapping[str, str]
    params: Mapping[str, Any]
    dataset_name: str
    dataset_path: str
    dataset_digest: str
    dataset_rows: int  # the evaluated rows (cases, or rated candidates)
    dataset_columns: Sequence[str]  # what identifies and slices a row: the schema MLflow shows
    metrics: Mapping[str, float]
    artifacts: Sequence[str]  # files in the run directory
    bots: Sequence[BotRun] = ()
    tables: Mapping[str, str] = field(default_factory=dict)  # the parent run's tables: artifact name -> file
    score_sources: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # scorer -> LLM judge, in traces

    def save(self, path: Path) -> None:
        write_text(path, json.dumps(asdict(self), indent=1, ensure_ascii=False, allow_nan=False))

    @classmethod
    def load(cls, path: Path) -> EvaluationRun:
        row = json.loads(path.read_text())
        row["bots"] = [BotRun(**b) for b in row["bots"]]
        return cls(**row)


class Tracker(Protocol):
    traces: str  # which cases become MLflow traces: all, audit (those `evalkit audit` selects), none

    def log(self, run: EvaluationRun, run_dir: Path) -> str | None:
        """Record the evaluation; return the parent run id (None when nothing is tracked). Raises TrackingFailed
        when the store cannot be reached or written."""
        ...


class NullTracker:
    """tracker=none: the run directory is the only record."""

    traces = "none"

    def log(self, run: EvaluationRun, run_dir: Path) -> str | None:
        return None


class MlflowTracker:
    """One parent run per invocation, one nested run per bot with its metrics and tables.

    The tracking URI is, in order: the configured one, MLFLOW_TRACKING_URI, the embedded SQLite store in store_dir.
    A server is given `connect_timeout_s` per request and `max_retries` retries, so an unreachable one costs
    seconds, not minutes.
    """

    def __init__(self, tracking_uri: str | None = None, experiment: str = "evalkit", store_dir: str | None = None,
                 connect_timeout_s: float = 5.0, max_retries: int = 2, traces: str = "audit"):
        self.traces = check_mode(traces)
        self.tracking_uri = tracking_uri
        self.experiment = experiment
        self.store_dir = store_dir
        self.settings = StoreSettings(connect_timeout_s, max_retries)

    def resolved_uri(self) -> str:
        return resolve_uri(self.tracking_uri, self.store_dir)

    @contextmanager
    def active(self) -> Iterator[str]:
        """MLflow pointed at this tracker's store, created or upgraded safely, its requests bounded."""
        uri = self.resolved_uri()
        with prepared(uri, self.settings), using(uri):
            yield uri

    def experiment_id(self) -> str:
        """This tracker's experiment, created when missing; call inside active()."""
        return experiment_id(self.experiment, self.resolved_uri(), self.store_dir)

    def log(self, run: EvaluationRun, run_dir: Path) -> str | None:
        """Log the run, replacing what an earlier log of the same run directory left (a resumed run)."""
        return self._with_store(lambda: self._replace(run, run_dir, keep_complete=False))

    def sync(self, run: EvaluationRun, run_dir: Path) -> tuple[str, bool]:
        """Log the run unless a complete copy of it is in the store already: (run id, whether it was logged now).
        What a log cut short left behind is replaced."""
        logged: list[bool] = []

        def once() -> str:
            run_id = self._replace(run, run_dir, keep_complete=True, logged=logged)
            return run_id

        return self._with_store(once), bool(logged)

    def _with_store(self, work: Callable[[], str]) -> str:
        try:
            with self.active():
                return work()
        except TrackingFailed:
            raise
        except Exception as err:  # the store's own errors come in many types (HTTP, SQL, artifacts)
            raise TrackingFailed(f"MLflow at {self.resolved_uri()}: {reason(err)}") from err

    def _replace(self, run: EvaluationRun, run_dir: Path, keep_complete: bool, logged: list[bool] | None = None
                 ) -> str:
        import mlflow

        client = mlflow.MlflowClient()
        experiment = self.experiment_id()
        for found in client.search_runs([experiment], f"tags.`{RUN_UID}` = '{run.uid}'", max_results=100):
            if keep_complete and "mlflow.parentRunId" not in found.data.tags \
                    and found.data.tags.get(STATE) == COMPLETE:
                return found.info.run_id
            delete_run_traces(experiment, [found.info.run_id])  # a resumed run's traces replace the old ones
            client.delete_run(found.info.run_id)  # parent and bots alike carry the run directory's uid
        delete_versions(client, experiment, RUN_UID, run.uid)
        if logged is not None:
            logged.append(True)
        return self._log(run, run_dir)

    def _log(self, run: EvaluationRun, run_dir: Path) -> str:
        import mlflow
        from mlflow.tracking.fluent import _create_dataset_input  # what mlflow.log_input builds, for a given run
        from mlflow.utils.validation import MAX_PARAM_VAL_LENGTH

        client = mlflow.MlflowClient()
        experiment = self.experiment_id()
        parent = client.create_run(experiment, run_name=run.name, tags={**run.tags, RUN_UID: run.uid})
        run_id = parent.info.run_id
        # FAILED until the end: a kill from here on (MLflow creates runs RUNNING: one statement earlier it cannot
        # be) leaves no RUNNING run, and the state tag tells `sync` to replace it.
        client.set_terminated(run_id, "FAILED")
        client.set_tag(run_id, STATE, LOGGING)
        client.log_batch(run_id, params=_params(run.params, MAX_PARAM_VAL_LENGTH),
                         metrics=_metrics(run.metrics))
        client.log_inputs(run_id, [_create_dataset_input(evaluated_dataset(run), "evaluation", None)])
        for name in run.artifacts:
            client.log_artifact(run_id, str(run_dir / name))
        log_tables(client, run_id, run.tables, run_dir)
        for bot in run.bots:
            child = client.create_run(experiment, run_name=bot.name,
                                      tags={"mlflow.parentRunId": run_id, "evalkit.bot": bot.name, RUN_UID: run.uid,
                                            **bot.tags})
            model_id = None if bot.version is None else log_version(
                experiment, child.info.run_id, bot.version, {RUN_UID: run.uid}, MAX_PARAM_VAL_LENGTH)
            client.log_batch(child.info.run_id, params=_params(bot.params, MAX_PARAM_VAL_LENGTH),
                             metrics=_metrics(bot.metrics, model_id))
            log_tables(client, child.info.run_id, bot.tables, run_dir)
            if bot.traces:
                log_bot_traces(run, bot, experiment, child.info.run_id, run_dir)
            client.set_terminated(child.info.run_id, "FINISHED")
        client.set_tag(run_id, STATE, COMPLETE)
        client.set_terminated(run_id, "FINISHED")
        return run_id


def log_bot_traces(run: EvaluationRun, bot: BotRun, experiment: str, run_id: str, run_dir: Path) -> None:
    """The bot's traced records (evalkit.pipeline.traced), each a trace linked to its nested run."""
    target = TraceTarget(experiment, run_id, bot.tags.get("evalkit.bot_fingerprint", ""),
                         {name: ScoreSource(source["kind"], source["source_id"])  # type: ignore[arg-type]
                          for name, source in run.score_sources.items()})
    log_case_traces(ResultsLog(run_dir / str(bot.traces)), target)


def evaluated_dataset(run: EvaluationRun) -> Any:
    """The run's input as MLflow shows it (name, digest, source, schema, row count), without the rows: a
    DataFrame of 100k cases only to let MLflow count them would be the largest object of the run."""
    from mlflow.data.dataset_source_registry import resolve_dataset_source
    from mlflow.data.meta_dataset import MetaDataset
    from mlflow.types import ColSpec, DataType, Schema

    class EvaluatedDataset(MetaDataset):
        @property
        def profile(self) -> dict[str, int]:
            return {"num_rows": run.dataset_rows}

    schema = Schema([ColSpec(DataType.string, name) for name in run.dataset_columns])
    with warnings.catch_warnings():
        # A local path matches two of MLflow's equivalent local source types; it warns and picks one.
        warnings.filterwarnings("ignore", message="The specified dataset source")
        source = resolve_dataset_source(str(Path(run.dataset_path).resolve()))
    return EvaluatedDataset(source, name=run.dataset_name, digest=run.dataset_digest[:36], schema=schema)


def log_tables(client: Any, run_id: str, tables: Mapping[str, str], run_dir: Path) -> None:
    """Files already written in MLflow's table format (evalkit.tracking.tables), logged as the run's tables so the
    UI shows them as it shows `log_table`'s, without holding a table in memory."""
    if not tables:
        return
    from mlflow.utils.mlflow_tags import MLFLOW_LOGGED_ARTIFACTS

    for artifact, file in tables.items():
        client.log_artifact(run_id, str(run_dir / file), artifact_path=str(Path(artifact).parent)
                            if Path(artifact).parent != Path(".") else None)
    listed = [{"path": artifact, "type": "table"} for artifact in tables]
    client.set_tag(run_id, MLFLOW_LOGGED_ARTIFACTS, json.dumps(listed))


def _params(params: Mapping[str, Any], limit: int) -> list[Any]:
    from mlflow.entities import Param

    return [Param(k, str(v)[:limit]) for k, v in params.items()]


def _metrics(metrics: Mapping[str, float], model_id: str | None = None) -> list[Any]:
    """model_id: the logged model (bot version) the values also belong to, so its own page shows them."""
    import time

    from mlflow.entities import Metric

    now = int(time.time() * 1000)
    return [Metric(k, float(v), now, 0, model_id=model_id) for k, v in metrics.items() if v == v]
