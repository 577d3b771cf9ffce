"""Latency, tokens, cost and cache counts per bot: in summaries, reports and the tracker; the progress bar."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from evalkit.bots.cache import ReplyStore
from evalkit.loaders.table import TableLoader
from evalkit.pipeline.evaluate import Evaluation, evaluate
from evalkit.scorers.overlap import TokenF1
from evalkit.summaries.run import StatsSettings
from evalkit.testing import EchoBot, RecordingTracker
from evalkit.tracking.runs import MlflowTracker
from tests.data import write_transcripts


def evaluation(data: Path, bot: EchoBot, tracker, store: ReplyStore | None = None) -> Evaluation:
    return Evaluation(dataset=TableLoader(str(data), name="mini"), bots=[bot], scorers=[TokenF1()], tracker=tracker,
                      stats=StatsSettings(n_resamples=50), batch_size=4, cache=store)


def test_summaries_carry_latency_tokens_cost_and_cache_counts(tmp_path: Path):
    data = write_transcripts(tmp_path / "t.jsonl")
    store = ReplyStore(tmp_path / "replies.sqlite")
    tracker = RecordingTracker()
    outcome = evaluate(evaluation(data, EchoBot(), tracker, store), tmp_path / "cold")
    echo = next(b for b in outcome.summary.bots if b.bot == "echo")
    assert (echo.n_cases, echo.n_errors) == (6, 1)
    assert echo.latency_p50_s == 0.5
    assert (echo.tokens_in, echo.tokens_out, echo.cost) == (15, 10, pytest.approx(0.05))
    human = next(b for b in outcome.summary.bots if b.bot == "human")
    assert (human.tokens_in, human.cost) == (None, None)  # unknown, not zero

    metrics = {run.name: run.metrics for run in tracker.runs[0].bots}
    assert metrics["echo"]["latency_p50_s"] == 0.5 and metrics["echo"]["latency_p95_s"] == 0.5
    assert metrics["echo"]["tokens_in"] == 15 and metrics["echo"]["cost"] == pytest.approx(0.05)
    assert metrics["echo"]["cost_per_conversation"] == pytest.approx(0.05 / 4)  # four conversations
    assert (metrics["echo"]["cache_hits"], metrics["echo"]["cache_misses"]) == (0, 6)
    assert "cost" not in metrics["human"] and "cache_hits" not in metrics["human"]  # the human row is not cached

    summary = json.loads((tmp_path / "cold" / "summary.json").read_text())
    row = next(b for b in summary["bots"] if b["bot"] == "echo")
    assert row["latency_p95_s"] == 0.5 and row["tokens_out"] == 10 and row["error_rate"] == pytest.approx(1 / 6)
    assert "| echo | " in (report := (tmp_path / "cold" / "report.md").read_text()) and "p95 s" in report
    assert "15/10 | 0.0500 |" in report

    warm_bot = EchoBot()
    evaluate(evaluation(data, warm_bot, tracker, store), tmp_path / "warm")
    assert warm_bot.asked == [["c3:1"]]  # the failure was not cached; everything else was
    metrics = {run.name: run.metrics for run in tracker.runs[1].bots}
    assert (metrics["echo"]["cache_hits"], metrics["echo"]["cache_misses"]) == (5, 1)


@pytest.mark.slow
def test_usage_metrics_reach_mlflow(tmp_path: Path, store_uri: str):
    data = write_transcripts(tmp_path / "t.jsonl")
    outcome = evaluate(evaluation(data, EchoBot(), MlflowTracker(tracking_uri=store_uri),
                                  ReplyStore(tmp_path / "r.sqlite")), tmp_path / "run")
    from mlflow.tracking import MlflowClient

    client = MlflowClient(store_uri)
    child = client.search_runs(client.get_run(outcome.run_id).info.experiment_id,
                               filter_string="tags.`evalkit.bot` = 'echo'")[0]
    for name in ("latency_p50_s", "latency_p95_s", "tokens_in", "tokens_out", "cost", "cost_per_conversation",
                 "cache_hits", "cache_misses", "error_rate"):
        assert name in child.data.metrics, name


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_only_on_a_terminal(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                         monkeypatch: pytest.MonkeyPatch):
    data = write_transcripts(tmp_path / "t.jsonl")
    evaluate(evaluation(data, EchoBot(), RecordingTracker()), tmp_path / "ci")
    captured = capsys.readouterr()
    assert "replies/s" not in captured.err + captured.out  # CI logs (no terminal) stay free of bars

    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    monkeypatch.setenv("TERM", "xterm")
    evaluate(evaluation(data, EchoBot(), RecordingTracker()), tmp_path / "tty")
    bar = terminal.getvalue()
    assert "replies/s" in bar and "errors 1" in bar and "6/6" in bar
    assert "replies/s" not in capsys.readouterr().out  # the bar never lands in stdout, where results go
