"""Where MLflow data lives: the configured URI, else MLFLOW_TRACKING_URI, else the embedded SQLite store.

Every part of evalkit that talks to MLflow (runs, the model registry, fetching old runs) resolves the store here,
so `evalkit run`, `evalkit train` and a scorer loading `models:/...` always agree.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

from evalkit.errors import InvalidData, StorageFailed

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_STORE_DIR = PROJECT_ROOT / "runs"  # runs/mlflow.db and runs/mlartifacts/, wherever a command runs from


def embedded_uri(store_dir: str | Path | None = None) -> str:
    return f"sqlite:///{Path(store_dir or DEFAULT_STORE_DIR).resolve() / 'mlflow.db'}"


def resolve_uri(tracking_uri: str | None = None, store_dir: str | Path | None = None) -> str:
    if tracking_uri:
        return tracking_uri
    if os.environ.get("MLFLOW_TRACKING_URI"):
        return os.environ["MLFLOW_TRACKING_URI"]
    return embedded_uri(store_dir)


def embedded_artifacts(uri: str, store_dir: str | Path | None = None) -> str | None:
    """Artifacts of the embedded store stay beside it (runs/mlartifacts), not in whatever directory the command
    ran from; a server or another store decides for itself (None)."""
    if uri != embedded_uri(store_dir):
        return None
    return (Path(store_dir or DEFAULT_STORE_DIR).resolve() / "mlartifacts").as_uri()


class TrackingFailed(Exception):
    """The store could not be reached or written; the run directory is intact and can be synced later."""


@dataclass(frozen=True)
class StoreSettings:
    """How long a tracking server gets: per request, and how many times a failed request is retried."""

    connect_timeout_s: float = 5.0
    max_retries: int = 2


@contextmanager
def prepared(uri: str, settings: StoreSettings = StoreSettings()) -> Iterator[None]:
    """The store at `uri` ready to use, or TrackingFailed within seconds.

    An embedded SQLite store is created (or upgraded) under a file lock: two processes migrating a new store at
    once would otherwise race in alembic and lose one of their runs. A server gets the bounded timeout and
    retries (MLflow's own settings, unless the environment already sets them) and is probed once, so an
    unreachable one fails in seconds rather than after minutes of back-off.
    """
    bounded = {"MLFLOW_HTTP_REQUEST_TIMEOUT": str(max(1, round(settings.connect_timeout_s))),
               "MLFLOW_HTTP_REQUEST_MAX_RETRIES": str(settings.max_retries),
               "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1"}
    saved = {name: os.environ.get(name) for name in bounded}
    os.environ.update({k: v for k, v in bounded.items() if saved[k] is None})
    try:
        if uri.startswith("sqlite:///"):
            _create_sqlite_store(uri)
        elif uri.startswith(("http://", "https://")):
            _probe(uri)
        yield
    except (TrackingFailed, InvalidData, StorageFailed):
        raise  # the store answered: the fault is the input's or the disk's, said in their own words
    except Exception as err:  # what a store that is down raises varies: connection, HTTP, SQL errors
        raise TrackingFailed(f"MLflow at {uri} cannot be used: {reason(err)}") from err
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)


_REASONS = (("Connection refused", "connection refused"), ("timed out", "no answer in time"),
            ("Name or service not known", "unknown host"), ("401", "not authorised (HTTP 401)"),
            ("403", "forbidden (HTTP 403)"), ("unable to open database", "cannot open the database file"))


def reason(err: BaseException) -> str:
    """The why of a store failure in a few words: MLflow's messages carry whole URLs and retry histories."""
    text = " ".join(str(err).split())
    found = next((short for marker, short in _REASONS if marker in text), None)
    return found or (text if len(text) <= 200 else text[:199] + "…")


def _create_sqlite_store(uri: str) -> None:
    from filelock import FileLock
    from mlflow import MlflowClient

    database = Path(uri.removeprefix("sqlite:///"))
    database.parent.mkdir(parents=True, exist_ok=True)
    for name in ("mlflow.store.db.utils", "alembic"):  # "Creating initial MLflow database tables...": not ours to say
        logging.getLogger(name).setLevel(logging.WARNING)
    with FileLock(str(database) + ".lock", timeout=300):
        MlflowClient(uri).search_experiments(max_results=1)  # creates the schema, or upgrades it, once
        _write_ahead_log(database)


def _write_ahead_log(database: Path) -> None:
    """Journal the embedded store in write-ahead mode (a setting the database file keeps): each commit is then one
    append, not a rewrite of the rollback journal, which makes per-case traces (one transaction each) faster:
    39 vs 28 traces/s in benchmarks/results/traces.md. Readers (`mlflow ui`, a second run) work as before."""
    import sqlite3

    with closing(sqlite3.connect(database, timeout=60)) as connection:
        if connection.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            connection.execute("PRAGMA journal_mode=WAL")


def _probe(uri: str) -> None:
    from mlflow import MlflowClient

    MlflowClient(uri).search_experiments(max_results=1)


def experiment_id(name: str, uri: str, store_dir: str | Path | None = None) -> str:
    """The experiment's id in the store MLflow currently points at (see `using`), created when missing."""
    import mlflow

    found = mlflow.get_experiment_by_name(name)
    if found is not None:
        return found.experiment_id
    try:
        return mlflow.create_experiment(name, artifact_location=embedded_artifacts(uri, store_dir))
    except mlflow.exceptions.MlflowException:
        # Parallel jobs race to create the experiment on first use; the loser takes the winner's.
        found = mlflow.get_experiment_by_name(name)
        if found is None:
            raise
        return found.experiment_id


@contextmanager
def using(uri: str) -> Iterator[str]:
    """Point MLflow's fluent API (tracking and registry) at `uri` for the duration, then put back exactly what was
    set before. mlflow.set_tracking_uri also exports MLFLOW_TRACKING_URI, which would otherwise redirect every
    later command of this process, and its subprocesses, to this store."""
    import mlflow
    from mlflow.tracking._model_registry import utils as registry
    from mlflow.tracking._tracking_service import utils as tracking

    # MLflow keeps what was set in module globals; no public getter tells "set" from "defaulted".
    before = tracking._tracking_uri, registry._registry_uri
    environment = {name: os.environ.get(name) for name in _URI_VARIABLES}
    try:
        mlflow.set_tracking_uri(uri)
        mlflow.set_registry_uri(uri)
        yield uri
    finally:
        mlflow.set_tracking_uri(before[0])
        registry._registry_uri = before[1]
        for name, value in environment.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


_URI_VARIABLES = ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")
