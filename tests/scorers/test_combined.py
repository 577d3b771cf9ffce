"""The combined score: ridge weights learned with grouped cross-validation, applied as a scorer."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from evalkit.contract import Scorer
from evalkit.errors import InvalidData
from evalkit.replay import Case
from evalkit.reply import Reply, Score
from evalkit.scorers.combined import Combination, CombinationFile, CombinedScorer
from evalkit.transcript import Turn
from evalkit.validity.combination import fit_combination


class LengthScorer(Scorer):
    """A real (if simple) scorer: words in the reply; None for an empty reply, like a judge error."""

    needs_reference = False
    higher_is_better = True

    def __init__(self, name: str = "length"):
        self.name = name

    def score(self, cases: Sequence[Case], replies: Sequence[Reply]) -> list[Score]:
        return [Score(float(len(r.text.split())) if r.text else None) for r in replies]


def test_fit_recovers_the_informative_scorer_and_predicts_out_of_fold() -> None:
    rng = np.random.default_rng(0)
    n = 200
    useful, noise = rng.normal(size=n), rng.normal(size=n)
    y = 3 + 0.8 * useful + rng.normal(0, 0.2, n)
    x = np.column_stack([useful, noise])
    x[5, 0] = np.nan  # a failed component counts as average
    groups = [f"item{i // 5}" for i in range(n)]
    model, predicted = fit_combination(["useful", "noise"], x, y, groups, "overall", n_splits=5)
    assert abs(model.weights[0]) > 10 * abs(model.weights[1])
    assert np.corrcoef(predicted, y)[0, 1] > 0.9
    assert model.predict([{"useful": None, "noise": 0.0}])[0] == pytest.approx(model.intercept + model.weights[1] * (
        0 - model.means[1]) / model.scales[1])


def test_combined_scorer_applies_the_saved_model_to_its_components(tmp_path: Path) -> None:
    Combination(features=("length",), means=(4.0,), scales=(2.0,), weights=(0.5,), intercept=3.0,
                target="overall").save(tmp_path / "m.json")
    scorer = CombinedScorer(CombinationFile(tmp_path / "m.json"), {"length": LengthScorer()})
    case = Case("t:1", "t", 1, (Turn("customer", "hi"),), Turn("agent", "hello"))
    scores = scorer.score([case, case], [Reply("one two three four five six"), Reply("")])
    assert [s.value for s in scores] == [pytest.approx(3.5), pytest.approx(3.0)]
    assert scores[0].rationale == "predicted overall from length=6"


def test_combined_scorer_names_missing_components(tmp_path: Path) -> None:
    Combination(("chrf",), (0.0,), (1.0,), (1.0,), 0.0, "overall").save(tmp_path / "m.json")
    with pytest.raises(InvalidData, match=r"needs scorers \['chrf'\]"):
        CombinedScorer(CombinationFile(tmp_path / "m.json"), {"length": LengthScorer()}).score([], [])
