"""Shared fixtures. Tests never reach a model hub, a dataset hub or a telemetry host."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

for _name, _value in {"MLFLOW_DISABLE_TELEMETRY": "true", "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
                      "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}.items():
    os.environ.setdefault(_name, _value)

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data"
TWITTER_DEV = SHARED_DATA / "ibm-twitter-care" / "dev.json"
ABCD_SAMPLE = SHARED_DATA / "abcd" / "data" / "abcd_sample.json"
DEMO = PROJECT_ROOT / "datasets" / "demo"


@pytest.fixture(autouse=True)
def _no_ambient_tracking_uri(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's MLFLOW_TRACKING_URI must not receive test runs."""
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)


@pytest.fixture
def store_uri(tmp_path: Path) -> str:
    """A fresh embedded MLflow store for one test."""
    return f"sqlite:///{tmp_path / 'mlflow.db'}"
