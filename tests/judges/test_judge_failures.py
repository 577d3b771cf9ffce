"""Judge failures are counted and shown: calls, parse failures and their share per scorer in summary.json, the
console, report.md, validate's outputs and the tracker's metrics; a judge failing on most calls is a warning, and an
answer copied from the prompt's example is a parse failure. The judge is served over real HTTP by `evalkit serve`."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from rich.console import Console

from evalkit.bots.http import OpenAIChatBot
from evalkit.bots.python_callable import CallableBot
from evalkit.bots.serving import create_app, running
from evalkit.judges.criterion import CriterionJudge
from evalkit.judges.pairwise import PairwiseJudge
from evalkit.judges.parsing import InvalidJudgeOutput, parse_preference, parse_rating
from evalkit.loaders.table import TableLoader
from evalkit.pipeline.evaluate import Evaluation, evaluate
from evalkit.pipeline.validate import Validation, validate
from evalkit.replay import Case
from evalkit.reply import Reply
from evalkit.report.console import print_summary
from evalkit.report.validity import print_validity
from evalkit.scorers.rubric.rubric import RubricScorer
from evalkit.scorers.rubric.rules import Placeholder
from evalkit.summaries.judging import summarize_judges
from evalkit.summaries.run import StatsSettings
from evalkit.testing import RecordingTracker
from evalkit.transcript import Turn
from evalkit.validity.rated.model import RatedCandidate, RatedItem, RatedSet
from tests.data import write_transcripts

_EXAMPLE = re.compile(r"nothing else: (\{.*\})", re.DOTALL)


def copycat(context: list[dict[str, str]]) -> str:
    """A weak judge model: answers with the example the prompt shows, re-asked or not."""
    return _EXAMPLE.search(context[0]["text"]).group(1)


def reply_text(context: list[dict[str, str]]) -> str:
    return "Thanks, I have refunded the charge."


@pytest.mark.parametrize("answer", [
    '{"score": 3, "rationale": "<one sentence>"}',
    '{"score": 3, "rationale": " <your reason here> "}',
    '{"score": <integer from 1 to 5>, "rationale": "<one sentence>"}',
])
def test_a_rating_copied_from_the_prompt_is_a_parse_failure(answer):
    with pytest.raises(InvalidJudgeOutput):
        parse_rating(answer, 1, 5)


def test_a_preference_copied_from_the_prompt_is_a_parse_failure_and_real_ones_pass():
    with pytest.raises(InvalidJudgeOutput, match="copies the prompt's example"):
        parse_preference('{"winner": "A" | "B" | "tie", "rationale": "<one sentence>"}')
    with pytest.raises(InvalidJudgeOutput, match="placeholder"):
        parse_preference('{"winner": "B", "rationale": "<one sentence>"}')
    assert parse_preference('{"winner": "B", "rationale": "B keeps <EMAIL_1> private"}').winner == "B"
    assert parse_rating('{"score": 4, "rationale": "clear and kind"}', 1, 5).score == 4


def test_the_failing_flag_is_set_above_half_of_the_calls():
    usage = {"ok": {"calls": 4, "parse_failures": 2, "backend_failures": 0, "errors": 0},
             "bad": {"calls": 4, "parse_failures": 2, "backend_failures": 1, "errors": 1}}
    ok, bad = summarize_judges(usage)
    assert (ok.failure_rate, ok.failing) == (0.5, False)
    assert (bad.failure_rate, bad.failing, bad.failed_calls) == (0.75, True, 3)


def test_a_judge_that_copies_the_prompt_is_counted_and_warned_about_everywhere(tmp_path: Path):
    data = write_transcripts(tmp_path / "t.jsonl")
    tracker, run_dir = RecordingTracker(), tmp_path / "run"
    with running(create_app(CallableBot(f"{__name__}:copycat"))) as url:
        judge = OpenAIChatBot(url, "smol", name="judge", max_retries=0)
        rubric = RubricScorer({"no_placeholder": {"weight": 1, "check": Placeholder(name="p")},
                               "empathy": {"weight": 1, "threshold": 4,
                                           "check": CriterionJudge(judge, "empathy", name="empathy")}})
        outcome = evaluate(Evaluation(
            dataset=TableLoader(str(data), name="mini"), bots=[CallableBot(f"{__name__}:reply_text")],
            scorers=[PairwiseJudge(judge, max_attempts=2), rubric], tracker=tracker,
            stats=StatsSettings(n_resamples=20)), run_dir)
    summary = json.loads((run_dir / "summary.json").read_text())
    judges = {j["scorer"]: j for j in summary["judges"]}
    # Pairwise: 6 cases x 2 orders x 2 attempts. Rubric: 12 replies (the human row too) x 3 attempts.
    assert (judges["pairwise"]["calls"], judges["pairwise"]["parse_failures"]) == (24, 24)
    assert (judges["rubric"]["calls"], judges["rubric"]["parse_failures"]) == (36, 36)
    assert judges["pairwise"]["failure_rate"] == 1.0 and judges["pairwise"]["failing"] is True
    assert judges["pairwise"]["unjudged"] == 12 and judges["rubric"]["unjudged"] == 12
    # What made the failure invisible: the rubric still scores its rule criterion.
    assert outcome.summary.overall("callable", "rubric").mean == 1.0

    metrics = tracker.runs[0].metrics
    assert metrics["judge/pairwise/failure_rate"] == 1.0 and metrics["judge/pairwise/failing"] == 1.0
    assert metrics["judge/rubric/parse_failures"] == 36 and metrics["judge/rubric/calls"] == 36
    assert metrics["judge/pairwise/backend_failures"] == 0

    warning = "WARNING: judge of scorer 'pairwise' gave no verdict on 100% of its 24 calls (24 unparseable, 0 failed)"
    report = (run_dir / "report.md").read_text()
    assert report.splitlines()[4].startswith(f"> **{warning}")  # under the title and the line of facts
    assert "| pairwise | 24 | 24 | 100% | 24 | 0 | 12 |" in report
    out = io.StringIO()
    print_summary(outcome.summary, run_dir, run_dir / "report.md", None, Console(file=out, width=300))
    printed = out.getvalue()
    assert warning in printed and "WARNING: judge of scorer 'rubric'" in printed
    assert "judge pairwise: 24 calls, 24 without a verdict (100%: 24 unparseable, 0 failed)" in printed
    assert re.search(r"judge pairwise: .*; per call \d\.\d{3} s on the server, \d\.\d{3} s queued", printed)


def test_validate_counts_judge_failures_and_warns(tmp_path: Path):
    context = (Turn("customer", "my card was charged twice"),)
    rated = RatedSet("mini-rated", str(tmp_path / "rated.jsonl"), "0" * 64, tuple(
        RatedItem(f"i{i}", context, "I refunded it.", tuple(
            RatedCandidate(f"c{j}", f"reply {j}", {"overall": {"r1": float(j), "r2": float(j + 1)}})
            for j in range(3)))
        for i in range(3)))
    tracker = RecordingTracker()
    with running(create_app(CallableBot(f"{__name__}:copycat"))) as url:
        judge = CriterionJudge(OpenAIChatBot(url, "smol", name="judge", max_retries=0), "helpfulness",
                               name="helpfulness", max_attempts=1)
        outcome = validate(Validation(rated, [judge], tracker, stats=StatsSettings(n_resamples=20)), tmp_path / "v")
    [helpfulness] = outcome.judges
    assert (helpfulness.calls, helpfulness.parse_failures, helpfulness.failing) == (9, 9, True)
    assert json.loads((tmp_path / "v" / "validity.json").read_text())["judges"][0]["failure_rate"] == 1.0
    warning = "WARNING: judge of scorer 'helpfulness' gave no verdict on 100% of its 9 calls"
    assert f"> **{warning}" in (tmp_path / "v" / "report.md").read_text()
    assert tracker.runs[0].metrics["judge/helpfulness/failure_rate"] == 1.0
    out = io.StringIO()
    print_validity(outcome.validity.rows, outcome.validity.agreement, Console(file=out, width=300),
                   judges=outcome.judges)
    assert warning in out.getvalue() and "judge helpfulness: 9 calls, 9 without a verdict" in out.getvalue()


def test_a_judge_backend_that_fails_is_counted_apart_from_unparseable_answers():
    judge = CriterionJudge(OpenAIChatBot("http://127.0.0.1:9/v1", "m", name="judge", max_retries=0, timeout_s=1),
                           "helpfulness", max_attempts=3)
    scores = judge.score([case_of(i) for i in range(3)], [Reply("ok")] * 3)
    assert all(s.value is None for s in scores)
    usage = judge.judge_usage()
    assert (usage.calls, usage.backend_failures, usage.parse_failures, usage.errors) == (3, 3, 0, 3)
    [summary] = summarize_judges({"helpfulness": usage.as_metrics()})
    assert summary.failing and summary.failure_rate == 1.0


def case_of(i: int) -> Case:
    return Case(f"t{i}:1", f"t{i}", 1, (Turn("customer", "my card is declined"),), Turn("agent", "Sorry about that"))
