"""Every MLflow user resolves one store, and none leaves MLflow pointed elsewhere afterwards."""

from __future__ import annotations

import os
from pathlib import Path

import joblib
import mlflow
import pytest

from evalkit.classifiers.loading import LazyClassifier
from evalkit.classifiers.pipelines import tfidf_logreg
from evalkit.classifiers.registry import load_classifier, log_and_register
from evalkit.scorers.classifier import model_input
from evalkit.tracking.store import DEFAULT_STORE_DIR, PROJECT_ROOT, embedded_uri, resolve_uri, using


def test_the_default_store_is_the_projects_wherever_the_command_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    assert resolve_uri() == embedded_uri() == f"sqlite:///{PROJECT_ROOT / 'runs' / 'mlflow.db'}"
    assert LazyClassifier("models:/x/1").store_dir is None and DEFAULT_STORE_DIR == PROJECT_ROOT / "runs"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:5999")
    assert resolve_uri() == "http://127.0.0.1:5999" and resolve_uri("sqlite:///x.db") == "sqlite:///x.db"


def test_using_a_store_puts_mlflow_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:///somewhere-else.db")
    before = mlflow.get_tracking_uri(), mlflow.get_registry_uri()
    with using(f"sqlite:///{tmp_path / 'm.db'}"):
        assert mlflow.get_tracking_uri().endswith("m.db")
    assert (mlflow.get_tracking_uri(), mlflow.get_registry_uri()) == before
    assert os.environ["MLFLOW_TRACKING_URI"] == "sqlite:///somewhere-else.db"


def test_registering_and_loading_leave_no_global_store_behind(tmp_path: Path):
    texts = ["refund please", "thanks a lot", "close my account", "hello"] * 3
    model = tfidf_logreg().fit(model_input(texts), ["yes", "no"] * 6)
    before = mlflow.get_tracking_uri(), os.environ.get("MLFLOW_TRACKING_URI")
    registered = log_and_register(model, "tiny", tracking_uri=f"sqlite:///{tmp_path / 'r.db'}")
    assert (mlflow.get_tracking_uri(), os.environ.get("MLFLOW_TRACKING_URI")) == before
    loaded = load_classifier(registered.uri, tracking_uri=registered.tracking_uri)
    assert list(loaded.classes_) == ["no", "yes"]
    assert (mlflow.get_tracking_uri(), os.environ.get("MLFLOW_TRACKING_URI")) == before
    joblib.dump(model, tmp_path / "m.joblib")
    assert list(LazyClassifier(str(tmp_path / "m.joblib")).classes_) == ["no", "yes"]
