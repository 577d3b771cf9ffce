"""Blinded pairwise judging of a candidate reply against the human reply, in both orders: a scorer whose value per
case is 1 (win), 0.5 (tie, or the orders disagree: "split") or 0 (loss), and whose label says which.

Each case is asked twice in the same batch: once with the candidate as reply A, once as reply B. The judge never
learns which reply is the human's. A verdict counts only when both orders agree; when they disagree the case is a
tie (outcome "split"), and the share of splits is the judge's position bias on this data. The mean is the bot's
win rate against the human with ties counted half; summaries add the counts and the position-bias rate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from evalkit.contract import Bot
from evalkit.judges.asking import Answer, BackendJudge
from evalkit.judges.parsing import Choice, Preference, parse_preference
from evalkit.judges.prompts import PAIRWISE, PAIRWISE_QUESTION, PREFERENCE_PREFIX, pairwise_prompt
from evalkit.replay import Case
from evalkit.reply import ChoiceWeights, Reply, Score

Outcome = Literal["win", "loss", "tie", "split"]
Side = Literal["candidate", "reference", "tie"]
VALUES: dict[str, float] = {"win": 1.0, "tie": 0.5, "split": 0.5, "loss": 0.0}
CHOICES: tuple[Choice, ...] = ("A", "B", "tie")


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


def _preferred(weights: ChoiceWeights) -> Answer[Preference]:
    """The most probable winner of a backend that weighs choices, its probabilities as the rationale."""
    if not weights.mass > 0:
        return Answer(None, None, "the model gives no choice any probability")
    shares = weights.shares()
    winner = max(CHOICES, key=lambda c: shares[c])
    return Answer(Preference(winner, weights.describe()), None)


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


class PairwiseJudge(BackendJudge):
    needs_reference = True
    scale = (0.0, 1.0)
    summary = "pairwise"

    def __init__(self, backend: Bot, name: str = "pairwise", question: str = PAIRWISE_QUESTION, max_attempts: int = 3,
                 template: str = PAIRWISE):
        super().__init__(backend, name, max_attempts)
        self.question = question
        self.template = template

    def score(self, cases: Sequence[Case], replies: Sequence[Reply]) -> list[Score]:
        scores: list[Score | None] = [None] * len(cases)
        asked = []
        for i, (case, reply) in enumerate(zip(cases, replies, strict=True)):
            if " ".join((reply.text or "").split()) == " ".join(case.reference.text.split()):
                # The human row (or a bot that copied the human): nothing to judge, and no tokens to spend.
                scores[i] = Score(0.5, label="tie", rationale="same text as the human reply")
            else:
                asked.append(i)
        verdicts = self.compare([cases[i] for i in asked], [replies[i].text or "" for i in asked],
                                [cases[i].reference.text for i in asked])
        for i, v in zip(asked, verdicts, strict=True):
            scores[i] = Score(v.value, label=v.outcome, rationale=v.rationale if v.error is None else v.error)
        return [s for s in scores if s is not None]

    def compare(self, cases: Sequence[Case], candidates: Sequence[str], references: Sequence[str]
                ) -> list[PairwiseVerdict]:
        queries = []
        for case, candidate, reference in zip(cases, candidates, references, strict=True):
            queries.append((f"pairwise:ab:{case.id}",
                            pairwise_prompt(case.context, candidate, reference, self.question, self.template)))
            queries.append((f"pairwise:ba:{case.id}",
                            pairwise_prompt(case.context, reference, candidate, self.question, self.template)))
        if self.backend.weighs_choices:
            answers = [_preferred(w) for w in self.weigh(queries, PREFERENCE_PREFIX, CHOICES)]
            self.usage.errors += sum(not a.ok for a in answers)
        else:
            answers = self.ask(queries, parse_preference)
        return [verdict(answers[2 * i], answers[2 * i + 1]) for i in range(len(cases))]
