"""Fit a combined quality score: ridge regression from scorer outputs to a mean human rating, cross-validated.

Folds are grouped by item (conversation), so no conversation is both trained and tested on; the out-of-fold
predictions are what the combination's validity is reported on, never the in-sample fit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from evalkit.errors import InvalidData
from evalkit.scorers.combined import Combination
from evalkit.validity.correlation import ValidityRow, validity_row

CV_NAME = "combined (cross-validated)"


@dataclass(frozen=True)
class CombinationSpec:
    aspect: str | None = None  # None: "overall" when rated (any case), else the first aspect
    alphas: Sequence[float] = (0.01, 0.1, 1.0, 10.0, 100.0)
    n_splits: int = 5
    out: str | None = None  # also save the fitted model here


@dataclass(frozen=True)
class LearnedCombination:
    combination: Combination  # fitted on every row; its `validity` is the cross-validated row for its target
    rows: tuple[ValidityRow, ...]  # out-of-fold predictions vs every aspect: what to report, never the in-sample fit

    @property
    def target_row(self) -> ValidityRow:
        return next(r for r in self.rows if r.aspect == self.combination.target)


def combination_aspect(aspects: Sequence[str], wanted: str | None) -> str:
    if wanted is not None:
        if wanted not in aspects:
            raise InvalidData(f"combination aspect {wanted!r} is not rated; rated aspects: {list(aspects)}")
        return wanted
    return next((a for a in aspects if a.lower() == "overall"), aspects[0])


def learn_combination(
    scores: Mapping[str, Sequence[float | None]], directions: Mapping[str, bool], items: Sequence[str],
    human: Mapping[str, Sequence[float]], spec: CombinationSpec, weights: np.ndarray, confidence: float = 0.95,
) -> LearnedCombination:
    """Fit on scorer outputs (one list per scorer, one value per rated candidate) and report the validity of the
    out-of-fold predictions against each aspect's mean human rating, with the item bootstrap `weights`."""
    names = list(scores)
    target = combination_aspect(list(human), spec.aspect)
    x = np.array([[math.nan if scores[n][i] is None else scores[n][i] for n in names] for i in range(len(items))],
                 dtype=float).reshape(len(items), len(names))
    for i, name in enumerate(names):
        if not directions.get(name, True):
            x[:, i] = -x[:, i]  # the combination sees every feature oriented "higher is better"
    combination, predicted = fit_combination(names, x, np.asarray(human[target]), items, target, spec.alphas,
                                             spec.n_splits)
    rows = tuple(validity_row(CV_NAME, aspect, items, list(predicted), values, weights, True, confidence)
                 for aspect, values in human.items())
    combination = replace(combination, validity=next(r for r in rows if r.aspect == target).as_dict())
    return LearnedCombination(combination, rows)


def fit_combination(
    features: Sequence[str], x: np.ndarray, y: np.ndarray, groups: Sequence[str], target: str,
    alphas: Sequence[float] = (0.01, 0.1, 1.0, 10.0, 100.0), n_splits: int = 5,
) -> tuple[Combination, np.ndarray]:
    """The model fitted on all rows, and out-of-fold predictions for every row (NaN features: the column mean)."""
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import RidgeCV
    from sklearn.model_selection import GroupKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    keep = ~np.isnan(y)
    x, y, groups = x[keep], y[keep], np.asarray(groups)[keep]
    n_groups = len(set(groups.tolist()))
    if n_groups < 2:
        raise InvalidData("fitting a combination needs rated candidates from at least two items")

    def pipeline():
        # keep_empty_features: a scorer that failed everywhere keeps its column (weight 0) instead of vanishing.
        return make_pipeline(SimpleImputer(strategy="mean", keep_empty_features=True), StandardScaler(),
                             RidgeCV(alphas=list(alphas)))

    predictions = np.full(keep.shape, np.nan)
    predictions[keep] = cross_val_predict(pipeline(), x, y, groups=groups, cv=GroupKFold(min(n_splits, n_groups)))
    model = pipeline().fit(x, y)
    _, scaler, ridge = model.steps[0][1], model.steps[1][1], model.steps[2][1]
    combination = Combination(
        features=tuple(features), means=tuple(float(m) for m in scaler.mean_),
        scales=tuple(float(s) if s > 0 else 1.0 for s in scaler.scale_),
        weights=tuple(float(w) for w in ridge.coef_), intercept=float(ridge.intercept_), target=target,
        alpha=float(ridge.alpha_),
    )
    return combination, predictions
