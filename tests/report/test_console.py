"""The console table follows the terminal: the wide table where it fits, a stacked one where it does not (rows never
wrap), and with no bar (a pipe, CI) a line per bot as it finishes."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from evalkit.loaders.table import TableLoader
from evalkit.pipeline.evaluate import Evaluation, evaluate
from evalkit.report.console import print_summary
from evalkit.scorers.overlap import ChrF, TokenF1
from evalkit.summaries.run import StatsSettings
from evalkit.testing import EchoBot
from tests.data import write_transcripts


def run(tmp_path: Path):
    evaluation = Evaluation(dataset=TableLoader(str(write_transcripts(tmp_path / "t.jsonl"))),
                            bots=[EchoBot(), EchoBot(name="echo_two", version=2)], scorers=[ChrF(), TokenF1()],
                            stats=StatsSettings(n_resamples=20))
    return evaluate(evaluation, tmp_path / "run")


@pytest.fixture
def outcome(tmp_path: Path):
    return run(tmp_path)


def printed(outcome, width: int) -> list[str]:
    out = io.StringIO()
    print_summary(outcome.summary, outcome.run_dir, outcome.report_path, None,
                  console=Console(file=out, width=width, color_system=None))
    return out.getvalue().splitlines()


def test_wide_where_it_fits_stacked_where_it_does_not(outcome):
    wide = printed(outcome, 200)
    header = next(line for line in wide if "chrf" in line)
    assert "token_f1" in header  # one row per bot, a column per scorer
    narrow = printed(outcome, 60)
    table = [line for line in narrow if line.startswith(("┃", "│", "┏", "└"))]
    assert all(len(line) <= 60 for line in table)
    assert any("echo_two" in line and "chrf" in line for line in table)  # a row per bot × scorer
    assert not any("chrf" in line and "token_f1" in line for line in table)


def test_a_line_per_bot_when_there_is_no_bar(tmp_path: Path, capfd):
    run(tmp_path)  # pytest's stderr is no terminal, as in CI
    out = capfd.readouterr().out
    assert "echo: 6 cases, 1 errors" in out and "echo_two: 6 cases, 1 errors" in out
