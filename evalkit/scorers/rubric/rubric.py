"""Rubric scorer: the weighted share of a rubric's criteria a reply passes, each criterion as a part
("rubric/<criterion>": 1 pass, 0 fail), and a rationale naming the failed criteria and why.

A rubric is a config group (configs/rubric/<name>.yaml). Each criterion has a weight and a `check`, which is any
scorer (a rule from evalkit.scorers.rubric.rules, a classifier, an LLM judge), and passes when the check's value is
at least `threshold` (below it, with `pass_below: true`):

    name: support_quality_v1
    criteria:
      no_placeholder_leak:
        weight: 3
        check: {_target_: evalkit.scorers.rubric.rules.Placeholder}
      empathy:
        weight: 1
        threshold: 4                     # the judge rates 1..5; 4 and 5 pass
        check: {_target_: evalkit.judges.criterion.CriterionJudge, criterion: ..., backend: ${judge}}

A criterion its check could not decide (an LLM judge error) is left out of the weighted score: the weights are
renormalised over the judged criteria, and the rationale names the undecided ones with why and the weight judged.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from evalkit.contract import Bot, JudgeUsage, Scorer
from evalkit.errors import InvalidData
from evalkit.replay import Case
from evalkit.reply import Reply, Score

_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")
_SETTINGS = {"weight", "check", "threshold", "pass_below", "description"}


@dataclass(frozen=True)
class Verdict:
    passed: bool | None  # None: the check could not decide (left out of the weighted score)
    reason: str | None = None  # why it failed or was not judged, shown in the rationale


@dataclass(frozen=True)
class Criterion:
    name: str
    weight: float
    check: Scorer
    threshold: float = 0.5  # rules score 1 or 0; a judge's rating or a probability needs its own threshold
    pass_below: bool = False
    description: str = ""

    def verdict(self, score: Score) -> Verdict:
        if score.value is None:
            return Verdict(None, score.rationale or "no score")
        passed = score.value < self.threshold if self.pass_below else score.value >= self.threshold
        if passed:
            return Verdict(True)
        if score.label is None:  # a rule: its rationale says what failed
            return Verdict(False, score.rationale)
        bound = f"{'>=' if self.pass_below else '<'} {self.threshold:g}"
        return Verdict(False, f"rated {score.label} {bound}" + (f": {score.rationale}" if score.rationale else ""))


def criterion(rubric: str, name: str, spec: Mapping[str, Any]) -> Criterion:
    """One criterion from its config entry, or one line naming the rubric and criterion that is wrong."""
    where = f"rubric {rubric!r}, criterion {name!r}"
    if not _NAME.match(name):
        raise InvalidData(f"{where}: the name must be a simple identifier (letters, digits, _ . -)")
    unknown = sorted(set(spec) - _SETTINGS)
    if unknown:
        raise InvalidData(f"{where}: unknown setting(s) {', '.join(unknown)} "
                          f"(a criterion has {', '.join(sorted(_SETTINGS))})")
    if "weight" not in spec:
        raise InvalidData(f"{where}: missing `weight`")
    weight = spec["weight"]
    if isinstance(weight, bool) or not isinstance(weight, int | float) or weight <= 0:
        raise InvalidData(f"{where}: `weight` must be a positive number, got {weight!r}")
    check = spec.get("check")
    if not isinstance(check, Scorer):
        raise InvalidData(f"{where}: `check` must be a scorer config with a `_target_` (e.g. "
                          f"evalkit.scorers.rubric.rules.Regex), got {check!r}")
    threshold = spec.get("threshold", 0.5)
    if isinstance(threshold, bool) or not isinstance(threshold, int | float):
        raise InvalidData(f"{where}: `threshold` must be a number, got {threshold!r}")
    if check.scale is not None and not check.scale[0] <= threshold <= check.scale[1]:
        # Outside the check's scale (a judge's 1..5 with the 0.5 default forgotten) it would always pass or fail.
        raise InvalidData(f"{where}: `threshold` must be within the check's scale {check.scale[0]:g}.."
                          f"{check.scale[1]:g}, got {threshold!r}")
    return Criterion(name, float(weight), check, float(threshold), bool(spec.get("pass_below", False)),
                     str(spec.get("description", "")))


@dataclass(frozen=True)
class RubricResult:
    score: float | None  # weighted share of criteria passed, over those judged
    verdicts: Mapping[str, Verdict]
    judged_weight: float = 0.0  # the weights the score is over ...
    total_weight: float = 0.0  # ... out of all the rubric's weights

    def rationale(self) -> str | None:
        def named(passed: bool | None) -> list[str]:
            return [f"{name} ({v.reason})" if v.reason else name for name, v in self.verdicts.items()
                    if v.passed is passed]

        failed, undecided = named(False), named(None)
        parts = ["failed: " + "; ".join(failed)] if failed else []
        if undecided:
            parts.append(f"not judged, left out of the score (weight {self.judged_weight:g} of "
                         f"{self.total_weight:g} judged): " + "; ".join(undecided))
        return " | ".join(parts) or None


class RubricScorer(Scorer):
    needs_reference = False
    scale = (0.0, 1.0)

    def __init__(self, criteria: Mapping[str, Mapping[str, Any]], name: str = "rubric", rubric: str | None = None):
        self.name = name
        self.rubric = rubric or name
        if not criteria:
            raise InvalidData(f"rubric {self.rubric!r}: a rubric needs at least one criterion")
        self.criteria = tuple(criterion(self.rubric, key, spec) for key, spec in criteria.items())
        # A criterion that compares with the human reply makes the whole rubric reference-based; one that can
        # score a human reply low (a judge, a classifier) makes it a parity yardstick, rules alone do not.
        self.needs_reference = any(c.check.needs_reference for c in self.criteria)
        self.parity = any(c.check.parity for c in self.criteria)

    def wrap_judges(self, wrap: Callable[[Bot], Bot]) -> None:
        for c in self.criteria:
            c.check.wrap_judges(wrap)

    def judge_usage(self) -> JudgeUsage | None:
        """What the LLM-judged criteria cost, summed."""
        return JudgeUsage.total(c.check.judge_usage() for c in self.criteria)

    def judge(self, cases: Sequence[Case], replies: Sequence[Reply]) -> list[RubricResult]:
        """Every criterion over the whole batch, then the weighted score per reply."""
        verdicts = {}
        for c in self.criteria:
            scores = c.check.score(cases, replies)
            if len(scores) != len(replies):
                raise RuntimeError(f"rubric {self.rubric!r}: criterion {c.name!r} gave {len(scores)} scores "
                                   f"for {len(replies)} replies")
            verdicts[c.name] = [c.verdict(s) for s in scores]
        total_weight = sum(c.weight for c in self.criteria)
        results = []
        for i in range(len(replies)):
            mine = {c.name: verdicts[c.name][i] for c in self.criteria}
            judged = [(c.weight, mine[c.name].passed) for c in self.criteria if mine[c.name].passed is not None]
            weight = sum(w for w, _ in judged)
            score = sum(w for w, passed in judged if passed) / weight if weight else None
            results.append(RubricResult(score, mine, weight, total_weight))
        return results

    def score(self, cases: Sequence[Case], replies: Sequence[Reply]) -> list[Score]:
        scores = []
        for result in self.judge(cases, replies):
            parts = {name: None if v.passed is None else float(v.passed) for name, v in result.verdicts.items()}
            failed = [name for name, v in result.verdicts.items() if v.passed is False]
            scores.append(Score(result.score, label="pass" if not failed else "fail: " + ",".join(failed),
                                rationale=result.rationale(), parts=parts))
        return scores
