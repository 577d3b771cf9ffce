"""The `llm` rubric criterion: checked at load time, pass/fail at the threshold, judge errors left out of the score."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evalkit.bots.base import Reply
from evalkit.bots.http import OpenAIChatBot
from evalkit.config import CONFIG_DIR
from evalkit.replay import Case
from evalkit.rubric import load_rubric
from evalkit.scorers.rubric import RubricScorer
from evalkit.transcript import InvalidData, Turn

BACKEND = "{_target_: evalkit.bots.python_callable.CallableBot, target: 'test_rubric_llm:rate'}"


def rate(context: list[dict[str, str]]) -> str:
    """The judge: its rating depends on the reply under review; "garbled" replies get no JSON at all."""
    reply = context[0]["text"].split("Reply to review:\n<<<\n")[1].split("\n>>>")[0]
    if reply.startswith("garbled"):
        return "I think it is fine"
    return json.dumps({"score": 5 if "sorry" in reply else 2, "rationale": "tone"})


def _cases(n: int) -> list[Case]:
    return [Case(f"t{i}:1", f"t{i}", 1, (Turn("customer", "charged twice!"),), Turn("agent", "ok"))
            for i in range(n)]


def _rubric(tmp_path: Path, llm: str) -> Path:
    path = tmp_path / "r.yaml"
    path.write_text("criteria:\n  - {name: brief, weight: 1, judge: length, max_words: 8}\n"
                    f"  - {{name: empathy, weight: 2, judge: llm, {llm}}}\n")
    return path


def test_shipped_llm_rubric_loads_with_http_judges_and_no_network() -> None:
    rubric = load_rubric(CONFIG_DIR / "rubric" / "support_quality_llm_v1.yaml")
    llm = [c for c in rubric.criteria if c.kind == "llm"]
    assert [c.name for c in llm] == ["empathy", "resolves_issue"]
    assert all(isinstance(c.judge.rater.backend, OpenAIChatBot) and c.judge.threshold == 4 for c in llm)


@pytest.mark.parametrize(("llm", "message"), [
    ("question: q, threshold: 4", "needs `backend`"),
    (f"backend: {BACKEND}, threshold: 4", "needs `question`"),
    (f"backend: {BACKEND}, question: q", "integer `threshold` within 1..5"),
    (f"backend: {BACKEND}, question: q, threshold: 4, scale: [5, 1]", "`scale` must be two integers"),
    ("backend: {_target_: os.system}, question: q, threshold: 4", "under evalkit."),
    ("backend: {_target_: evalkit.bots.nope.Bot}, question: q, threshold: 4", "cannot be imported"),
    ("backend: {_target_: evalkit.bots.http.OpenAIChatBot, base_url: u, model: m, modle: x}, question: q, "
     "threshold: 4", "unexpected keyword argument 'modle'"),
])
def test_bad_llm_criteria_fail_at_load_naming_file_and_criterion(tmp_path: Path, llm: str, message: str) -> None:
    path = _rubric(tmp_path, llm)
    with pytest.raises(InvalidData, match=message) as error:
        load_rubric(path)
    assert str(error.value).startswith(f"{path}: criterion 'empathy': ") and "\n" not in str(error.value)


def test_llm_verdicts_pass_fail_and_judge_errors_left_out_of_the_weighted_score(tmp_path: Path) -> None:
    scorer = RubricScorer(_rubric(tmp_path, f"backend: {BACKEND}, question: 'Empathy?', threshold: 4, "
                                            "max_attempts: 2"))
    good, cold, garbled = scorer.score(_cases(3), [Reply("so sorry, refunding it now"), Reply("refunding it now"),
                                                   Reply("garbled reply")])
    assert (good.value, good.parts, good.rationale) == (1.0, {"brief": 1.0, "empathy": 1.0}, None)
    assert cold.value == pytest.approx(1 / 3) and cold.parts["empathy"] == 0.0
    assert cold.rationale == "failed: empathy (rated 2/5 < 4: tone)"
    # The judge could not judge: no silent fail; the score is the judged criteria's (brief: 1 of weight 1).
    assert garbled.value == 1.0 and garbled.parts == {"brief": 1.0, "empathy": None}
    assert garbled.rationale.startswith("not judged, left out of the score (weight 1 of 3 judged): empathy (judge "
                                        "error: no JSON object in the output after 2 attempt(s); raw: 'I think")
    assert scorer.usage.as_metrics()["calls"] == 4 and scorer.usage.errors == 1  # the garbled one asked twice


def test_a_rubric_without_llm_criteria_reports_no_judge_usage() -> None:
    assert not hasattr(RubricScorer(CONFIG_DIR / "rubric" / "support_quality_v1.yaml"), "usage")
