"""MLflow's own UI, served by a real `mlflow server` on 127.0.0.1, shows what evalkit logs: the runs under
#/experiments/<id>/runs (the URL the README gives; the experiment's default page is the GenAI overview, empty for
runs), and each bot version under "Agent versions" with its metrics."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from mlflow import MlflowClient

from tests.data import PROJECT_ROOT
from tests.mlflow_server import mlflow_server

pytestmark = pytest.mark.slow


def test_the_ui_lists_the_runs_and_the_bot_versions_with_their_metrics(tmp_path: Path, visit):
    with mlflow_server(tmp_path) as url:
        env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", "HF_DATASETS_OFFLINE": "1"}
        for bot in ("bot_v1", "bot_v2"):
            out = subprocess.run([sys.executable, "-m", "evalkit", "run", f"bots=[human,{bot}]",
                                  f"tracker.tracking_uri={url}", f"hydra.run.dir={tmp_path / bot}",
                                  "stats.n_resamples=100", "cache=off", "scorers=[chrf]", "tracker.traces=none"],
                                 cwd=PROJECT_ROOT, env=env,
                                 capture_output=True, text=True, timeout=300)
            assert out.returncode == 0, out.stderr
        client = MlflowClient(url)
        experiment = client.get_experiment_by_name("evalkit").experiment_id
        models = {m.name: m for m in client.search_logged_models([experiment])}
        chrf = {m.key: m.value for m in models["bot_v2"].metrics}["chrf/mean"]

        visit.page.goto(f"{url}/#/experiments/{experiment}")
        visit.page.wait_for_url("**/overview/**", timeout=60_000)  # the GenAI overview: traces, not runs
        visit.page.goto(f"{url}/#/experiments/{experiment}/runs")
        visit.page.get_by_text("demo · bot_v2 · ").first.wait_for(timeout=60_000)
        assert visit.page.get_by_text("demo · bot_v1 · ").count() >= 1

        visit.page.goto(f"{url}/#/experiments/{experiment}/models")
        for name in ("bot_v1", "bot_v2"):
            visit.page.get_by_role("link", name=name, exact=True).first.wait_for(timeout=60_000)

        # A dashboard of a server's runs links into that server's UI.
        out = subprocess.run([sys.executable, "-m", "evalkit", "dashboard", f"tracker.tracking_uri={url}",
                              "track=false", f"hydra.run.dir={tmp_path / 'dashboard'}"], cwd=PROJECT_ROOT, env=env,
                             capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stderr
        page = (tmp_path / "dashboard" / "dashboard.html").read_text()
        assert f'href="{url}/#/experiments/{experiment}/models/{models["bot_v2"].model_id}"' in page

        visit.page.goto(f"{url}/#/experiments/{experiment}/models/{models['bot_v2'].model_id}")
        visit.page.get_by_text("chrf/mean", exact=True).first.wait_for(timeout=60_000)
        assert f"{chrf:.2f}"[:4] in visit.page.inner_text("body")  # the value beside it, as the UI rounds it
