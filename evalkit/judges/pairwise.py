"""Blinded pairwise judging of a candidate reply against the human reply, in both orders.

Each case is asked twice in the same batch: once with the candidate as reply A, once as reply B. The judge never
learns which reply is the human's. A verdict counts only when both orders agree; when they disagree the case is a
tie (outcome "split"), and the share of splits is the judge's position bias on this data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from evalkit.bots.base import Bot
from evalkit.judges.asking import Answer, JudgeUsage, ask
from evalkit.judges.parsing import Preference, parse_preference
from evalkit.judges.prompts import PAIRWISE, PAIRWISE_QUESTION, pairwise_prompt
from evalkit.replay import Case

Outcome = Literal["win", "loss", "tie", "split"]
Side = Literal["candidate", "reference", "tie"]
VALUES: dict[str, float] = {"win": 1.0, "tie": 0.5, "split": 0.5, "loss": 0.0}


@dataclass(frozen=True)
class PairwiseVerdict:
    outcome: Outcome | None  # None: the judge failed on this case (see error)
    first: Side | None = None  # what the judge preferred with the candidate shown as A
    second: Side | None = None  # ... and with the candidate shown as B
    rationale: str = ""
    error: str | None = None

    @property
    def value(self) -> float | None:
        return None if self.outcome is None else VALUES[self.outcome]


def _side(winner: str, candidate_is_a: bool) -> Side:
    if winner == "tie":
        return "tie"
    return "candidate" if (winner == "A") == candidate_is_a else "reference"


def combine(first: Side, second: Side) -> Outcome:
    """Both orders agree → that verdict; otherwise a split, which counts as a tie."""
    if first != second:
        return "split"
    return {"candidate": "win", "reference": "loss", "tie": "tie"}[first]


def verdict(a: Answer[Preference], b: Answer[Preference]) -> PairwiseVerdict:
    if not a.ok or not b.ok or a.value is None or b.value is None:
        failed = a if not a.ok else b
        order = "candidate first" if failed is a else "candidate second"
        return PairwiseVerdict(None, error=f"{order}: {failed.error_rationale()}")
    first, second = _side(a.value.winner, True), _side(b.value.winner, False)
    rationale = f"candidate first → {first}: {a.value.rationale} | candidate second → {second}: {b.value.rationale}"
    return PairwiseVerdict(combine(first, second), first, second, rationale)


class PairwiseJudge:
    def __init__(self, backend: Bot, question: str = PAIRWISE_QUESTION, max_attempts: int = 3,
                 template: str = PAIRWISE):
        self.backend = backend
        self.question = question
        self.max_attempts = max_attempts
        self.template = template
        self.usage = JudgeUsage()

    def compare(self, cases: Sequence[Case], candidates: Sequence[str], references: Sequence[str]
                ) -> list[PairwiseVerdict]:
        queries = []
        for case, candidate, reference in zip(cases, candidates, references, strict=True):
            queries.append((f"pairwise:ab:{case.id}",
                            pairwise_prompt(case.context, candidate, reference, self.question, self.template)))
            queries.append((f"pairwise:ba:{case.id}",
                            pairwise_prompt(case.context, reference, candidate, self.question, self.template)))
        answers = ask(self.backend, queries, parse_preference, self.max_attempts, self.usage)
        return [verdict(answers[2 * i], answers[2 * i + 1]) for i in range(len(cases))]
