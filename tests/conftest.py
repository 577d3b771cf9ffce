"""Shared fixtures. Tests never reach a model hub, a dataset hub or a telemetry host."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

for _name, _value in {"MLFLOW_DISABLE_TELEMETRY": "true", "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
                      "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}.items():
    os.environ.setdefault(_name, _value)

from tests.data import SHARED_DATA  # noqa: E402  (after the environment above, which imports read)
from tests.models import TINY_CHAT_TEMPLATE, build_tiny_gpt2  # noqa: E402


@pytest.fixture(autouse=True)
def _shared_data_present(request: pytest.FixtureRequest) -> None:
    """Tests marked `shared_data` read real data beside the checkout: without it they fail, saying where."""
    if request.node.get_closest_marker("shared_data") and not SHARED_DATA.is_dir():
        pytest.fail(f"this test reads the real data in {SHARED_DATA} (Twitter care, ABCD, FED), which is absent: "
                    "check out the shared data beside the project", pytrace=False)


@pytest.fixture(autouse=True)
def _no_ambient_tracking_uri(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's MLFLOW_TRACKING_URI must not receive test runs."""
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)


@pytest.fixture(autouse=True)
def _own_reply_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs composed from configs/run.yaml (in-process or CLI subprocesses) never touch the project's reply cache."""
    monkeypatch.setenv("EVALKIT_CACHE_PATH", str(tmp_path / "reply-cache.sqlite"))


@pytest.fixture
def store_uri(tmp_path: Path) -> str:
    """A fresh embedded MLflow store for one test."""
    return f"sqlite:///{tmp_path / 'mlflow.db'}"


@pytest.fixture(scope="session")
def tiny_gpt2_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny causal LM checkpoint on disk whose tokenizer has no chat template (and no pad token)."""
    return build_tiny_gpt2(tmp_path_factory.mktemp("tiny-gpt2"))


@pytest.fixture(scope="session")
def tiny_gpt2_chat_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same tiny model, its tokenizer carrying a chat template."""
    return build_tiny_gpt2(tmp_path_factory.mktemp("tiny-gpt2-chat"), chat_template=TINY_CHAT_TEMPLATE)
