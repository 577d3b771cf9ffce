from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from evalkit.cli.config import CONFIG_DIR, PROJECT_ROOT, build_rescore
from evalkit.errors import InvalidData
from evalkit.loaders.table import TableLoader
from evalkit.pipeline.evaluate import Evaluation, evaluate
from evalkit.pipeline.rescore import rescore
from evalkit.results import ResultsLog
from evalkit.scorers.overlap import ChrF, TokenF1
from evalkit.summaries.run import StatsSettings
from evalkit.testing import EchoBot, RecordingTracker
from evalkit.tracking.runs import NullTracker
from tests.data import write_transcripts


def source_run(tmp_path: Path) -> tuple[Path, Path]:
    """A finished run of EchoBot whose saved config names a bot that cannot even load."""
    data = write_transcripts(tmp_path / "transcripts.jsonl")
    run_dir = tmp_path / "source"
    evaluate(Evaluation(dataset=TableLoader(str(data), name="mini"), bots=[EchoBot()], scorers=[ChrF()],
                        tracker=NullTracker(), stats=StatsSettings(n_resamples=50)), run_dir)
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        cfg = compose("run", overrides=["dataset=jsonl", f"dataset.path={data}", "dataset.name=mini",
                                        "bots=[transformers]", "bots.transformers.model=/no/such/model",
                                        "scorers=[chrf]", "tracker=none"])
    (run_dir / "config.yaml").write_text(OmegaConf.to_yaml(cfg, resolve=True))
    return run_dir, data


def rescore_config(run_dir: Path, *overrides: str):
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        return compose("rescore", overrides=[f"run_dir={run_dir}", "scorers=[token_f1]", "tracker=none",
                                             *overrides])


def test_rescore_command_scores_recorded_replies_without_any_bot(tmp_path: Path):
    source, _ = source_run(tmp_path)
    target = tmp_path / "rescored"
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "evalkit", "rescore", f"run_dir={source}", "scorers=[token_f1]", "tracker=none",
         f"hydra.run.dir={target}", "primary_scorer=token_f1"],
        env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    old = {(r.bot, r.case_id): r for r in ResultsLog(source / "results.jsonl")}
    new = {(r.bot, r.case_id): r for r in ResultsLog(target / "results.jsonl")}
    assert new.keys() == old.keys()
    assert all(new[k].reply == old[k].reply for k in old)
    # As in a run, the human row skips reference-based scorers (it would only be compared with itself).
    assert all(set(r.scores) == ({"token_f1"} if r.reply.ok and not r.reply_is_reference else set())
               for r in new.values())
    assert any(r.reply_is_reference for r in new.values())
    summary = json.loads((target / "summary.json").read_text())
    assert {s["scorer"] for s in summary["scores"]} == {"token_f1"}
    assert "token_f1" in (target / "report.md").read_text()
    assert "rescored" in done.stdout


def test_rescore_of_a_missing_run_is_a_one_line_error(tmp_path: Path):
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    done = subprocess.run([sys.executable, "-m", "evalkit", "rescore", f"run_dir={tmp_path / 'nope'}", "tracker=none",
                           f"hydra.run.dir={tmp_path / 'out'}"], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1].startswith("evalkit: error: ")
    assert "config.yaml: not found" in done.stderr


def test_rescore_builds_no_bot_and_keeps_the_run_settings(tmp_path: Path):
    source, _ = source_run(tmp_path)
    evaluation = build_rescore(OmegaConf.load(source / "config.yaml"), rescore_config(source))
    assert evaluation.bots == ()
    assert [s.name for s in evaluation.scorers] == ["token_f1"]
    assert evaluation.slices == ("company", "intent")
    tracker = RecordingTracker()
    outcome = rescore(Evaluation(**{**evaluation.__dict__, "tracker": tracker}), source, tmp_path / "new")
    assert outcome.summary.cases == 6
    assert {b.bot: b.n_errors for b in outcome.summary.bots} == {"human": 0, "echo": 1}
    assert [b.name for b in tracker.runs[0].bots] == ["human", "echo"]


def test_rescore_refuses_changed_data(tmp_path: Path):
    source, data = source_run(tmp_path)
    data.write_text(data.read_text().replace("charged twice", "charged three times"))
    evaluation = Evaluation(dataset=TableLoader(str(data), name="mini"), bots=(), scorers=[TokenF1()])
    with pytest.raises(InvalidData, match="changed since run"):
        rescore(evaluation, source, tmp_path / "new")


def test_rescore_needs_a_results_log(tmp_path: Path):
    data = write_transcripts(tmp_path / "transcripts.jsonl")
    evaluation = Evaluation(dataset=TableLoader(str(data), name="mini"), bots=(), scorers=[TokenF1()])
    with pytest.raises(InvalidData, match=r"results\.jsonl: not found"):
        rescore(evaluation, tmp_path / "nothing", tmp_path / "new")
