"""Each scorer's measured agreement with people travels with the run: summary.json, report.md and MLflow tags."""

from __future__ import annotations

import json
from pathlib import Path

import mlflow
import pytest

from evalkit.errors import InvalidData
from evalkit.loaders.table import TableLoader
from evalkit.pipeline.evaluate import Evaluation, evaluate
from evalkit.scorers.overlap import ChrF, TokenF1
from evalkit.summaries.run import StatsSettings
from evalkit.summaries.trust import measured_validity
from evalkit.testing import EchoBot
from evalkit.tracking.runs import MlflowTracker
from tests.data import write_transcripts

CHRF = {"data": "FED", "aspect": "Overall", "spearman": 0.21, "ci_low": 0.1, "ci_high": 0.3, "n": 375,
        "how": "zero-shot", "source": "benchmarks/results/x.md"}


def test_entries_are_checked_in_one_line_naming_the_entry():
    (v,) = measured_validity({"chrf": CHRF})
    assert v.describe() == "Spearman 0.21 [0.10, 0.30] with Overall on FED (n=375, zero-shot)"
    with pytest.raises(InvalidData, match=r"validity\.chrf: missing n"):
        measured_validity({"chrf": {k: x for k, x in CHRF.items() if k != "n"}})
    with pytest.raises(InvalidData, match=r"validity\.chrf: unknown key\(s\) rho"):
        measured_validity({"chrf": {**CHRF, "rho": 1}})
    with pytest.raises(InvalidData, match=r"validity\.chrf: spearman, ci_low, ci_high and n must be numbers"):
        measured_validity({"chrf": {**CHRF, "spearman": "high"}})


def test_the_run_shows_how_far_to_trust_each_of_its_scorers(tmp_path: Path):
    evaluation = Evaluation(
        dataset=TableLoader(str(write_transcripts(tmp_path / "t.jsonl"))), bots=[EchoBot()],
        scorers=[ChrF(), TokenF1()], stats=StatsSettings(n_resamples=20),
        tracker=MlflowTracker(store_dir=str(tmp_path / "store")),
        validity=measured_validity({"chrf": CHRF, "quality": {**CHRF, "spearman": 0.45}}))
    outcome = evaluate(evaluation, tmp_path / "run")
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert [v["scorer"] for v in summary["validity"]] == ["chrf"]  # only the run's own scorers
    report = outcome.report_path.read_text()
    assert "- **chrf**: Spearman 0.21 [0.10, 0.30] with Overall on FED (n=375, zero-shot) — benchmarks/results/x.md" \
        in report
    assert "- **token_f1**: not measured against human ratings" in report
    run = mlflow.MlflowClient(f"sqlite:///{tmp_path / 'store' / 'mlflow.db'}").get_run(outcome.run_id)
    assert run.data.tags["evalkit.validity.chrf"].startswith("Spearman 0.21 [0.10, 0.30]")


def test_a_judge_config_brings_its_own_measurement():
    from hydra import compose, initialize_config_dir

    from evalkit.cli.config import CONFIG_DIR, validity_of

    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        plain, local = (compose("run", overrides=o) for o in ([], ["judge=smollm2"]))
    assert "judge_helpfulness" not in {v.scorer for v in validity_of(plain)}
    judged = {v.scorer: v for v in validity_of(local)}
    assert judged["judge_helpfulness"].spearman == 0.041 and "judge=smollm2" in judged["judge_helpfulness"].how
    assert {"quality", "relevance", "rubric"} <= set(judged)  # the measured entries stay
