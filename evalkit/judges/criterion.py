"""An LLM rating one criterion of a reply on an integer scale, with a rationale: a scorer of its own (helpfulness
1–5), or a rubric criterion with a threshold (`check:` in configs/rubric/support_quality_llm_v1.yaml)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from evalkit.contract import Bot
from evalkit.errors import InvalidData
from evalkit.judges.asking import BackendJudge
from evalkit.judges.parsing import parse_rating
from evalkit.judges.prompts import CRITERION, RATING_PREFIX, criterion_prompt
from evalkit.replay import Case
from evalkit.reply import ChoiceWeights, Reply, Score


class CriterionJudge(BackendJudge):
    """Rates each reply on `criterion` from `low` to `high`; the Score's value is the rating, its label "4/5".

    `with_reference` shows the human agent's reply as a guide (a reference-guided judge); off by default so the
    judge can also score the human reply itself. A backend that weighs choices gives the expected rating under its
    probability of each score instead (a fraction, labelled e.g. "3.42/5"), with those probabilities as rationale.
    """

    def __init__(
        self, backend: Bot, criterion: str, name: str = "judge", description: str = "", low: int = 1,
        high: int = 5, with_reference: bool = False, max_attempts: int = 3, template: str = CRITERION,
    ):
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (low, high)) or low >= high:
            raise InvalidData(f"judge {name!r}: the scale needs integers low < high, got {low!r}..{high!r}")
        if not str(criterion).strip():
            raise InvalidData(f"judge {name!r}: `criterion` (what the judge rates) is empty")
        super().__init__(backend, name, max_attempts)
        self.criterion = str(criterion).strip()
        self.description = description
        self.low, self.high = low, high
        self.scale = (float(low), float(high))
        self.with_reference = with_reference
        self.needs_reference = with_reference
        self.template = template

    def score(self, cases: Sequence[Case], replies: Sequence[Reply]) -> list[Score]:
        queries = [
            (f"criterion:{self.criterion}:{case.id}",
             criterion_prompt(case.context, reply.text or "", self.criterion, self.description, self.low, self.high,
                              case.reference.text if self.with_reference else None, self.template))
            for case, reply in zip(cases, replies, strict=True)
        ]
        if self.backend.weighs_choices:
            scores = [self._weighted(w) for w in self.weigh(queries, RATING_PREFIX, self._choices())]
            self.usage.errors += sum(s.value is None for s in scores)
            return scores
        answers = self.ask(queries, partial(parse_rating, low=self.low, high=self.high))
        return [Score(float(a.value.score), label=f"{a.value.score}/{self.high}", rationale=a.value.rationale)
                if a.ok and a.value is not None else Score(None, rationale=a.error_rationale()) for a in answers]

    def _choices(self) -> list[str]:
        return [str(score) for score in range(self.low, self.high + 1)]

    def _weighted(self, weights: ChoiceWeights) -> Score:
        """G-EVAL: the expected rating under the model's probabilities of each score."""
        if not weights.mass > 0:
            return Score(None, rationale="judge error: the model gives the scale no probability")
        value = sum(int(choice) * share for choice, share in weights.shares().items())
        return Score(value, label=f"{value:.2f}/{self.high}", rationale=f"probability-weighted: {weights.describe()}")
