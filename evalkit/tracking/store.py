"""Where MLflow data lives: the configured URI, else MLFLOW_TRACKING_URI, else the embedded SQLite store.

Every part of evalkit that talks to MLflow (runs, the model registry, fetching old runs) resolves the store here,
so `evalkit run`, `evalkit train` and a scorer loading `models:/...` always agree.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

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
