"""A store that is down, a store two runs create at once, a process killed while logging: the results survive,
the exit code says what happened, nothing is left RUNNING, and `evalkit sync` logs the run once, later."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from tests.data import PROJECT_ROOT

pytestmark = pytest.mark.slow


def env(**extra: str) -> dict[str, str]:
    out = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", **extra}
    if "MLFLOW_TRACKING_URI" not in extra:
        out.pop("MLFLOW_TRACKING_URI", None)
    return out


def evalkit(*args: str, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "evalkit", *args], cwd=PROJECT_ROOT, env=env(**extra),
                          capture_output=True, text=True, timeout=300)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens there once the socket is closed


def parents(store: Path) -> list:
    client = MlflowClient(f"sqlite:///{store / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("evalkit")
    runs = client.search_runs([experiment.experiment_id]) if experiment else []
    return [r for r in runs if "mlflow.parentRunId" not in r.data.tags]


SMALL = ("bots=[human,bot_v2]", "scorers=[chrf,rubric]")


def test_an_unreachable_server_costs_seconds_and_sync_logs_the_run_once(tmp_path: Path):
    run_dir = tmp_path / "run"
    began = time.monotonic()
    out = evalkit("run", *SMALL, f"hydra.run.dir={run_dir}", MLFLOW_TRACKING_URI=f"http://127.0.0.1:{closed_port()}")
    assert time.monotonic() - began < 30
    assert out.returncode == 3
    assert "bot_v2" in out.stdout and f"run directory: {run_dir}" in out.stdout  # the results, printed first
    (line,) = out.stderr.strip().splitlines()
    assert "cannot be used: connection refused" in line and f"evalkit sync {run_dir}" in line
    assert "Traceback" not in out.stderr and (run_dir / "summary.json").exists()

    synced = evalkit("sync", str(run_dir), f"tracker.store_dir={tmp_path}")
    assert synced.returncode == 0 and synced.stdout.startswith("logged:"), synced.stderr
    again = evalkit("sync", str(run_dir), f"tracker.store_dir={tmp_path}")
    assert again.returncode == 0 and again.stdout.startswith("already logged:")
    (parent,) = parents(tmp_path)
    assert parent.info.status == "FINISHED" and parent.data.tags["evalkit.state"] == "complete"
    assert (run_dir / "mlflow_run_id").read_text().strip() == parent.info.run_id


def test_runs_started_together_on_a_new_store_are_all_logged(tmp_path: Path):
    jobs = [subprocess.Popen([sys.executable, "-m", "evalkit", "run", *SMALL, f"hydra.run.dir={tmp_path / str(i)}",
                              f"tracker.store_dir={tmp_path}"], cwd=PROJECT_ROOT, env=env(), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for i in range(3)]
    results = [job.communicate(timeout=300) for job in jobs]
    assert [job.returncode for job in jobs] == [0, 0, 0], [err for _, err in results]
    assert len(parents(tmp_path)) == 3


def test_a_kill_while_logging_leaves_no_running_run_and_sync_replaces_it(tmp_path: Path):
    run_dir, database = tmp_path / "run", tmp_path / "mlflow.db"
    job = subprocess.Popen([sys.executable, "-m", "evalkit", "run", *SMALL, f"hydra.run.dir={run_dir}",
                            f"tracker.store_dir={tmp_path}"], cwd=PROJECT_ROOT, env=env(), stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and job.poll() is None:  # kill as soon as the parent run exists
        if database.exists():
            try:
                with sqlite3.connect(database) as db:
                    if db.execute("SELECT count(*) FROM tags WHERE key = 'evalkit.state'").fetchone()[0]:
                        break
            except sqlite3.OperationalError:  # the schema is still being created
                pass
        time.sleep(0.02)
    job.kill()
    job.wait(timeout=30)
    with sqlite3.connect(database) as db:
        statuses = [s for (s,) in db.execute("SELECT status FROM runs")]
    assert statuses and "RUNNING" not in statuses
    synced = evalkit("sync", str(run_dir), f"tracker.store_dir={tmp_path}")
    if not (run_dir / "tracking.json").exists():  # killed before the run directory was complete: nothing to sync
        assert synced.returncode == 2
        return
    assert synced.returncode == 0, synced.stderr
    (parent,) = parents(tmp_path)
    assert parent.info.status == "FINISHED" and parent.data.tags["evalkit.state"] == "complete"
