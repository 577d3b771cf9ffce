"""The pairwise judge over HTTP: `evalkit serve` serves a scripted judge; the verdict logic is checked exactly."""

from __future__ import annotations

import json

import pytest
from hydra import compose, initialize_config_dir

from evalkit.bots import serving
from evalkit.bots.http import OpenAIChatBot
from evalkit.cli.config import CONFIG_DIR
from evalkit.cli.serve import served_bot
from evalkit.judges.pairwise import PairwiseJudge
from evalkit.replay import Case
from evalkit.reply import Reply
from evalkit.transcript import Turn
from tests.judges.pairwise_prompts import HUMAN, positions


def verdict(context: list[dict[str, str]]) -> str:
    """The served judge: its verdict depends on the candidate's text and on which position it is shown in."""
    candidate, letter, other = positions(context[0]["text"])
    if candidate.startswith("GOOD"):
        winner = letter
    elif candidate.startswith("BAD"):
        winner = other
    elif candidate.startswith("EVEN"):
        winner = "tie"
    elif candidate.startswith("FIRST"):
        winner = "A"  # always the first reply shown: pure position bias
    elif candidate.startswith("SECOND"):
        winner = "B"
    elif candidate.startswith("HALF"):
        winner = letter if letter == "A" else "tie"  # prefers it only when shown first
    elif candidate.startswith("GARBLED") and len(context) == 1:
        return "```json\n{\"winner\": \"A\", \"rationale\": "  # truncated; valid once re-asked
    else:
        winner = letter
    return json.dumps({"winner": winner, "rationale": f"{winner} reads better"})


def test_served_judge_both_orders_ties_on_disagreement_and_position_bias() -> None:
    with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
        cfg = compose("serve", overrides=["bots=[callable]", f"bots.callable.target={__name__}:verdict"])
    kinds = ["GOOD", "BAD", "EVEN", "FIRST", "SECOND", "HALF", "GARBLED", "GOOD", "FIRST"]
    cases = [Case(f"t{i}:1", f"t{i}", 1, (Turn("customer", "my card is declined"),), Turn("agent", HUMAN))
             for i in range(len(kinds))]
    replies = [Reply(f"{kind}: reply number {i}") for i, kind in enumerate(kinds)]
    with serving.running(serving.create_app(served_bot(cfg))) as url:
        judge = OpenAIChatBot(base_url=url, model="scripted-judge", name="judge", max_retries=0)
        scorer = PairwiseJudge(judge, max_attempts=2)
        scores = scorer.score(cases, replies)
    outcomes = [(s.label, s.value) for s in scores]
    assert outcomes == [("win", 1.0), ("loss", 0.0), ("tie", 0.5), ("split", 0.5), ("split", 0.5), ("split", 0.5),
                        ("win", 1.0), ("win", 1.0), ("split", 0.5)]
    judged = [s for s in scores if s.value is not None]
    assert sum(s.label == "split" for s in judged) / len(judged) == pytest.approx(4 / 9)  # position-bias rate
    assert scores[5].rationale.startswith("candidate first → candidate: A reads better | candidate second → tie")
    usage = scorer.judge_usage().as_metrics()
    assert (usage["calls"], usage["reasks"], usage["errors"]) == (20, 2, 0)  # 9 x 2 orders, GARBLED re-asked twice
