from pathlib import Path

import pytest

from evalkit.bots.base import Reply
from evalkit.config import CONFIG_DIR
from evalkit.replay import Case
from evalkit.rubric import Verdict, load_rubric, register_judge
from evalkit.scorers.rubric import RubricScorer
from evalkit.transcript import InvalidData, Turn

SUPPORT_QUALITY = CONFIG_DIR / "rubric" / "support_quality_v1.yaml"


def _cases(n: int) -> list[Case]:
    return [Case(id=f"t{i}:1", transcript_id=f"t{i}", turn_index=1, context=(Turn("customer", "help"),),
                 reference=Turn("agent", "ok")) for i in range(n)]


def test_support_quality_flags_placeholders_and_promises_with_a_rationale():
    replies = [Reply("Hi {customer_name}, your refund for [ORDER_ID] is on its way to your account."),
               Reply("I guarantee your fee will be refunded, it is being reviewed by our team now."),
               Reply("Thanks Zoe, I've requested the refund; it should arrive within 3-5 business days.")]
    leak, promise, good = RubricScorer(SUPPORT_QUALITY).score(_cases(3), replies)
    assert good.value == 1.0 and good.rationale is None and good.label == "pass"
    assert leak.parts["no_placeholder_leak"] == 0.0 and "leaked {customer_name}" in leak.rationale
    assert promise.parts["no_forbidden_promise"] == 0.0 and "guarantee" in promise.rationale
    assert leak.value == pytest.approx(1 - 3 / 10)  # weights 3+3+1+2+1: the leak costs 3 of 10


@pytest.mark.parametrize(("criterion", "message"), [
    ("  - name: polite\n    weight: 1\n    judge: regexp\n    pattern: thanks\n",
     "criterion 'polite': unknown judge type 'regexp'"),
    ("  - name: polite\n    judge: regex\n    pattern: thanks\n", "criterion 'polite': missing `weight`"),
    ("  - name: polite\n    weight: 1\n    judge: regex\n    pattern: '(thanks'\n", "criterion 'polite': bad regex"),
    ("  - name: short\n    weight: 1\n    judge: length\n    max_word: 5\n",
     "criterion 'short': bad parameters for judge 'length'"),
])
def test_typos_fail_at_load_naming_file_and_criterion(tmp_path: Path, criterion: str, message: str):
    path = tmp_path / "typo.yaml"
    path.write_text("name: typo\ncriteria:\n" + criterion)
    with pytest.raises(InvalidData) as err:
        RubricScorer(path)
    assert str(path) in str(err.value) and message in str(err.value)
    assert "\n" not in str(err.value)


class _ShoutingJudge:
    def __init__(self, limit: int = 0):
        self.limit = limit

    def judge(self, cases, replies):
        return [Verdict(sum(c.isupper() for c in r.text) <= self.limit, "shouts") for r in replies]


def test_judge_types_are_pluggable_and_undecided_verdicts_are_left_out(tmp_path: Path):
    register_judge("shouting", _ShoutingJudge)
    path = tmp_path / "custom.yaml"
    path.write_text("criteria:\n  - {name: calm, weight: 2, judge: shouting, limit: 3}\n"
                    "  - {name: brief, weight: 1, judge: length, max_words: 3}\n")
    rubric = load_rubric(path)
    assert [c.kind for c in rubric.criteria] == ["shouting", "length"]
    scores = RubricScorer(path).score(_cases(2), [Reply("WHY IS THIS BROKEN"), Reply("all good")])
    assert scores[0].value == 0.0 and scores[0].rationale.startswith("failed: calm (shouts); brief")
    assert scores[1].value == 1.0
