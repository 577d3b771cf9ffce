"""LLM-judged rubric criteria (a CriterionJudge as the `check`): checked when built, pass/fail at the threshold,
judge errors left out of the weighted score."""

from __future__ import annotations

import json

import pytest
from hydra import compose, initialize_config_dir

from evalkit.bots.http import OpenAIChatBot
from evalkit.cli.config import build_object
from evalkit.errors import InvalidData
from evalkit.judges.criterion import CriterionJudge
from evalkit.replay import Case
from evalkit.reply import Reply
from evalkit.scorers.rubric.rubric import RubricScorer, criterion
from evalkit.scorers.rubric.rules import Length
from evalkit.testing import ScriptedJudge
from evalkit.transcript import Turn
from tests.data import PROJECT_ROOT

CONFIG_DIR = PROJECT_ROOT / "configs"
LLM_RUBRIC = ["scorers=[rubric]", "rubric=support_quality_llm_v1", "judge.model=some-model"]


def rate(case: Case) -> str:
    """The judge: its rating depends on the reply under review; "garbled" replies get no JSON at all."""
    reply = case.context[0].text.split("Reply to review:\n<<<\n")[1].split("\n>>>")[0]
    if reply.startswith("garbled"):
        return "I think it is fine"
    return json.dumps({"score": 5 if "sorry" in reply else 2, "rationale": "tone"})


def _cases(n: int) -> list[Case]:
    return [Case(f"t{i}:1", f"t{i}", 1, (Turn("customer", "charged twice!"),), Turn("agent", "ok"))
            for i in range(n)]


def _rubric(backend: ScriptedJudge, **empathy: object) -> RubricScorer:
    judge = CriterionJudge(backend, "Empathy?", name="empathy", max_attempts=2)
    return RubricScorer({"brief": {"weight": 1, "check": Length(max_words=8)},
                         "empathy": {"weight": 2, "threshold": 4, "check": judge, **empathy}}, rubric="r")


def _built(overrides: list[str]) -> RubricScorer:
    """The rubric scorer as `evalkit run` builds it from configs/ (the judge group behind every LLM check)."""
    with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
        cfg = compose("run", overrides=[*LLM_RUBRIC, *overrides])
    return build_object(cfg.scorers.rubric)


def test_shipped_llm_rubric_builds_with_http_judges_and_no_network() -> None:
    scorer = _built([])
    llm = [c for c in scorer.criteria if isinstance(c.check, CriterionJudge)]
    assert [c.name for c in llm] == ["empathy", "resolves_issue"]
    assert all(isinstance(c.check.backend, OpenAIChatBot) and c.threshold == 4 for c in llm)
    assert all(c.check.backend.model == "some-model" for c in llm)  # the `judge` group's model
    assert scorer.rubric == "support_quality_llm_v1" and not scorer.needs_reference


@pytest.mark.parametrize(("spec", "message"), [
    ({"weight": 2, "check": "llm"}, "criterion 'empathy': `check` must be a scorer"),
    ({"weight": 2, "threshold": "4"}, "criterion 'empathy': `threshold` must be a number, got '4'"),
    ({"weight": 2, "threshold": 6}, "criterion 'empathy': `threshold` must be within the check's scale 1..5, got 6"),
    ({"weight": 2}, "`threshold` must be within the check's scale 1..5, got 0.5"),  # forgotten: 0.5 always passes
    ({"weight": 2, "threshold": 4, "question": "q"}, "criterion 'empathy': unknown setting(s) question"),
])
def test_bad_llm_criteria_fail_when_built_naming_rubric_and_criterion(spec: dict, message: str) -> None:
    spec = {"check": CriterionJudge(ScriptedJudge(rate), "Empathy?", name="empathy"), **spec}
    with pytest.raises(InvalidData) as error:
        RubricScorer({"empathy": spec}, rubric="r")
    assert str(error.value).startswith("rubric 'r', criterion 'empathy': ") and message in str(error.value)
    assert "\n" not in str(error.value)
    with pytest.raises(InvalidData, match="criterion 'empathy'"):
        criterion("r", "empathy", spec)


@pytest.mark.parametrize(("overrides", "message"), [
    (["~rubric.criteria.empathy.weight"], "rubric 'support_quality_llm_v1', criterion 'empathy': missing `weight`"),
    (["rubric.criteria.empathy.threshold=9"], "criterion 'empathy': `threshold` must be within the check's scale"),
    (["rubric.criteria.empathy.check.criterion=''"], "judge 'empathy': `criterion` (what the judge rates) is empty"),
    (["rubric.criteria.empathy.check.low=5"], "judge 'empathy': the scale needs integers low < high, got 5..5"),
    (["rubric.criteria.empathy.check.max_attempts=0"], "judge 'empathy': max_attempts must be at least 1"),
    (["+judge.modle=x"], "criteria.empathy.check.backend: OpenAIChatBot.__init__() got an unexpected keyword "
                         "argument 'modle'"),
    (["judge._target_=evalkit.bots.nope.Bot"], "criteria.empathy.check.backend: no such `_target_` "
                                               "'evalkit.bots.nope.Bot'"),
])
def test_bad_llm_criteria_in_a_rubric_config_are_one_line_naming_where(overrides: list[str], message: str) -> None:
    with pytest.raises(InvalidData) as error:
        _built(overrides)
    assert message in str(error.value) and "\n" not in str(error.value)


def test_llm_verdicts_pass_fail_and_judge_errors_left_out_of_the_weighted_score() -> None:
    scorer = _rubric(ScriptedJudge(rate))
    good, cold, garbled = scorer.score(_cases(3), [Reply("so sorry, refunding it now"), Reply("refunding it now"),
                                                   Reply("garbled reply")])
    assert (good.value, good.parts, good.rationale) == (1.0, {"brief": 1.0, "empathy": 1.0}, None)
    assert cold.value == pytest.approx(1 / 3) and cold.parts["empathy"] == 0.0
    assert cold.rationale == "failed: empathy (rated 2/5 < 4: tone)"
    # The judge could not judge: no silent fail; the score is the judged criteria's (brief: 1 of weight 1).
    assert garbled.value == 1.0 and garbled.parts == {"brief": 1.0, "empathy": None}
    assert garbled.rationale.startswith("not judged, left out of the score (weight 1 of 3 judged): empathy (judge "
                                        "error: no JSON object in the output after 2 attempt(s); raw: 'I think")
    usage = scorer.judge_usage()
    assert usage.as_metrics()["calls"] == 4 and usage.errors == 1  # the garbled one asked twice


def test_a_judge_whose_backend_fails_leaves_every_reply_unjudged_not_failed() -> None:
    [score] = _rubric(ScriptedJudge(lambda case: None)).score(_cases(1), [Reply("refunding it now")])
    assert score.value == 1.0 and score.parts == {"brief": 1.0, "empathy": None} and score.label == "pass"
    assert "empathy (judge error: backend failed: ConnectError" in score.rationale


def test_the_judges_backend_is_wrapped_like_any_scorers() -> None:
    scorer = _rubric(ScriptedJudge(rate))
    wrapped: list[str] = []
    scorer.wrap_judges(lambda backend: wrapped.append(backend.name) or backend)
    assert wrapped == ["scripted"]  # the rule criterion has no backend to wrap


def test_a_rubric_without_llm_criteria_reports_no_judge_usage() -> None:
    assert RubricScorer({"brief": {"weight": 1, "check": Length(max_words=8)}}).judge_usage() is None
    rules_only = _built(["rubric=support_quality_v1"])
    assert rules_only.rubric == "support_quality_v1" and rules_only.judge_usage() is None
