"""The markdown report ranks replies by the run's primary scorer, not by whichever scorer came first."""

from __future__ import annotations

from pathlib import Path

from evalkit.loaders.table import TableLoader
from evalkit.pipeline.evaluate import Evaluation, evaluate
from evalkit.scorers.overlap import ChrF, TokenF1
from evalkit.summaries.run import StatsSettings
from evalkit.testing import EchoBot
from tests.data import write_transcripts


def report(tmp_path: Path, primary: str) -> str:
    evaluation = Evaluation(dataset=TableLoader(str(write_transcripts(tmp_path / "t.jsonl"))), bots=[EchoBot()],
                            scorers=[ChrF(), TokenF1()], primary=primary, slices=("intent",),
                            stats=StatsSettings(n_resamples=20))
    return evaluate(evaluation, tmp_path / primary).report_path.read_text()


def test_primary_scorer_drives_the_report(tmp_path: Path):
    text = report(tmp_path, "token_f1")
    assert "## Lowest token_f1 replies" in text and "## token_f1 by intent" in text
    assert "Lowest chrf" not in text


def test_a_primary_scorer_the_run_lacks_falls_back_to_the_first(tmp_path: Path):
    assert "## Lowest chrf replies" in report(tmp_path, "rubric")
