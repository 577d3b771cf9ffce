"""Sharded evaluation: jobs in parallel (Hydra's joblib launcher), merged into one run equal to the unsharded one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import mlflow
import pytest
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from evalkit.cli.config import CONFIG_DIR, build
from evalkit.errors import InvalidData
from evalkit.pipeline.evaluate import evaluate
from evalkit.pipeline.sharding import Shard
from evalkit.transcript import Transcript, Turn
from tests.data import PROJECT_ROOT

COMMON = ["bots=[bot_v1,bot_v2]", "scorers=[chrf,token_f1]", "stats.n_resamples=300"]


def _evalkit(*args: str, cwd: Path = PROJECT_ROOT) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "evalkit", *args], capture_output=True, text=True, timeout=300,
                          cwd=cwd, env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)})
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def _reproducible(summary_path: Path) -> dict:
    """summary.json less what is measured rather than computed: reply latencies are wall-clock time."""
    summary = json.loads(summary_path.read_text())
    summary["bots"] = [{k: v for k, v in b.items() if not k.startswith("latency_")} for b in summary["bots"]]
    return summary


def _composed_run(run_dir: Path, *overrides: str, config_dir: Path = CONFIG_DIR, config_name: str = "run") -> None:
    """What `evalkit run` does, in this process: compose the config, save it, build, evaluate."""
    with initialize_config_dir(str(config_dir), version_base="1.3"):
        cfg = compose(config_name, list(overrides))
    run_dir.mkdir(parents=True)
    (run_dir / "config.yaml").write_text(OmegaConf.to_yaml(cfg, resolve=True))
    evaluate(build(cfg), run_dir)


def test_shards_split_by_transcript_id_deterministically():
    transcripts = [Transcript(f"t{i}", (Turn("customer", "hi"),)) for i in range(200)]
    parts = [Shard(i, 3).select(transcripts) for i in range(3)]
    assert sorted(t.id for p in parts for t in p) == sorted(t.id for t in transcripts)  # a partition
    assert all(40 < len(p) < 95 for p in parts)
    assert Shard(1, 3).select(reversed(transcripts)) == tuple(reversed(parts[1]))  # order-free membership
    assert Shard.parse("1/3") == Shard(1, 3) and Shard.parse(None) is None
    for bad in ("3/3", "x/2", "1"):
        with pytest.raises(InvalidData, match="shard"):
            Shard.parse(bad)


def test_sharded_joblib_sweep_merges_into_the_unsharded_summary(tmp_path: Path, store_uri: str):
    sweep = tmp_path / "sweep"
    _evalkit("run", "-m", "shard=0/2,1/2", "hydra/launcher=joblib", "hydra.launcher.n_jobs=2", *COMMON,
             f"tracker.tracking_uri={store_uri}", f"hydra.sweep.dir={sweep}",
             cwd=tmp_path)  # MLflow puts a SQLite store's artifacts in ./mlruns
    shards = [json.loads((sweep / str(i) / "summary.json").read_text()) for i in range(2)]
    assert sorted(s["shard"] for s in shards) == ["0/2", "1/2"] and all(s["cases"] < 291 for s in shards)

    # One MLflow run per job under one experiment, and the sweep's own run linking them.
    client = mlflow.MlflowClient(store_uri)
    runs = client.search_runs([client.get_experiment_by_name("evalkit").experiment_id],
                              filter_string="tags.`evalkit.sweep_dir` != ''")
    parents = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    kinds = sorted(r.data.tags.get("evalkit.kind", "job") for r in parents)
    assert kinds == ["job", "job", "sweep"]
    summary = json.loads((sweep / "sweep_summary.json").read_text())
    assert [j["overrides"][0] for j in summary["jobs"]] == ["shard=0/2", "shard=1/2"]
    assert "bot_v2/chrf" in (sweep / "sweep_summary.md").read_text()

    _composed_run(tmp_path / "merged", f"merge={sweep}", *COMMON, "tracker=none")
    _composed_run(tmp_path / "whole", *COMMON, "tracker=none")
    merged = _reproducible(tmp_path / "merged" / "summary.json")
    whole = _reproducible(tmp_path / "whole" / "summary.json")
    assert merged["cases"] == whole["cases"] == 291
    assert merged == whole  # every mean, CI, n, error count and fingerprint, to the last bit


def test_rerunning_a_recorded_config_reproduces_the_run(tmp_path: Path):
    first = tmp_path / "first"
    _evalkit("run", *COMMON, "bots=[bot_v2,retrieval]", "tracker=none", "seed=3", f"hydra.run.dir={first}")
    assert json.loads((first / "summary.json").read_text())["seed"] == 3
    env = json.loads((first / "environment.json").read_text())
    assert {"mlflow", "sacrebleu", "scipy"} <= env["packages"].keys()
    assert all(b["fingerprint"] for b in json.loads((first / "summary.json").read_text())["bots"])
    _composed_run(tmp_path / "again", config_dir=first, config_name="config")
    assert _reproducible(tmp_path / "again" / "summary.json") == _reproducible(first / "summary.json")
