"""Judge calls go through the run's reply cache: a second run with the same judges calls no backend at all."""

from __future__ import annotations

import json
from pathlib import Path

from scripted_judge import ScriptedJudge

from evalkit.bots.cache import ReplyStore
from evalkit.bots.recorded import RecordedBot
from evalkit.evaluate import Evaluation, evaluate
from evalkit.loaders.table import TableLoader
from evalkit.replay import Case
from evalkit.scorers.judge import JudgeScorer
from evalkit.scorers.pairwise import PairwiseScorer
from evalkit.scorers.rubric import RubricScorer

RUBRIC_CALLS: list[int] = []


def rubric_judge(context: list[dict[str, str]]) -> str:
    RUBRIC_CALLS.append(1)
    return '{"score": 4, "rationale": "kind"}'


def _answer(case: Case) -> str:
    prompt = case.context[0].text
    if "Reply A:" in prompt:
        return '{"winner": "A", "rationale": "first"}'  # always the first shown: every verdict a split
    return '{"score": 3, "rationale": "partly"}'


def _run(tmp_path: Path, run: str, backend: ScriptedJudge, store: ReplyStore) -> dict:
    data, recorded, rubric = tmp_path / "t.jsonl", tmp_path / "r.jsonl", tmp_path / "rubric.yaml"
    data.write_text("\n".join(json.dumps({"id": f"c{i}", "turns": [
        {"role": "customer", "text": f"my card {i} was charged twice"},
        {"role": "agent", "text": "sorry, I have refunded the second charge"}]}) for i in range(3)) + "\n")
    recorded.write_text("\n".join(json.dumps({"case_id": f"c{i}:1", "text": "please wait"}) for i in range(3)) + "\n")
    rubric.write_text("criteria:\n  - {name: kind, weight: 1, judge: llm, question: 'Kind?', threshold: 4, "
                      "backend: {_target_: evalkit.bots.python_callable.CallableBot, "
                      "target: 'test_judge_cache:rubric_judge'}}\n")
    scorers = [JudgeScorer(backend, "helpfulness"), PairwiseScorer(backend), RubricScorer(rubric)]
    evaluate(Evaluation(dataset=TableLoader(str(data)), bots=[RecordedBot(str(recorded), name="bot")],
                        scorers=scorers, n_resamples=20, cache=store), tmp_path / run)
    return json.loads((tmp_path / run / "summary.json").read_text())


def test_second_run_calls_no_judge_and_still_reports_tokens_and_cost(tmp_path: Path) -> None:
    RUBRIC_CALLS.clear()
    first_backend = ScriptedJudge(_answer)
    first = _run(tmp_path, "first", first_backend, ReplyStore(tmp_path / "cache.sqlite"))
    # 6 helpfulness ratings (human and bot rows), 3 bot cases x 2 orders; the rubric judge rates 6 replies.
    assert sum(first_backend.batches) == 12 and len(RUBRIC_CALLS) == 6

    RUBRIC_CALLS.clear()
    second_backend = ScriptedJudge(_answer)
    second = _run(tmp_path, "second", second_backend, ReplyStore(tmp_path / "cache.sqlite"))
    assert second_backend.batches == [] and RUBRIC_CALLS == []
    # A cached answer keeps the tokens and cost of the call that produced it: the report is the same.
    assert second["judge_usage"] == first["judge_usage"]
    assert second["judge_usage"]["judge_helpfulness"]["tokens_in"] == 60
    assert second["judge_usage"]["pairwise"]["cost"] > 0 and second["judge_usage"]["rubric"]["calls"] == 6
    scores = {(s["bot"], s["scorer"]): s["mean"] for s in second["scores"] if s["slice_key"] == "all"}
    assert scores[("bot", "judge_helpfulness")] == 3.0 and scores[("bot", "pairwise")] == 0.5
    assert scores[("bot", "rubric")] == 1.0
