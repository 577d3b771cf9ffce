"""Fit a combined quality score: ridge regression from scorer outputs to a mean human rating, cross-validated.

Folds are grouped by item (conversation), so no conversation is both trained and tested on; the out-of-fold
predictions are what the combination's validity is reported on, never the in-sample fit.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from evalkit.scorers.combined import Combination


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
        raise ValueError("fitting a combination needs rated candidates from at least two items")

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
