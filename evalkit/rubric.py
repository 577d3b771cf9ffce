"""Rubrics: weighted criteria, each judged per reply by a pluggable judge, giving a weighted score per reply, a
pass/fail per criterion and a rationale naming what failed.

A rubric is a YAML file (configs/rubric/):

    name: support_quality_v1
    criteria:
      - name: no_placeholder_leak
        weight: 3
        judge: placeholder          # a judge type from JUDGES; the other keys are that judge's parameters
      - name: concise
        weight: 1
        judge: length
        max_words: 120

Judge types are a registry: a type name maps to a factory (a class, or "module:attribute" imported on first use)
that takes the criterion's parameters as keyword arguments and returns a CriterionJudge. Rule and classifier
judges live in evalkit.rubric_judges, the LLM judge (`judge: llm`) in evalkit.rubric_llm; more register with
`register_judge` or an entry in JUDGES.

A criterion the judge could not decide (an LLM judge error) is left out of the weighted score: the weights are
renormalised over the judged criteria, and the rationale names the undecided ones with why and the weight judged.
Every problem in the file is found at load time and reported in one line naming the file and the criterion.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import Any, Protocol

import yaml

from evalkit.bots.base import Reply
from evalkit.replay import Case
from evalkit.transcript import InvalidData


@dataclass(frozen=True)
class Verdict:
    passed: bool | None  # None: the judge could not decide (left out of the weighted score)
    reason: str | None = None  # why it failed, shown in the rationale


class CriterionJudge(Protocol):
    def judge(self, cases: Sequence[Case], replies: Sequence[Reply]) -> list[Verdict]:
        """One verdict per reply, in order (batch-first, like scorers)."""
        ...


JudgeFactory = Callable[..., CriterionJudge]

JUDGES: dict[str, JudgeFactory | str] = {
    "regex": "evalkit.rubric_judges:RegexJudge",
    "length": "evalkit.rubric_judges:LengthJudge",
    "phrases": "evalkit.rubric_judges:PhrasesJudge",
    "placeholder": "evalkit.rubric_judges:PlaceholderJudge",
    "promise": "evalkit.rubric_judges:PromiseJudge",
    "classifier": "evalkit.rubric_judges:ClassifierJudge",
    "llm": "evalkit.rubric_llm:LlmJudge",
}


def register_judge(kind: str, factory: JudgeFactory | str) -> None:
    """Make `judge: <kind>` usable in rubrics (a factory, or "module:attribute" to import on first use)."""
    JUDGES[kind] = factory


def _factory(kind: str) -> JudgeFactory:
    factory = JUDGES[kind]
    if isinstance(factory, str):
        module, _, attribute = factory.partition(":")
        factory = getattr(import_module(module), attribute)
    return factory


@dataclass(frozen=True)
class Criterion:
    name: str
    weight: float
    kind: str
    judge: CriterionJudge
    description: str = ""


@dataclass(frozen=True)
class Rubric:
    name: str
    path: str
    criteria: tuple[Criterion, ...]


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


_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


def load_rubric(path: str | Path) -> Rubric:
    path = str(path)
    try:
        document = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidData(f"{path}: no such rubric file") from None
    except yaml.YAMLError as err:
        raise InvalidData(f"{path}: not valid YAML: {' '.join(str(err).split())}") from None
    if not isinstance(document, dict) or not isinstance(document.get("criteria"), list) or not document["criteria"]:
        raise InvalidData(f"{path}: a rubric needs a non-empty `criteria` list")
    criteria, seen = [], set()
    for index, raw in enumerate(document["criteria"]):
        criteria.append(_criterion(path, index, raw, seen))
    return Rubric(name=str(document.get("name") or Path(path).stem), path=path, criteria=tuple(criteria))


def _criterion(path: str, index: int, raw: Any, seen: set[str]) -> Criterion:
    label = f"criterion {index}"
    if not isinstance(raw, dict):
        raise InvalidData(f"{path}: {label}: must be a mapping with name, weight and judge")
    spec = dict(raw)
    name = spec.pop("name", None)
    if not isinstance(name, str) or not _NAME.match(name):
        raise InvalidData(f"{path}: {label}: `name` missing or not a simple identifier (letters, digits, _ . -)")
    label = f"criterion {name!r}"
    if name in seen:
        raise InvalidData(f"{path}: {label}: duplicate name")
    seen.add(name)
    if "weight" not in spec:
        raise InvalidData(f"{path}: {label}: missing `weight`")
    weight = spec.pop("weight")
    if isinstance(weight, bool) or not isinstance(weight, int | float) or weight <= 0:
        raise InvalidData(f"{path}: {label}: `weight` must be a positive number, got {weight!r}")
    kind = spec.pop("judge", None)
    if kind not in JUDGES:
        raise InvalidData(f"{path}: {label}: unknown judge type {kind!r} (known: {', '.join(sorted(JUDGES))})")
    description = str(spec.pop("description", ""))
    try:
        judge = _factory(kind)(**spec)
    except TypeError as err:
        raise InvalidData(f"{path}: {label}: bad parameters for judge {kind!r}: {err}") from None
    except re.error as err:
        raise InvalidData(f"{path}: {label}: bad regex {err.pattern!r}: {err}") from None
    except (ValueError, InvalidData) as err:
        raise InvalidData(f"{path}: {label}: {err}") from None
    return Criterion(name=name, weight=float(weight), kind=kind, judge=judge, description=description)


def judge_replies(rubric: Rubric, cases: Sequence[Case], replies: Sequence[Reply]) -> list[RubricResult]:
    """Every criterion over the whole batch, then the weighted score per reply."""
    verdicts = {c.name: c.judge.judge(cases, replies) for c in rubric.criteria}
    for name, found in verdicts.items():
        if len(found) != len(replies):
            raise RuntimeError(f"rubric {rubric.name!r}: criterion {name!r} gave {len(found)} verdicts "
                               f"for {len(replies)} replies")
    results = []
    for i in range(len(replies)):
        mine = {c.name: verdicts[c.name][i] for c in rubric.criteria}
        judged = [(c.weight, mine[c.name].passed) for c in rubric.criteria if mine[c.name].passed is not None]
        total = sum(w for w, _ in judged)
        score = sum(w for w, passed in judged if passed) / total if total else None
        results.append(RubricResult(score, mine, total, sum(c.weight for c in rubric.criteria)))
    return results
