"""An LLM judging one criterion of a reply on an integer scale, with a rationale."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from evalkit.bots.base import Bot, Reply
from evalkit.judges.asking import JudgeUsage, ask
from evalkit.judges.parsing import parse_rating
from evalkit.judges.prompts import CRITERION, criterion_prompt
from evalkit.replay import Case
from evalkit.scorers.base import Score


class CriterionJudge:
    """Rates each reply on `criterion` from `low` to `high`; the Score's value is the rating, its label "4/5".

    `with_reference` shows the human agent's reply as a guide (a reference-guided judge); off by default so the
    judge can also score the human reply itself.
    """

    def __init__(
        self, backend: Bot, criterion: str, description: str = "", low: int = 1, high: int = 5,
        with_reference: bool = False, max_attempts: int = 3, template: str = CRITERION,
    ):
        if low >= high:
            raise ValueError(f"judge scale needs low < high, got {low}..{high}")
        self.backend = backend
        self.criterion = criterion
        self.description = description
        self.low, self.high = low, high
        self.with_reference = with_reference
        self.max_attempts = max_attempts
        self.template = template
        self.usage = JudgeUsage()

    def judge(self, cases: Sequence[Case], replies: Sequence[Reply]) -> list[Score]:
        queries = [
            (f"criterion:{self.criterion}:{case.id}",
             criterion_prompt(case.context, reply.text or "", self.criterion, self.description, self.low, self.high,
                              case.reference.text if self.with_reference else None, self.template))
            for case, reply in zip(cases, replies, strict=True)
        ]
        answers = ask(self.backend, queries, partial(parse_rating, low=self.low, high=self.high),
                      self.max_attempts, self.usage)
        return [Score(float(a.value.score), label=f"{a.value.score}/{self.high}", rationale=a.value.rationale)
                if a.ok and a.value is not None else Score(None, rationale=a.error_rationale()) for a in answers]
