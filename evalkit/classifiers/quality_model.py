"""The quality model: one feature pass, one logistic head per kind of supervision, their logits averaged.

Why not one logistic regression over everything: on the same features, human ratings (FED) and synthetic support
negatives pull the weights in different directions. Pooled, the model is worse at both than either alone (FED
cross-validated Spearman 0.46 -> 0.32; true-vs-negative ROC-AUC on support pairs 0.82 -> 0.71; see
benchmarks/results/quality_validity.md). Kept apart and averaged, it keeps most of each (0.43 and 0.79).
Rows say which supervision they are through the frame's `kind` column (LabelledData.frame(): "rated" for rated
replies; anything else is synthetic); at scoring time no kind is needed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from evalkit.classifiers.features import QualityFeatures

RATED, SYNTHETIC = "rated", "synthetic"


class QualityEnsemble(BaseEstimator, ClassifierMixin):
    """P("yes") = sigmoid(sum over heads of weight x logit); a head per kind of supervision present in the data
    (`rated_weight` for the rated one, the rest for the synthetic one; a lone head weighs 1)."""

    def __init__(self, features: QualityFeatures | None = None, C: float = 0.01, rated_weight: float = 0.75,
                 max_iter: int = 5000):
        self.features = features
        self.C = C
        self.rated_weight = rated_weight
        self.max_iter = max_iter

    def fit(self, X: pd.DataFrame, y) -> QualityEnsemble:
        self.features_ = clone(self.features) if self.features is not None else QualityFeatures()
        values = self.features_.fit(X).transform(X)
        y = np.asarray(y).astype(str)
        self.classes_ = np.asarray(sorted(set(y)))
        if list(self.classes_) != ["no", "yes"]:
            raise ValueError(f"quality labels must be 'yes' and 'no', got {list(self.classes_)}")
        kinds = np.where(np.asarray(X["kind"] if "kind" in X else [""] * len(X)) == RATED, RATED, SYNTHETIC)
        present = [k for k in (RATED, SYNTHETIC) if (kinds == k).any() and len(set(y[kinds == k])) == 2]
        weights = {RATED: self.rated_weight, SYNTHETIC: 1.0 - self.rated_weight} if len(present) == 2 else \
            dict.fromkeys(present, 1.0)
        self.heads_ = []
        for kind in present:
            rows = kinds == kind
            scaler = StandardScaler().fit(values[rows])
            clf = LogisticRegression(C=self.C, max_iter=self.max_iter).fit(scaler.transform(values[rows]),
                                                                           (y[rows] == "yes").astype(int))
            self.heads_.append((kind, float(weights[kind]), scaler, clf))
        if not self.heads_:
            raise ValueError("quality: no kind of supervision has both 'yes' and 'no' examples")
        return self

    def decision_function(self, X: pd.DataFrame) -> np.ndarray:
        values = self.features_.transform(X)
        return sum(w * clf.decision_function(scaler.transform(values)) for _, w, scaler, clf in self.heads_)

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        p = 1.0 / (1.0 + np.exp(-self.decision_function(X)))
        return np.column_stack([1.0 - p, p])

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return self.classes_[(self.predict_proba(X)[:, 1] >= 0.5).astype(int)]
