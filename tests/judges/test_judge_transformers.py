"""A judge that is a tiny random transformers model: garbage output, yet runs complete and every failure is recorded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evalkit.bots.recorded import RecordedBot
from evalkit.bots.transformers_bot import TransformersBot
from evalkit.judges.criterion import CriterionJudge
from evalkit.judges.pairwise import PairwiseJudge
from evalkit.loaders.table import TableLoader
from evalkit.pipeline.evaluate import Evaluation, evaluate
from evalkit.scorers.rubric.rubric import RubricScorer
from evalkit.scorers.rubric.rules import Length
from evalkit.summaries.run import StatsSettings


def tiny_judge(path: Path) -> TransformersBot:
    # The checkpoint has 256 positions: the prompt keeps its newest 200 tokens (the schema line is at the end).
    return TransformersBot(str(path), name="tiny-judge", max_new_tokens=12, max_input_tokens=200, compile=False)


@pytest.mark.slow
def test_garbage_judge_output_becomes_error_records_with_the_raw_text(request: pytest.FixtureRequest,
                                                                     tmp_path: Path) -> None:
    transcripts = [{"id": f"c{i}", "meta": {"intent": "refund"}, "turns": [
        {"role": "customer", "text": "my card was charged twice for the same order"},
        {"role": "agent", "text": "I can refund that for you today, sorry about the trouble"}]} for i in range(3)]
    backend = tiny_judge(request.getfixturevalue("tiny_gpt2_path"))
    data, recorded = tmp_path / "t.jsonl", tmp_path / "r.jsonl"
    data.write_text("\n".join(json.dumps(t) for t in transcripts) + "\n")
    recorded.write_text("\n".join(json.dumps({"case_id": f"c{i}:1", "text": "please send me the last four digits"})
                                  for i in range(3)) + "\n")
    # The same tiny model as a rubric's LLM criterion, behind a backend of its own (as a rubric config builds it).
    rubric = RubricScorer({
        "brief": {"weight": 1, "check": Length(max_words=50)},
        "empathy": {"weight": 2, "threshold": 4, "check": CriterionJudge(
            tiny_judge(Path(backend.model)), "Is the reply empathetic?", name="empathy", max_attempts=2)},
    })
    helpfulness = CriterionJudge(backend, "helpfulness", name="judge_helpfulness",
                                 description="Does the reply resolve the customer's issue?", max_attempts=2)
    pairwise = PairwiseJudge(backend, max_attempts=2)
    evaluate(Evaluation(dataset=TableLoader(str(data)), bots=[RecordedBot(str(recorded), name="bot")],
                        scorers=[helpfulness, pairwise, rubric], slices=("intent",),
                        stats=StatsSettings(n_resamples=50)), tmp_path / "run")

    records = [json.loads(line) for line in (tmp_path / "run" / "results.jsonl").read_text().splitlines()]
    assert len(records) == 6  # human and bot, 3 cases each: the run completed
    for record in records:
        assert record["scores"]["judge_helpfulness"] is None
        rationale = record["details"]["judge_helpfulness"]["rationale"]
        assert rationale.startswith("judge error: ") and "after 2 attempt(s); raw: '" in rationale
        # The rubric's judge failed too: its part is missing and the score is over the rule criterion alone.
        assert record["scores"]["rubric"] == 1.0 and record["scores"]["rubric/empathy"] is None
        assert "not judged" in record["details"]["rubric"]["rationale"]
        assert "empathy (judge error: " in record["details"]["rubric"]["rationale"]
        assert "after 2 attempt(s); raw: '" in record["details"]["rubric"]["rationale"]
    for record in (r for r in records if r["bot"] == "bot"):
        assert record["scores"]["pairwise"] is None
        assert "judge error: " in record["details"]["pairwise"]["rationale"]
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    usage = summary["judge_usage"]
    assert usage["judge_helpfulness"]["calls"] == 12 and usage["judge_helpfulness"]["errors"] == 6
    assert usage["pairwise"]["calls"] == 12 and usage["pairwise"]["errors"] == 6  # 3 bot cases x 2 orders
    assert usage["rubric"]["calls"] == 12 and usage["rubric"]["errors"] == 6
    assert usage["judge_helpfulness"]["tokens_in"] > 0 and usage["judge_helpfulness"]["tokens_out"] > 0
    rows = {(s["bot"], s["scorer"]): s for s in summary["scores"] if s["slice_key"] == "all"}
    assert rows[("bot", "judge_helpfulness")]["n_errors"] == 3 and rows[("bot", "pairwise")]["n"] == 0
