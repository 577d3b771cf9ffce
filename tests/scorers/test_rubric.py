"""The rubric scorer: weighted criteria, each a check (any scorer) with a threshold, a rationale naming what failed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from hydra.utils import instantiate
from omegaconf import OmegaConf

from evalkit.contract import Scorer
from evalkit.errors import InvalidData
from evalkit.replay import Case
from evalkit.reply import Reply, Score
from evalkit.scorers.rubric.rubric import RubricScorer, criterion
from evalkit.scorers.rubric.rules import Length, Phrases, Placeholder, Promise, Regex
from evalkit.transcript import Turn
from tests.data import PROJECT_ROOT

SUPPORT_QUALITY = PROJECT_ROOT / "configs" / "rubric" / "support_quality_v1.yaml"


def _cases(n: int) -> list[Case]:
    return [Case(id=f"t{i}:1", transcript_id=f"t{i}", turn_index=1, context=(Turn("customer", "help"),),
                 reference=Turn("agent", "ok")) for i in range(n)]


def _shipped(path: Any) -> RubricScorer:
    """The rubric config group's file built as the run config builds it (checks instantiated, plain Python)."""
    cfg = OmegaConf.load(path)
    return RubricScorer(instantiate(cfg.criteria, _convert_="all"), name="rubric", rubric=cfg.name)


def test_support_quality_flags_placeholders_and_promises_with_a_rationale() -> None:
    replies = [Reply("Hi {customer_name}, your refund for [ORDER_ID] is on its way to your account."),
               Reply("I guarantee your fee will be refunded, it is being reviewed by our team now."),
               Reply("Thanks Zoe, I've requested the refund; it should arrive within 3-5 business days.")]
    leak, promise, good = _shipped(SUPPORT_QUALITY).score(_cases(3), replies)
    assert good.value == 1.0 and good.rationale is None and good.label == "pass"
    assert leak.parts["no_placeholder_leak"] == 0.0 and "leaked {customer_name}" in leak.rationale
    assert promise.parts["no_forbidden_promise"] == 0.0 and "guarantee" in promise.rationale
    assert leak.value == pytest.approx(1 - 3 / 10)  # weights 3+3+1+2+1: the leak costs 3 of 10


def test_rules_pass_with_one_and_fail_with_zero_saying_why() -> None:
    cases = _cases(2)

    def values(check: Scorer, texts: Sequence[str]) -> list[tuple[float | None, str | None]]:
        return [(s.value, s.rationale) for s in check.score(cases, [Reply(t) for t in texts])]

    assert values(Regex("thanks"), ["Thanks!", "ok"]) == [(1.0, None), (0.0, "pattern not found")]
    assert values(Regex("refund", must_match=False), ["no", "a refund"]) == [(1.0, None), (0.0, "matched 'refund'")]
    assert values(Length(max_words=2), ["one two", "one two three"]) == [(1.0, None), (0.0, "3 words > 2")]
    assert values(Phrases(forbidden=["help center"]), ["ok", "see the Help Center"]) == [
        (1.0, None), (0.0, "says 'help center'")]
    assert values(Placeholder(), ["hello", "hi <ACCOUNT_NUMBER>"]) == [(1.0, None), (0.0, "leaked <ACCOUNT_NUMBER>")]
    assert values(Promise(), ["we will look", "I promise"]) == [(1.0, None), (0.0, "promised 'I promise'")]


@pytest.mark.parametrize(("spec", "message"), [
    ({"weight": 1, "check": "regexp"}, "criterion 'polite': `check` must be a scorer"),
    ({"check": Regex("thanks")}, "criterion 'polite': missing `weight`"),
    ({"weight": 0, "check": Regex("thanks")}, "criterion 'polite': `weight` must be a positive number"),
    ({"weight": 1, "check": Regex("thanks"), "threshold": "high"}, "criterion 'polite': `threshold` must be a number"),
    ({"weight": 1, "check": Regex("thanks"), "max_word": 5}, "criterion 'polite': unknown setting(s) max_word"),
])
def test_typos_fail_when_built_naming_rubric_and_criterion(spec: Mapping[str, Any], message: str) -> None:
    with pytest.raises(InvalidData) as err:
        RubricScorer({"polite": spec}, rubric="typo")
    assert str(err.value).startswith("rubric 'typo', ") and message in str(err.value)
    assert "\n" not in str(err.value)
    with pytest.raises(InvalidData, match="criterion 'polite'"):  # the same check, one criterion at a time
        criterion("typo", "polite", spec)


@pytest.mark.parametrize(("build", "message"), [
    (lambda: Regex("(thanks", name="polite"), "check 'polite': bad regex '(thanks'"),
    (lambda: Promise(name="promise", extra_patterns=["[oops"]), "check 'promise': bad regex '[oops'"),
    (lambda: Length(name="short"), "check 'short': a length check needs at least one of"),
    (lambda: Phrases(name="polite"), "check 'polite': a phrases check needs"),
])
def test_bad_rule_settings_fail_when_the_rule_is_built(build: Any, message: str) -> None:
    with pytest.raises(InvalidData) as err:
        build()
    assert message in str(err.value) and "\n" not in str(err.value)


def test_a_rubric_needs_criteria() -> None:
    with pytest.raises(InvalidData, match="rubric 'empty': a rubric needs at least one criterion"):
        RubricScorer({}, rubric="empty")


class _Shouting(Scorer):
    """A custom check: passes while the reply has at most `limit` capitals; cannot judge an empty reply."""

    needs_reference = False

    def __init__(self, limit: int = 0, name: str = "shouting"):
        self.name = name
        self.limit = limit

    def score(self, cases: Sequence[Case], replies: Sequence[Reply]) -> list[Score]:
        return [Score(None, rationale="nothing to read") if not r.text
                else Score(1.0) if sum(c.isupper() for c in r.text) <= self.limit else Score(0.0, rationale="shouts")
                for r in replies]


def test_any_scorer_is_a_check_and_undecided_verdicts_are_left_out() -> None:
    scorer = RubricScorer({"calm": {"weight": 2, "check": _Shouting(limit=3)},
                           "brief": {"weight": 1, "check": Length(max_words=3)}}, name="custom")
    assert [(c.name, type(c.check)) for c in scorer.criteria] == [("calm", _Shouting), ("brief", Length)]
    assert scorer.rubric == "custom" and not scorer.needs_reference
    shouted, fine, empty = scorer.score(_cases(3), [Reply("WHY IS THIS BROKEN"), Reply("all good"), Reply("")])
    assert shouted.value == 0.0 and shouted.rationale == "failed: calm (shouts); brief (4 words > 3)"
    assert shouted.label == "fail: calm,brief" and shouted.parts == {"calm": 0.0, "brief": 0.0}
    assert fine.value == 1.0 and fine.parts == {"calm": 1.0, "brief": 1.0}
    # calm could not decide: brief alone (weight 1 of 3) gives the score, and the rationale says so.
    assert empty.value == 1.0 and empty.parts == {"calm": None, "brief": 1.0}
    assert empty.rationale == "not judged, left out of the score (weight 1 of 3 judged): calm (nothing to read)"


def test_thresholds_and_pass_below_decide_on_the_checks_value() -> None:
    class Words(Scorer):
        name, needs_reference = "words", False

        def score(self, cases: Sequence[Case], replies: Sequence[Reply]) -> list[Score]:
            return [Score(float(len((r.text or "").split())), label=str(len((r.text or "").split())))
                    for r in replies]

    scorer = RubricScorer({"wordy": {"weight": 1, "check": Words(), "threshold": 3},
                           "terse": {"weight": 1, "check": Words(), "threshold": 3, "pass_below": True}})
    few, many = scorer.score(_cases(2), [Reply("a b"), Reply("a b c d")])
    assert few.parts == {"wordy": 0.0, "terse": 1.0} and few.rationale == "failed: wordy (rated 2 < 3)"
    assert many.parts == {"wordy": 1.0, "terse": 0.0} and many.rationale == "failed: terse (rated 4 >= 3)"
