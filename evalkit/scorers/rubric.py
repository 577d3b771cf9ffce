"""Rubric scorer: the weighted share of a rubric's criteria a reply passes, each criterion as a part
("rubric/<criterion>": 1 pass, 0 fail), and a rationale naming the failed criteria and why.

The rubric file is read and validated when the scorer is built, so a typo stops the run before any bot is called.
LLM-judged criteria report their calls, tokens and cost (summed) as the scorer's `usage`, and their backends go
through the run's reply cache (`use_cache`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from evalkit.bots.base import Bot, Reply
from evalkit.judges.asking import JudgeUsage
from evalkit.replay import Case
from evalkit.rubric import judge_replies, load_rubric
from evalkit.scorers.base import Score


class RubricScorer:
    higher_is_better = True
    needs_reference = False

    def __init__(self, path: str | Path, name: str = "rubric"):
        self.name = name
        self.path = str(path)
        self.rubric = load_rubric(self.path)  # cheap (YAML and regexes); classifier judges load lazily

    @property
    def usage(self) -> JudgeUsage:
        """What the LLM-judged criteria cost, summed; a rubric without any has no `usage` (hasattr is False)."""
        found = [c.judge.usage for c in self.rubric.criteria if hasattr(c.judge, "usage")]
        if not found:
            raise AttributeError("usage")
        return JudgeUsage.total(found)

    def use_cache(self, wrap: Callable[[Bot], Bot]) -> None:
        for criterion in self.rubric.criteria:
            if hasattr(criterion.judge, "use_cache"):
                criterion.judge.use_cache(wrap)

    def score(self, cases: Sequence[Case], replies: Sequence[Reply]) -> list[Score]:
        scores = []
        for result in judge_replies(self.rubric, cases, replies):
            parts = {name: None if v.passed is None else float(v.passed) for name, v in result.verdicts.items()}
            failed = [name for name, v in result.verdicts.items() if v.passed is False]
            scores.append(Score(result.score, label="pass" if not failed else "fail: " + ",".join(failed),
                                rationale=result.rationale(), parts=parts))
        return scores
