"""`evalkit run` end to end, as a user runs it: a subprocess, real files, a real embedded MLflow store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from tests.data import ABCD_SAMPLE, PROJECT_ROOT, TWITTER_DEV

pytestmark = pytest.mark.slow


def evalkit(*args: str, cwd: Path = PROJECT_ROOT) -> subprocess.CompletedProcess:
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", "HF_DATASETS_OFFLINE": "1"}
    env.pop("MLFLOW_TRACKING_URI", None)
    return subprocess.run([sys.executable, "-m", "evalkit", "run", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


def runs_in(store: Path) -> list:
    client = MlflowClient(f"sqlite:///{store / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("evalkit")
    return [] if experiment is None else client.search_runs([experiment.experiment_id])


def test_demo_run_prints_the_comparison_and_fills_the_run_directory(tmp_path):
    out = evalkit(f"hydra.run.dir={tmp_path / 'run'}", f"tracker.store_dir={tmp_path}")
    assert out.returncode == 0, out.stderr
    for bot in ("human", "bot_v1", "bot_v2", "retrieval"):
        assert bot in out.stdout
    assert "MLflow run id:" in out.stdout and str(tmp_path / "run") in out.stdout
    run_dir = tmp_path / "run"
    assert {"config.yaml", "results.jsonl", "summary.json", "report.md"} <= {p.name for p in run_dir.iterdir()}
    summary = json.loads((run_dir / "summary.json").read_text())
    means = {(s["bot"], s["scorer"]): s["mean"] for s in summary["scores"] if s["slice_key"] == "all"}
    assert means[("bot_v2", "chrf")] > means[("bot_v1", "chrf")]
    assert ("human", "chrf") not in means  # reference-based scorers would only compare the reference with itself
    assert [b["n_errors"] for b in summary["bots"] if b["bot"] == "bot_v1"] == [9]  # its missing replies


@pytest.mark.shared_data
def test_twitter_care_dev_logs_a_parent_and_a_nested_run_per_bot(tmp_path):
    # The experiment overlay: Twitter care, bots [human, retrieval], sliced by company (its only slice key).
    out = evalkit("experiment=twitter_care", f"dataset.path={TWITTER_DEV}", "scorers=[chrf,token_f1]",
                  f"hydra.run.dir={tmp_path / 'run'}",
                  f"tracker.store_dir={tmp_path}")
    assert out.returncode == 0, out.stderr
    runs = runs_in(tmp_path)
    parents = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    children = [r for r in runs if r.data.tags.get("mlflow.parentRunId") == parents[0].info.run_id]
    assert len(parents) == 1 and sorted(r.info.run_name for r in children) == ["human", "retrieval"]
    parent = parents[0]
    assert parent.data.tags["evalkit.dataset_digest"] and parent.data.tags["evalkit.version"]
    assert parent.data.params["replay.policy"] == "all"
    assert MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}").get_run(parent.info.run_id).inputs.dataset_inputs
    client = MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}")
    for child in children:
        assert child.data.metrics["n_cases"] == 586
        if child.info.run_name == "human":
            continue
        assert {"chrf/mean", "chrf/ci_low", "chrf/ci_high", "error_rate"} <= set(child.data.metrics)
        slices = json.loads(Path(client.download_artifacts(child.info.run_id, "slices.json", str(tmp_path)))
                            .read_text())
        assert "company" in {row[0] for row in slices["data"]}  # per-slice numbers: the bot run's table
        table = Path(client.download_artifacts(child.info.run_id, "per_turn.json", str(tmp_path)))
        table = json.loads(table.read_text())
        assert len(table["data"]) == 586
    artifacts = {a.path for a in client.list_artifacts(parent.info.run_id)}
    assert {"report.md", "summary.json", "config.yaml"} <= artifacts


@pytest.mark.shared_data
def test_abcd_sample_runs(tmp_path):
    out = evalkit("experiment=abcd", f"dataset.path={ABCD_SAMPLE}", "tracker=none", f"hydra.run.dir={tmp_path}")
    assert out.returncode == 0, out.stderr
    assert "(tracker=none)" in out.stdout


def test_malformed_input_exits_2_with_one_line_and_logs_nothing(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "turns": [{"role": "customer", "text": "hi"}]}\n'
                   '{"id": "b", "turns": [{"role": "robot", "text": "hi"}]}\n')
    out = evalkit("dataset=jsonl", f"dataset.path={bad}", f"hydra.run.dir={tmp_path / 'run'}",
                  f"tracker.store_dir={tmp_path}")
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert lines == [f"evalkit: error: {bad}: record 1 (id 'b'), field 'turns[0].role': unknown role 'robot' "
                     "(expected one of customer, agent, system)"]
    assert runs_in(tmp_path) == []


def test_skip_completes_and_reports_the_count(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "turns": [{"role": "customer", "text": "hi"}, {"role": "agent", "text": "yo"}]}\n'
                   '{"id": "b", "turns": [{"role": "agent", "text": ""}]}\n'
                   '{"id": "c", "turns": [{"role": "customer", "text": "hey"}, {"role": "agent", "text": "hello"}]}\n')
    out = evalkit("dataset=jsonl", f"dataset.path={bad}", "on_error=skip", "bots=[human,retrieval]",
                  "slices=[]", f"hydra.run.dir={tmp_path / 'run'}", f"tracker.store_dir={tmp_path}")  # no metadata
    assert out.returncode == 0, out.stderr
    assert "skipped 1 invalid records" in out.stdout
    assert json.loads((tmp_path / "run" / "summary.json").read_text())["dataset"]["skipped"] == 1
    (parent,) = [r for r in runs_in(tmp_path) if "mlflow.parentRunId" not in r.data.tags]
    assert parent.data.metrics["skipped_records"] == 1


def test_multirun_sweeps_the_replay_policy(tmp_path):
    out = evalkit("-m", "bots=[retrieval]", "replay.policy=all,final", f"hydra.sweep.dir={tmp_path / 'sweep'}",
                  "tracker=none")
    assert out.returncode == 0, out.stderr
    summaries = [json.loads((tmp_path / "sweep" / str(i) / "summary.json").read_text()) for i in (0, 1)]
    assert summaries[0]["cases"] == 291 and summaries[1]["cases"] == 150
