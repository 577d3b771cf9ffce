"""Judge calls go through the run's reply cache: a second run with the same judges calls no backend at all."""

from __future__ import annotations

import json
from pathlib import Path

from evalkit.bots.cache import ReplyStore
from evalkit.bots.recorded import RecordedBot
from evalkit.judges.criterion import CriterionJudge
from evalkit.judges.pairwise import PairwiseJudge
from evalkit.loaders.table import TableLoader
from evalkit.pipeline.evaluate import Evaluation, evaluate
from evalkit.replay import Case
from evalkit.scorers.rubric.rubric import RubricScorer
from evalkit.summaries.run import StatsSettings
from evalkit.testing import ScriptedJudge


def _answer(case: Case) -> str:
    prompt = case.context[0].text
    if "Reply A:" in prompt:
        return '{"winner": "A", "rationale": "first"}'  # always the first shown: every verdict a split
    return '{"score": 3, "rationale": "partly"}'


def _run(tmp_path: Path, run: str, backend: ScriptedJudge, rubric_backend: ScriptedJudge, store: ReplyStore) -> dict:
    data, recorded = tmp_path / "t.jsonl", tmp_path / "r.jsonl"
    data.write_text("\n".join(json.dumps({"id": f"c{i}", "turns": [
        {"role": "customer", "text": f"my card {i} was charged twice"},
        {"role": "agent", "text": "sorry, I have refunded the second charge"}]}) for i in range(3)) + "\n")
    recorded.write_text("\n".join(json.dumps({"case_id": f"c{i}:1", "text": "please wait"}) for i in range(3)) + "\n")
    # The rubric's LLM criterion has a backend of its own, so its calls are counted apart from the other judges'.
    rubric = RubricScorer({"kind": {"weight": 1, "threshold": 4,
                                    "check": CriterionJudge(rubric_backend, "Kind?", name="kind")}})
    scorers = [CriterionJudge(backend, "helpfulness", name="judge_helpfulness"), PairwiseJudge(backend), rubric]
    evaluate(Evaluation(dataset=TableLoader(str(data)), bots=[RecordedBot(str(recorded), name="bot")],
                        scorers=scorers, slices=(), stats=StatsSettings(n_resamples=20), cache=store), tmp_path / run)
    return json.loads((tmp_path / run / "summary.json").read_text())


def _rubric_judge() -> ScriptedJudge:
    return ScriptedJudge(lambda case: '{"score": 4, "rationale": "kind"}', name="rubric_judge")


def test_second_run_calls_no_judge_and_still_reports_tokens_and_cost(tmp_path: Path) -> None:
    first_backend, first_rubric = ScriptedJudge(_answer), _rubric_judge()
    first = _run(tmp_path, "first", first_backend, first_rubric, ReplyStore(tmp_path / "cache.sqlite"))
    # 6 helpfulness ratings (human and bot rows), 3 bot cases x 2 orders; the rubric judge rates 6 replies.
    assert sum(first_backend.batches) == 12 and sum(first_rubric.batches) == 6

    second_backend, second_rubric = ScriptedJudge(_answer), _rubric_judge()
    second = _run(tmp_path, "second", second_backend, second_rubric, ReplyStore(tmp_path / "cache.sqlite"))
    assert second_backend.batches == [] and second_rubric.batches == []
    # A cached answer keeps the tokens and cost of the call that produced it: the report is the same.
    assert second["judge_usage"] == first["judge_usage"]
    assert second["judge_usage"]["judge_helpfulness"]["tokens_in"] == 60
    assert second["judge_usage"]["pairwise"]["cost"] > 0 and second["judge_usage"]["rubric"]["calls"] == 6
    scores = {(s["bot"], s["scorer"]): s["mean"] for s in second["scores"] if s["slice_key"] == "all"}
    assert scores[("bot", "judge_helpfulness")] == 3.0 and scores[("bot", "pairwise")] == 0.5
    assert scores[("bot", "rubric")] == 1.0
