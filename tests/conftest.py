"""Shared fixtures. Tests never reach a model hub, a dataset hub or a telemetry host."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

for _name, _value in {"MLFLOW_DISABLE_TELEMETRY": "true", "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
                      "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}.items():
    os.environ.setdefault(_name, _value)
# Under pytest-xdist every core runs a worker: torch's and BLAS's thread pools get the worker's share of the cores
# (the evalkit processes tests start inherit it), instead of each worker's pools spinning on every core.
if os.environ.get("PYTEST_XDIST_WORKER_COUNT"):
    _threads = str(max(1, (os.cpu_count() or 1) // int(os.environ["PYTEST_XDIST_WORKER_COUNT"])))
    for _name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ.setdefault(_name, _threads)

# A developer's tracking URI must not receive test runs, module fixtures' included (they start before any test).
_URI_VARIABLES = ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")
for _name in _URI_VARIABLES:
    os.environ.pop(_name, None)

from tests.data import SHARED_DATA  # noqa: E402  (after the environment above, which imports read)
from tests.models import TINY_CHAT_TEMPLATE, build_tiny_gpt2  # noqa: E402


@pytest.fixture(autouse=True)
def _shared_data_present(request: pytest.FixtureRequest) -> None:
    """Tests marked `shared_data` read real data beside the checkout: without it they fail, saying where."""
    if request.node.get_closest_marker("shared_data") and not SHARED_DATA.is_dir():
        pytest.fail(f"this test reads the real data in {SHARED_DATA} (Twitter care, ABCD, FED), which is absent: "
                    "check out the shared data beside the project", pytrace=False)


@pytest.fixture(autouse=True)
def _no_ambient_tracking_uri() -> Iterator[None]:
    """No tracking URI a test set (mlflow.set_tracking_uri exports one) reaches the next test or module fixture,
    whichever test ran before it on this worker."""
    yield
    for name in _URI_VARIABLES:
        os.environ.pop(name, None)


@pytest.fixture(autouse=True)
def _own_reply_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs composed from configs/run.yaml (in-process or CLI subprocesses) never touch the project's reply cache."""
    monkeypatch.setenv("EVALKIT_CACHE_PATH", str(tmp_path / "reply-cache.sqlite"))


@pytest.fixture
def store_uri(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh SQLite MLflow store for one test. The test runs in its temporary directory: MLflow puts the artifacts
    of a store named by URI in ./mlruns, which must not be the project's."""
    monkeypatch.chdir(tmp_path)
    return f"sqlite:///{tmp_path / 'mlflow.db'}"


@pytest.fixture(scope="session")
def tiny_gpt2_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny causal LM checkpoint on disk whose tokenizer has no chat template (and no pad token)."""
    return build_tiny_gpt2(tmp_path_factory.mktemp("tiny-gpt2"))


@pytest.fixture(scope="session")
def tiny_gpt2_chat_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same tiny model, its tokenizer carrying a chat template."""
    return build_tiny_gpt2(tmp_path_factory.mktemp("tiny-gpt2-chat"), chat_template=TINY_CHAT_TEMPLATE)
