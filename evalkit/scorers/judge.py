"""A scorer that is one LLM-judged criterion (a one-criterion rubric): e.g. helpfulness 1–5 with a rationale."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from evalkit.bots.base import Bot, Reply
from evalkit.judges.criterion import CriterionJudge
from evalkit.replay import Case
from evalkit.scorers.base import Score


class JudgeScorer:
    higher_is_better = True

    def __init__(
        self, backend: Bot, criterion: str, description: str = "", name: str | None = None, low: int = 1,
        high: int = 5, with_reference: bool = False, max_attempts: int = 3,
    ):
        self.name = name or f"judge_{criterion}"
        self.needs_reference = with_reference
        self.judge = CriterionJudge(backend, criterion, description, low, high, with_reference, max_attempts)

    @property
    def usage(self):
        return self.judge.usage

    def use_cache(self, wrap: Callable[[Bot], Bot]) -> None:
        self.judge.backend = wrap(self.judge.backend)

    def score(self, cases: Sequence[Case], replies: Sequence[Reply]) -> list[Score]:
        return self.judge.judge(cases, replies)
