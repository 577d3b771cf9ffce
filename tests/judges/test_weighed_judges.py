"""Judges whose backend weighs choices (a local model's next-token probabilities, G-EVAL style) instead of writing a
JSON verdict: the expected rating, the most probable winner, and the probabilities themselves read correctly."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from evalkit.bots.choice_weights import choice_tokens
from evalkit.bots.transformers_bot import TransformersBot
from evalkit.errors import InvalidData
from evalkit.judges.criterion import CriterionJudge
from evalkit.judges.pairwise import PairwiseJudge
from evalkit.judges.prompts import PREFERENCE_PREFIX, RATING_PREFIX
from evalkit.replay import Case
from evalkit.reply import Reply
from evalkit.testing import ScriptedWeigher
from evalkit.transcript import Turn


def case(i: int, text: str = "my card was charged twice") -> Case:
    return Case(id=f"c{i}:1", transcript_id=f"c{i}", turn_index=1, context=(Turn("customer", text),),
                reference=Turn("agent", "I can refund that for you today"))


def test_the_rating_is_the_expected_score_under_the_models_probabilities():
    weigher = ScriptedWeigher(lambda c, choices: {"1": 0.1, "2": 0.0, "3": 0.2, "4": 0.0, "5": 0.2}
                              if "refund" in c.context[-1].text else dict.fromkeys(choices, 0.0))
    judge = CriterionJudge(weigher, "helpfulness", name="judge_helpfulness")
    scores = judge.score([case(0), case(1)], [Reply("we will refund it"), Reply("no idea")])
    assert math.isclose(scores[0].value, (1 * 0.1 + 3 * 0.2 + 5 * 0.2) / 0.5)
    assert scores[0].label == "3.40/5" and "p(1)=0.20" in scores[0].rationale and "50% on the choices" in \
        scores[0].rationale
    assert scores[1].value is None and "no probability" in scores[1].rationale  # a recorded failure, not a 3
    assert weigher.prefixes == [RATING_PREFIX]
    assert (judge.usage.calls, judge.usage.errors, judge.usage.parse_failures, judge.usage.tokens_in) == (2, 1, 0, 20)


def test_pairwise_takes_the_most_probable_winner_in_each_order():
    def candidate_wins(c: Case, choices):  # the candidate says "refund"; the human reply does not
        prompt = c.context[-1].text
        a_is_candidate = prompt.index("Reply A") < prompt.index("we refund") < prompt.index("Reply B")
        return {"A": 0.7 if a_is_candidate else 0.1, "B": 0.1 if a_is_candidate else 0.7, "tie": 0.1}

    scores = PairwiseJudge(ScriptedWeigher(candidate_wins)).score([case(0)], [Reply("we refund it")])
    assert (scores[0].value, scores[0].label) == (1.0, "win") and "p(A)=0.78" in scores[0].rationale
    always_a = PairwiseJudge(ScriptedWeigher(lambda c, choices: {"A": 0.9, "B": 0.05, "tie": 0.05}))
    assert always_a.score([case(0)], [Reply("we refund it")])[0].label == "split"  # position bias, seen as such
    assert always_a.backend.prefixes == [PREFERENCE_PREFIX]


def test_a_local_model_weighs_the_same_padded_in_a_batch_as_alone(tiny_gpt2_path: Path):
    import torch

    bot = TransformersBot(str(tiny_gpt2_path), name="judge", weighs_choices=True, batch_size=3, compile=False)
    cases = [case(0, "hi"), case(1, "my transfer has not arrived yet, can you check it? thanks"), case(2, "refund")]
    batched = bot.weigh_choices(cases, "score ", ["1", "2", "3"])
    model, tokenizer = bot.load()
    for c, weights in zip(cases, batched, strict=True):
        ids = bot.encode(c.context) + tokenizer("score ", add_special_tokens=False)["input_ids"]
        with torch.no_grad():
            alone = torch.softmax(model(torch.tensor([ids])).logits[0, -1], dim=-1)
        tokens = choice_tokens(tokenizer, "score ", ["1", "2", "3"])
        assert [weights.probabilities[k] for k in "123"] == pytest.approx(alone[tokens].tolist(), rel=1e-4)
        assert weights.tokens_in == len(ids)


def test_choices_that_share_a_first_token_are_refused(tiny_gpt2_path: Path):
    bot = TransformersBot(str(tiny_gpt2_path), name="judge", weighs_choices=True, compile=False)
    with pytest.raises(InvalidData, match="start with the same token"):
        bot.weigh_choices([case(0)], "score ", ["1", "1"])
