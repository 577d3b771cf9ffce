"""Cross-validated quality of a classifier recipe: accuracy, macro-F1, ROC-AUC (binary), calibration.

Folds are split by group (conversation), so examples from one conversation never sit on both sides of a fold.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.calibration import calibration_curve
from sklearn.metrics import accuracy_score, brier_score_loss, f1_score, roc_auc_score
from sklearn.model_selection import GroupKFold, StratifiedGroupKFold

from evalkit.classifiers.data import LabelledData
from evalkit.scorers.classifier import CONTEXT, TEXT


@dataclass(frozen=True)
class CvReport:
    folds: int
    # accuracy, macro_f1, brier, ece; for binary tasks roc_auc, and the mean P(positive) of the positives and of the
    # negatives (of the replies labelled one way only)
    metrics: dict[str, float]
    calibration: dict[str, list[float]] = field(default_factory=dict)  # mean predicted vs observed, per bin
    labels: tuple[str, ...] = ()


def expected_calibration_error(y_true: np.ndarray, prob: np.ndarray, bins: int = 10) -> float:
    """Weighted mean |observed rate − mean predicted probability| over equal-width probability bins."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(prob, edges[1:-1]), 0, bins - 1)
    error = 0.0
    for b in range(bins):
        mask = which == b
        if mask.any():
            error += mask.mean() * abs(y_true[mask].mean() - prob[mask].mean())
    return float(error)


def cross_validate(make_model: Callable[[], object], data: LabelledData, folds: int = 5, seed: int = 0,
                   positive: str | None = None, bins: int = 10) -> CvReport:
    """Out-of-fold predictions from `folds` group folds (stratified where every class can be), then metrics."""
    labels = np.asarray(data.labels)
    groups = np.asarray(data.groups)
    folds = max(2, min(folds, len(set(data.groups))))
    try:
        splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
        splits = list(splitter.split(labels, labels, groups))
    except ValueError:  # a class with fewer groups than folds
        splits = list(GroupKFold(n_splits=folds).split(labels, labels, groups))
    classes = tuple(sorted(set(data.labels)))
    frame = data.frame()
    proba = np.zeros((len(labels), len(classes)))
    for train, test in splits:
        model = make_model()
        model.fit(frame.iloc[train], labels[train])
        fold_proba = model.predict_proba(frame.iloc[test])
        for j, cls in enumerate(model.classes_):
            proba[test, classes.index(str(cls))] = fold_proba[:, j]
    predicted = np.asarray(classes)[proba.argmax(axis=1)]
    metrics = {"accuracy": float(accuracy_score(labels, predicted)),
               "macro_f1": float(f1_score(labels, predicted, average="macro"))}
    calibration: dict[str, list[float]] = {}
    if len(classes) == 2:
        pos = positive if positive in classes else classes[1]
        y = (labels == pos).astype(int)
        p = proba[:, classes.index(pos)]
        metrics.update(roc_auc=float(roc_auc_score(y, p)), brier=float(brier_score_loss(y, p)),
                       ece=expected_calibration_error(y, p, bins))
        # Where its own good and wrong replies land: the yardstick a run's human replies are held to
        # (evalkit.summaries.domain). A reply labelled both ways (a rating fed as replicas split between the
        # labels) is neither, so it is left out; with none labelled one way only, there is no yardstick.
        single = _labelled_one_way(frame, labels)
        if (single & (y == 1)).any() and (single & (y == 0)).any():
            metrics.update(positive_mean=float(p[single & (y == 1)].mean()),
                           negative_mean=float(p[single & (y == 0)].mean()))
        observed, predicted_mean = calibration_curve(y, p, n_bins=bins)
        calibration = {"predicted": predicted_mean.tolist(), "observed": observed.tolist()}
    else:
        onehot = (labels[:, None] == np.asarray(classes)[None, :]).astype(float)
        metrics["brier"] = float(np.mean(np.sum((proba - onehot) ** 2, axis=1)))
        metrics["ece"] = expected_calibration_error((predicted == labels).astype(float), proba.max(axis=1), bins)
    return CvReport(folds=len(splits), metrics=metrics, calibration=calibration, labels=classes)


def _labelled_one_way(frame: pd.DataFrame, labels: np.ndarray) -> np.ndarray:
    """Per example: whether every example of the same reply in the same conversation has its label."""
    keys = frame[[CONTEXT, TEXT]].assign(label=labels)
    return (keys.groupby([CONTEXT, TEXT])["label"].transform("nunique") == 1).to_numpy()
