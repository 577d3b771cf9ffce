"""Bad input is one line and exit code 2; a bug keeps its traceback (and is not called bad input)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.data import PROJECT_ROOT

pytestmark = pytest.mark.slow


def evalkit(*args: str, path: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ}
    env.pop("MLFLOW_TRACKING_URI", None)
    if path is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(path), str(PROJECT_ROOT)])
    return subprocess.run([sys.executable, "-m", "evalkit", *args], cwd=PROJECT_ROOT, env=env, capture_output=True,
                          text=True, timeout=300)


def test_two_bots_with_one_name_are_one_line(tmp_path: Path):
    out = evalkit("run", "tracker=none", "+bots.copy={_target_: evalkit.bots.recorded.RecordedBot, name: bot_v1, "
                  "path: ${project_root:}/datasets/demo/replies_bot_v1.jsonl}", f"hydra.run.dir={tmp_path}")
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        "evalkit: error: bot names must be unique; given twice: bot_v1 (set `name:` on one of them)"]


def test_two_scorers_with_one_name_are_one_line(tmp_path: Path):
    out = evalkit("run", "tracker=none", "+scorers.chrf_pp={_target_: evalkit.scorers.overlap.ChrF, word_order: 2}",
                  f"hydra.run.dir={tmp_path}")
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        "evalkit: error: scorer names must be unique; given twice: chrf (set `name:` on one of them)"]


def test_a_bug_in_a_bot_is_a_traceback_not_bad_input(tmp_path: Path):
    (tmp_path / "buggy.py").write_text("def reply(context):\n    return context[0]['no such key']\n")
    out = evalkit("serve", "bots=[callable]", "bots.callable.target=buggy:reply", "port=-1", path=tmp_path)
    # A port that cannot be bound is the OS refusing, not a value of ours to validate: it stays an exception...
    assert out.returncode not in (0, 2) and "Traceback" in out.stderr
    out = evalkit("run", "tracker=none", "bots=[callable]", "bots.callable.target=buggy:reply", "scorers=[chrf]",
                  f"hydra.run.dir={tmp_path / 'run'}", path=tmp_path)
    # ...while the callable's KeyError is each case's error record: the run completes, writes everything, prints
    # the table, and then fails in one line, because every reply failed (fail_on_error_rate, default 0.5).
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert "callable" in out.stdout and (tmp_path / "run" / "summary.json").exists()
    assert out.stderr.strip().splitlines() == [
        f"evalkit: error: replies failed beyond fail_on_error_rate=0.5: callable 100% (errors are in "
        f"{tmp_path / 'run' / 'results.jsonl'})"]
    ok = evalkit("run", "tracker=none", "bots=[callable]", "bots.callable.target=buggy:reply", "scorers=[chrf]",
                 "fail_on_error_rate=null",
                 f"hydra.run.dir={tmp_path / 'again'}", path=tmp_path)
    assert ok.returncode == 0, ok.stderr


@pytest.mark.parametrize(("args", "says"), [
    (["mlflow_experiment=nope"], "evalkit: error: dashboard: no experiment 'nope' in the store"),
    (["runs=[0123456789abcdef0123456789abcdef]"], "evalkit: error: dashboard: runs: no MLflow run "
                                                  "'0123456789abcdef0123456789abcdef'"),
    ([], "evalkit: error: dashboard: the store holds no evalkit run yet; run `evalkit run` first"),
], ids=["experiment", "run", "empty store"])
def test_a_dashboard_of_nothing_is_one_line(tmp_path: Path, args: list[str], says: str):
    out = evalkit("dashboard", f"tracker.store_dir={tmp_path}", f"hydra.run.dir={tmp_path / 'out'}", *args)
    assert out.returncode == 2 and out.stderr.strip().splitlines() == [says]
