"""Which replies count as answers, for every bot: an empty reply is an error record; a reply cut at max_tokens is
scored and flagged (or an error, with replay.truncated=error), and both are counted in every output."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from rich.console import Console
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from evalkit.bots.http import OpenAIChatBot
from evalkit.bots.python_callable import CallableBot
from evalkit.bots.recorded import RecordedBot
from evalkit.bots.serving import running
from evalkit.cli.config import CONFIG_DIR, build
from evalkit.errors import InvalidData
from evalkit.loaders.table import TableLoader
from evalkit.pipeline.evaluate import Evaluation, evaluate
from evalkit.pipeline.rescore import rescore
from evalkit.reply import CUT_REPLY, EMPTY_REPLY
from evalkit.report.console import print_summary
from evalkit.results import ResultsLog
from evalkit.scorers.rubric.rubric import RubricScorer
from evalkit.scorers.rubric.rules import Placeholder
from evalkit.summaries.run import StatsSettings
from evalkit.testing import RecordingTracker
from tests.data import write_transcripts


async def weak_model(request: Request) -> JSONResponse:
    """A small model's server: whitespace for one question, a reply cut at max_tokens for another."""
    asked = (await request.json())["messages"][-1]["content"]
    content, reason = {"where is my transfer": ("  \n ", "stop"),
                       "my card was charged twice": ("I will refund the", "length")}.get(asked, ("Sure, done.", "stop"))
    return JSONResponse({"id": "x", "object": "chat.completion", "choices": [
        {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": reason}]})


def blank(context: list[dict[str, str]]) -> str:
    return " \t"


def run(tmp_path: Path, truncated: str = "score") -> tuple[RecordingTracker, Path, object]:
    data = write_transcripts(tmp_path / "t.jsonl")
    recorded = tmp_path / "recorded.jsonl"
    recorded.write_text("".join(json.dumps(row) + "\n" for row in [
        {"case_id": "c1:1", "text": ""}, {"case_id": "c2:1", "text": "", "handoff": True},
        {"case_id": "c2:3", "text": "you are welcome"}, {"case_id": "c3:1", "text": "let me check"},
        {"case_id": "c4:2", "text": "hello"}, {"case_id": "c4:4", "text": "done"}]))
    tracker, run_dir = RecordingTracker(), tmp_path / f"run-{truncated}"
    app = Starlette(routes=[Route("/v1/chat/completions", weak_model, methods=["POST"])])
    with running(app) as url:
        outcome = evaluate(Evaluation(
            dataset=TableLoader(str(data), name="mini"),
            bots=[OpenAIChatBot(url, "smol", max_retries=0), RecordedBot(str(recorded)),
                  CallableBot(f"{__name__}:blank")],
            scorers=[RubricScorer({"no_placeholder": {"weight": 1, "check": Placeholder(name="p")}})],
            tracker=tracker, stats=StatsSettings(n_resamples=20), truncated=truncated), run_dir)
    return tracker, run_dir, outcome


def test_empty_replies_are_errors_and_cut_replies_are_scored_flagged_and_counted(tmp_path: Path):
    tracker, run_dir, outcome = run(tmp_path)
    records = {(r.bot, r.case_id): r for r in ResultsLog(run_dir / "results.jsonl")}
    empty = records[("http", "c2:1")]
    assert empty.reply.error == EMPTY_REPLY and "rubric" not in empty.scores  # not the rubric's easy pass
    cut = records[("http", "c1:1")]
    assert cut.reply.ok and cut.reply.truncated is True and cut.scores["rubric"] == 1.0
    assert records[("http", "c2:3")].reply.truncated is False
    # A recorded empty reply is an empty reply too; a handoff with no text (a tool call alone) is an answer.
    assert records[("recorded", "c1:1")].reply.error == EMPTY_REPLY
    assert records[("recorded", "c2:1")].reply.ok and records[("recorded", "c2:1")].reply.handoff is True

    bots = {b.bot: b for b in outcome.summary.bots}
    assert (bots["http"].n_truncated, bots["http"].n_empty, bots["http"].n_errors) == (1, 1, 1)
    assert (bots["recorded"].n_truncated, bots["recorded"].n_empty) == (0, 1)
    assert (bots["human"].n_empty, bots["human"].n_errors) == (0, 0)
    assert (bots["callable"].n_empty, bots["callable"].n_errors) == (6, 6)
    metrics = {b.name: b.metrics for b in tracker.runs[0].bots}
    assert (metrics["http"]["n_truncated"], metrics["http"]["n_empty"]) == (1, 1)
    assert (metrics["recorded"]["n_truncated"], metrics["recorded"]["n_empty"]) == (0, 1)
    assert metrics["http"]["error_rate"] == pytest.approx(1 / 6)
    # Time queued in the client, beside the server's: reported by the HTTP bot, not by a recorded one.
    assert metrics["http"]["queue_p50_s"] >= 0 and "queue_p95_s" in metrics["http"]
    assert "queue_p50_s" not in metrics["recorded"]
    summary = json.loads((run_dir / "summary.json").read_text())
    assert next(b for b in summary["bots"] if b["bot"] == "http")["n_truncated"] == 1

    report = (run_dir / "report.md").read_text()
    assert "- http: 1 of 6 replies cut at the token limit; 1 empty replies (errors)" in report
    assert "- recorded: 1 empty replies (errors)" in report
    assert "s on the server" in report and "s queued in the client" in report
    out = io.StringIO()
    print_summary(outcome.summary, run_dir, run_dir / "report.md", None, Console(file=out, width=200))
    assert "http: 1 of 6 replies cut at the token limit; 1 empty replies (errors)" in out.getvalue()


def test_replay_truncated_error_makes_cut_replies_error_records(tmp_path: Path):
    _, run_dir, outcome = run(tmp_path, truncated="error")
    cut = next(r for r in ResultsLog(run_dir / "results.jsonl") if (r.bot, r.case_id) == ("http", "c1:1"))
    assert cut.reply.error == CUT_REPLY and cut.reply.truncated is True and not cut.scores
    http = next(b for b in outcome.summary.bots if b.bot == "http")
    assert (http.n_truncated, http.n_errors) == (1, 2)


def test_replay_truncated_is_a_hydra_override_checked_in_one_line():
    with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
        assert build(compose("run", overrides=["tracker=none"])).truncated == "score"
        assert build(compose("run", overrides=["tracker=none", "replay.truncated=error"])).truncated == "error"
        with pytest.raises(InvalidData, match=r"^replay\.truncated must be one of score, error, not 'drop'$"):
            build(compose("run", overrides=["tracker=none", "replay.truncated=drop"]))


def test_rescoring_a_log_from_before_the_rule_makes_its_empty_replies_errors(tmp_path: Path):
    _, run_dir, _ = run(tmp_path)
    log = run_dir / "results.jsonl"
    rows = [json.loads(line) for line in log.read_text().splitlines()]
    for row in rows:  # as an older evalkit wrote it: the empty reply scored like any other
        if (row["bot"], row["case_id"]) == ("http", "c2:1"):
            row["reply"].update(text=" ", error=None)
    log.write_text("".join(json.dumps(row) + "\n" for row in rows))
    evaluation = Evaluation(dataset=TableLoader(str(tmp_path / "t.jsonl"), name="mini"), bots=(),
                            scorers=[RubricScorer({"p": {"weight": 1, "check": Placeholder(name="p")}})],
                            tracker=RecordingTracker(), stats=StatsSettings(n_resamples=20))
    outcome = rescore(evaluation, run_dir, tmp_path / "rescored")
    empty = next(r for r in ResultsLog(tmp_path / "rescored" / "results.jsonl")
                 if (r.bot, r.case_id) == ("http", "c2:1"))
    assert empty.reply.error == EMPTY_REPLY and not empty.scores
    assert next(b for b in outcome.summary.bots if b.bot == "http").n_empty == 1
