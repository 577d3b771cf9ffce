"""Blinded pairwise judging bot vs human: both orders, ties on disagreement, position bias, summaries, reports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evalkit.bots.recorded import RecordedBot
from evalkit.judges.pairwise import PairwiseJudge, combine
from evalkit.loaders.table import TableLoader
from evalkit.pipeline.evaluate import Evaluation, evaluate
from evalkit.replay import Case
from evalkit.reply import Reply
from evalkit.summaries.run import StatsSettings
from evalkit.testing import ScriptedJudge
from evalkit.transcript import Turn
from tests.judges.pairwise_prompts import HUMAN, positions


def scripted_verdict(case: Case) -> str:
    """Verdicts keyed on the candidate's text; the candidate is whichever shown reply is not the human's."""
    candidate, candidate_letter, human_letter = positions(case.context[0].text)
    if candidate.startswith("GOOD"):
        winner = candidate_letter
    elif candidate.startswith("BAD"):
        winner = human_letter
    elif candidate.startswith("SAME"):
        winner = "tie"
    elif candidate.startswith("FIRST"):
        winner = "A"  # pure position preference
    elif candidate.startswith("BROKEN") and candidate_letter == "B":
        return "I think the first one, probably"
    else:
        winner = candidate_letter
    return json.dumps({"winner": winner, "rationale": f"picked {winner}"})


def case(i: int) -> Case:
    return Case(id=f"t{i}:1", transcript_id=f"t{i}", turn_index=1, context=(Turn("customer", "card declined"),),
                reference=Turn("agent", HUMAN))


@pytest.mark.parametrize(("first", "second", "outcome"), [
    ("candidate", "candidate", "win"), ("reference", "reference", "loss"), ("tie", "tie", "tie"),
    ("candidate", "reference", "split"), ("reference", "candidate", "split"), ("tie", "candidate", "split"),
])
def test_a_verdict_counts_only_when_both_orders_agree(first: str, second: str, outcome: str) -> None:
    assert combine(first, second) == outcome


def test_both_orders_in_one_batch_and_each_outcome_scored() -> None:
    backend = ScriptedJudge(scripted_verdict)
    scorer = PairwiseJudge(backend, max_attempts=2)
    assert scorer.summary == "pairwise" and scorer.needs_reference and scorer.name == "pairwise"
    texts = ["GOOD: activate 0512", "BAD: try later", "SAME: same", "FIRST: whatever", "BROKEN: x", HUMAN]
    scores = scorer.score([case(i) for i in range(6)], [Reply(t) for t in texts])
    assert [(s.value, s.label) for s in scores] == [
        (1.0, "win"), (0.0, "loss"), (0.5, "tie"), (0.5, "split"), (None, None), (0.5, "tie")]
    assert backend.batches == [10, 1]  # 5 cases x 2 orders at once, then the one re-ask; the human reply is not asked
    assert scores[4].rationale.startswith("candidate second: judge error: no JSON object in the output after 2")
    assert "raw: 'I think the first one, probably'" in scores[4].rationale
    assert scores[3].rationale.startswith("candidate first → candidate: picked A | candidate second → reference")


def write_run_inputs(tmp_path: Path) -> tuple[Path, Path]:
    candidates = ["GOOD", "GOOD", "BAD", "SAME", "FIRST", "FIRST", "BAD", "BROKEN"]
    transcripts, replies = [], []
    for i, kind in enumerate(candidates):
        intent = "declined_card" if i < 4 else "refund"
        transcripts.append({"id": f"c{i}", "meta": {"intent": intent}, "turns": [
            {"role": "customer", "text": "my card is declined"}, {"role": "agent", "text": HUMAN}]})
        replies.append({"case_id": f"c{i}:1", "text": f"{kind}: reply {i}"})
    data, recorded = tmp_path / "t.jsonl", tmp_path / "r.jsonl"
    data.write_text("\n".join(json.dumps(t) for t in transcripts) + "\n")
    recorded.write_text("\n".join(json.dumps(r) for r in replies) + "\n")
    return data, recorded


def test_evaluation_reports_win_tie_loss_and_position_bias_per_bot_and_slice(tmp_path: Path) -> None:
    data, recorded = write_run_inputs(tmp_path)
    outcome = evaluate(Evaluation(
        dataset=TableLoader(str(data)), bots=[RecordedBot(str(recorded), name="bot")],
        scorers=[PairwiseJudge(ScriptedJudge(scripted_verdict), name="vs_human", max_attempts=1)],
        slices=("intent",), stats=StatsSettings(n_resamples=200)), tmp_path / "run")
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    rows = {(p["bot"], p["slice_value"]): p for p in summary["preferences"]}
    overall = rows[("bot", "all")]
    counts = tuple(overall[k] for k in ("wins", "ties", "splits", "losses", "errors"))
    assert counts == (2, 1, 2, 2, 1)
    assert overall["score"] == pytest.approx((2 + 0.5 * 3) / 7)
    assert overall["position_bias"] == pytest.approx(2 / 7)
    assert overall["ci_low"] < overall["score"] < overall["ci_high"]
    declined, refund = rows[("bot", "declined_card")], rows[("bot", "refund")]
    assert (declined["wins"], declined["losses"], declined["splits"], declined["position_bias"]) == (2, 1, 0, 0.0)
    assert (refund["splits"], refund["errors"], refund["position_bias"]) == (2, 1, pytest.approx(2 / 3))
    assert ("human", "all") not in rows  # the human is the opponent, not a contestant
    assert summary["judge_usage"]["vs_human"]["calls"] == 16
    report = outcome.report_path.read_text()
    assert "## vs_human: bot vs human (blinded, both orders)" in report
    assert "| bot | intent=refund | 0 | 0 | 2 | 1 | 1 |" in report
