"""Acceptance of the paired comparison on the demo set, and of the gate as CI uses it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import mlflow
import numpy as np
import pytest

from evalkit.bots.recorded import RecordedBot
from evalkit.compare.gate import GateRule, check_gate
from evalkit.compare.paired import Settings, compare_bots
from evalkit.compare.session import compare_sides
from evalkit.compare.sources import Side, read_run_dir
from evalkit.loaders.table import TableLoader
from evalkit.pipeline.evaluate import Evaluation, evaluate
from evalkit.reply import Reply
from evalkit.results import Record
from evalkit.scorers.overlap import ChrF, RougeL, TokenF1
from evalkit.summaries.run import StatsSettings
from evalkit.summaries.slices import OVERALL
from evalkit.tracking.store import using
from tests.data import DEMO, PROJECT_ROOT

FAST = Settings(stats=StatsSettings(n_resamples=500), n_permutations=1999)


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    run_dir = tmp_path_factory.mktemp("demo_run")
    evaluate(Evaluation(
        dataset=TableLoader(str(DEMO / "transcripts.jsonl"), name="demo"),
        bots=[RecordedBot(str(DEMO / "replies_bot_v1.jsonl"), "bot_v1"),
              RecordedBot(str(DEMO / "replies_bot_v2.jsonl"), "bot_v2")],
        scorers=[ChrF(), RougeL(), TokenF1()], stats=StatsSettings(n_resamples=200),
    ), run_dir)
    return run_dir


def _cli(*args: str, cwd: Path = PROJECT_ROOT) -> subprocess.CompletedProcess:
    """The command as CI runs it: its own process, its exit code."""
    return subprocess.run([sys.executable, "-m", "evalkit", *args], capture_output=True, text=True, timeout=300,
                          cwd=cwd, env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)})


def test_v2_is_significantly_better_overall_and_its_late_fee_regression_is_named(demo_run: Path):
    run = read_run_dir(demo_run)
    assert run.higher_is_better == {"chrf": True, "rouge_l": True, "token_f1": True}  # recorded by the run
    outcome = compare_sides(Side("bot_v1", str(demo_run)), [Side("bot_v2", str(demo_run))], {str(demo_run): run},
                            FAST, slice_keys=["intent", "company"], primary="chrf")
    (comparison,) = outcome.comparisons
    assert comparison.n_shared == 291
    overall = {r.scorer: r for r in comparison.rows if r.slice_key == OVERALL}
    assert {s: r.verdict(0.05) for s, r in overall.items()} == {s: "better" for s in ("chrf", "rouge_l", "token_f1")}
    assert overall["chrf"].n == 282  # v1's 9 missing replies are not paired
    assert overall["chrf"].ci_low > 0 and overall["chrf"].wins > overall["chrf"].losses
    worse = {(r.slice_key, r.slice_value) for r in comparison.rows if r.verdict(0.05) == "worse"}
    assert worse == {("intent", "late_fee")}
    assert not any(r.slice_key == "company" for r in comparison.rows)  # one company: the overall test again
    assert comparison.regressions[0].slices["intent"] == "late_fee"
    assert comparison.regressions[0].candidate_score < comparison.regressions[0].baseline_score

    violations = check_gate(outcome.comparisons, [GateRule("chrf", 1.0, ("intent",))], 0.05)
    assert [(v.row.slice_value, v.row.scorer) for v in violations] == [("late_fee", "chrf")]
    assert check_gate(outcome.comparisons, [GateRule("chrf", 1.0)], 0.05) == []
    assert check_gate(outcome.comparisons, [GateRule("chrf", 50.0, ("intent",))], 0.05) == []


def _records(bot: str, scores: np.ndarray) -> list[Record]:
    return [Record(bot=bot, case_id=f"t{i}:1", transcript_id=f"t{i}", turn_index=1,
                   slices={"intent": f"i{i % 4}"}, context=(), reference="r", reply=Reply(text="x"),
                   scores={"a": float(s[0]), "b": float(s[1]), "c": float(s[2])}) for i, s in enumerate(scores)]


def test_two_exchangeable_bots_show_no_significant_difference_after_correction():
    rng = np.random.default_rng(7)
    quality = rng.uniform(0, 1, (240, 3))
    one = _records("one", quality + rng.normal(0, 0.1, quality.shape))
    two = _records("two", quality + rng.normal(0, 0.1, quality.shape))
    comparison = compare_bots(one, two, {"a": True, "b": True, "c": False}, ["intent"], FAST)
    assert len(comparison.rows) == 3 * 5
    assert all(r.verdict(0.05) == "no sig. diff" for r in comparison.rows)
    shifted = _records("three", quality + 0.05 + rng.normal(0, 0.1, quality.shape))
    rows = {r.scorer: r for r in compare_bots(one, shifted, {"a": True, "b": True, "c": False}, [], FAST).rows}
    assert rows["a"].verdict(0.05) == "better" and rows["c"].verdict(0.05) == "worse"  # direction, not sign


def test_gate_exit_codes_and_outputs(demo_run: Path, tmp_path: Path):
    base = ["compare", f"run={demo_run}", "baseline=bot_v1", "candidates=[bot_v2]", "track=false",
            "n_permutations=999", "stats.n_resamples=200"]
    failed = _cli(*base, "gate=default", f"hydra.run.dir={tmp_path / 'fail'}")
    assert failed.returncode == 1, failed.stderr
    assert "GATE FAILED" in failed.stdout and "intent=late_fee" in failed.stdout
    report = (tmp_path / "fail" / "comparison.md").read_text()
    assert "## Gate: FAILED" in report and "Largest regressions" in report and "late_fee" in report
    data = json.loads((tmp_path / "fail" / "comparison.json").read_text())
    assert data["gate"]["passed"] is False and data["scorers"]["chrf"] == {"higher_is_better": True}

    bad = _cli(*base[:3], "candidates=[bot_v9]", "track=false", f"hydra.run.dir={tmp_path / 'bad'}")
    assert bad.returncode == 2 and "no results for bot 'bot_v9'" in bad.stderr


def test_comparison_run_links_the_compared_runs(demo_run: Path, tmp_path: Path, store_uri: str):
    (demo_run / "mlflow_run_id").write_text("0" * 32)  # as if the evaluation had been tracked
    try:
        passed = _cli("compare", f"run={demo_run}", "baseline=bot_v1", "candidates=[bot_v2]", "gate=overall",
                      "n_permutations=999", "stats.n_resamples=200", f"tracker.tracking_uri={store_uri}",
                      f"hydra.run.dir={tmp_path}", cwd=tmp_path)  # MLflow puts a SQLite store's artifacts in ./mlruns
    finally:
        (demo_run / "mlflow_run_id").unlink()
    assert passed.returncode == 0, passed.stderr
    client = mlflow.MlflowClient(store_uri)
    (run,) = client.search_runs([client.get_experiment_by_name("evalkit").experiment_id])
    assert run.data.tags["evalkit.kind"] == "comparison" and run.data.tags["evalkit.gate"] == "passed"
    assert run.data.tags["evalkit.baseline_run_id"] == "0" * 32
    assert run.data.tags["evalkit.compared_run.bot_v2"] == "0" * 32
    assert run.data.params["test"] == "permutation" and run.data.params["correction"] == "holm"
    assert run.data.metrics["bot_v2/chrf/diff"] > 30
    assert not any("/slice/" in k for k in run.data.metrics)  # slices are the run's table
    with using(store_uri):
        table = client.load_table(run.info.experiment_id, "slices.json", run_ids=[run.info.run_id])
    late_fee = table[(table.slice_value == "late_fee") & (table.scorer == "chrf")].iloc[0]
    assert late_fee["diff"] < 0 and late_fee.ci_high < 0
