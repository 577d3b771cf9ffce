"""Judge output parsing, bounded re-asking, error records and usage accounting, with scripted judge backends."""

from __future__ import annotations

import json
import re

import pytest

from evalkit.bots.cache import CachedBot, ReplyStore
from evalkit.contract import Scorer
from evalkit.errors import InvalidData
from evalkit.judges.asking import ask
from evalkit.judges.criterion import CriterionJudge
from evalkit.judges.parsing import InvalidJudgeOutput, parse_preference, parse_rating
from evalkit.replay import Case
from evalkit.reply import Reply
from evalkit.testing import ScriptedJudge
from evalkit.transcript import Turn


def case(i: int = 0) -> Case:
    return Case(id=f"t{i}:1", transcript_id=f"t{i}", turn_index=1, context=(Turn("customer", "my card is declined"),),
                reference=Turn("agent", "Your card expired; activate the replacement in the app."))


@pytest.mark.parametrize("text", [
    '{"score": 4, "rationale": "clear"}',
    'Here is my verdict:\n```json\n{"score": 4, "rationale": "clear"}\n```',
    'The {braces} first, then {"score": 4, "rationale": "clear", "confidence": 0.9} trailing words',
])
def test_rating_is_found_inside_fences_and_prose(text: str) -> None:
    rating = parse_rating(text, 1, 5)
    assert (rating.score, rating.rationale) == (4, "clear")


@pytest.mark.parametrize(("text", "problem"), [
    ('{"score": "4", "rationale": "x"}', "'score'"),
    ('{"score": 4.5, "rationale": "x"}', "'score'"),
    ('{"score": true, "rationale": "x"}', "'score'"),
    ('{"score": 6, "rationale": "x"}', "outside 1..5"),
    ('{"score": 3}', "'rationale'"),
    ('{"score": 3, "rationale": "the reply is', "truncated"),
    ("I would give it a four.", "no JSON object"),
    ("[4]", "no JSON object"),
])
def test_rating_schema_is_strict(text: str, problem: str) -> None:
    with pytest.raises(InvalidJudgeOutput, match=problem):
        parse_rating(text, 1, 5)


def test_preference_accepts_only_a_b_or_tie() -> None:
    assert parse_preference('{"winner": "tie", "rationale": "same"}').winner == "tie"
    with pytest.raises(InvalidJudgeOutput, match="'winner'"):
        parse_preference('{"winner": "a", "rationale": "lower case is not the schema"}')


def test_invalid_output_is_reasked_with_the_problem_then_accepted() -> None:
    def answer(c: Case) -> str:
        # Valid only once the judge has been told what was wrong: the re-ask is a different conversation.
        return '{"score": 2, "rationale": "vague"}' if len(c.context) == 3 else "Score: 2"

    backend = ScriptedJudge(answer)
    [result] = ask(backend, [("q", "rate this")], lambda t: parse_rating(t, 1, 5), max_attempts=3)
    assert result.ok and result.value.score == 2 and result.attempts == 2
    assert backend.batches == [1, 1]


def test_output_that_stays_invalid_is_an_error_with_the_raw_text_after_bounded_attempts() -> None:
    backend = ScriptedJudge(lambda c: "lorem ipsum " * 100)
    judge = CriterionJudge(backend, "helpfulness", max_attempts=3)
    [score] = judge.score([case()], [Reply("Please check the help center.")])
    assert score.value is None  # never a silent zero
    assert score.rationale.startswith("judge error: no JSON object in the output after 3 attempt(s); raw: 'lorem")
    assert backend.batches == [1, 1, 1]
    assert judge.judge_usage().as_metrics() == {"calls": 3, "reasks": 2, "errors": 1, "parse_failures": 3,
                                                "backend_failures": 0, "tokens_in": 30, "tokens_out": 15,
                                                "cost": pytest.approx(0.003), "latency_s": 0.0, "queue_s": 0.0}


@pytest.mark.parametrize(("settings", "message"), [
    ({"criterion": "helpfulness", "low": 5, "high": 1}, "judge 'judge': the scale needs integers low < high"),
    ({"criterion": "helpfulness", "high": 4.5}, "the scale needs integers"),
    ({"criterion": "  "}, "judge 'judge': `criterion` (what the judge rates) is empty"),
    ({"criterion": "helpfulness", "max_attempts": 0}, "judge 'judge': max_attempts must be at least 1"),
])
def test_bad_judge_settings_fail_when_built(settings: dict, message: str) -> None:
    with pytest.raises(InvalidData, match=re.escape(message)):
        CriterionJudge(ScriptedJudge(reply="{}"), **settings)


def test_a_criterion_judge_is_a_scorer_with_its_own_name_and_direction() -> None:
    judge = CriterionJudge(ScriptedJudge(reply="{}"), "helpfulness", name="judge_helpfulness")
    assert isinstance(judge, Scorer) and judge.name == "judge_helpfulness"
    assert judge.higher_is_better and not judge.needs_reference and judge.summary == "mean"
    assert CriterionJudge(ScriptedJudge(reply="{}"), "correctness", with_reference=True).needs_reference


def test_backend_failure_is_a_judge_error_without_reasking() -> None:
    backend = ScriptedJudge(lambda c: None)
    [score] = CriterionJudge(backend, "helpfulness").score([case()], [Reply("ok")])
    assert score.value is None and "backend failed: ConnectError" in score.rationale
    assert backend.batches == [1]


def test_criterion_judge_batches_all_cases_and_labels_the_scale() -> None:
    def answer(c: Case) -> str:
        prompt = c.context[0].text
        return json.dumps({"score": 5 if "expired" in prompt.split("Reply to review:")[1] else 1,
                           "rationale": "r"})

    backend = ScriptedJudge(answer)
    judge = CriterionJudge(backend, "helpfulness", description="Does it resolve the issue?", low=1, high=5)
    scores = judge.score([case(0), case(1)], [Reply("Your card expired."), Reply("Try again later.")])
    assert [(s.value, s.label) for s in scores] == [(5.0, "5/5"), (1.0, "1/5")]
    assert backend.batches == [2]


def test_reference_is_shown_only_to_a_reference_guided_judge() -> None:
    seen: list[str] = []
    backend = ScriptedJudge(lambda c: seen.append(c.context[0].text) or '{"score": 3, "rationale": "r"}')
    CriterionJudge(backend, "correctness").score([case()], [Reply("x")])
    CriterionJudge(backend, "correctness", with_reference=True).score([case()], [Reply("x")])
    assert "activate the replacement" not in seen[0] and "activate the replacement" in seen[1]


def test_judge_calls_are_cached_and_a_reask_is_a_new_key(tmp_path) -> None:
    answers = iter(["not json", '{"score": 4, "rationale": "fine"}'])
    backend = ScriptedJudge(lambda c: next(answers))
    judge = CriterionJudge(CachedBot(backend, ReplyStore(tmp_path / "cache.db")), "helpfulness")
    first = judge.score([case()], [Reply("Your card expired.")])
    again = CriterionJudge(CachedBot(backend, ReplyStore(tmp_path / "cache.db")), "helpfulness")
    second = again.score([case()], [Reply("Your card expired.")])
    assert first == second and first[0].value == 4.0
    assert backend.batches == [1, 1]  # the first ask and its re-ask, once: the second judge read both from the cache
