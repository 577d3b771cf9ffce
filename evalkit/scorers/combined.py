"""One quality score learned from several: a linear model over standardized scorer outputs, fitted on human ratings.

The model is a small JSON file (features, their means and scales, weights, intercept, what it was fitted to and its
cross-validated agreement), written by `evalkit train recipe=combined` (which also registers it in MLflow, so
`model_path` may be a models:/ URI) or `evalkit validate fit_combination=true`: readable, diffable, no pickle.
A component that could not score a reply (a judge error) counts as average for that component, not as zero.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from evalkit.bots.base import Bot, Reply
from evalkit.judges.asking import JudgeUsage
from evalkit.replay import Case
from evalkit.scorers.base import Score, Scorer

MODEL_ARTIFACT = "combination"  # the model file's name inside a registered model


@dataclass(frozen=True)
class Combination:
    features: tuple[str, ...]  # scorer names, in weight order
    means: tuple[float, ...]
    scales: tuple[float, ...]
    weights: tuple[float, ...]  # per standardized feature
    intercept: float
    target: str  # the human rating aspect it predicts
    alpha: float = 0.0  # ridge penalty chosen by cross-validation
    validity: Mapping[str, Any] = field(default_factory=dict)  # cross-validated correlations with the target

    def predict(self, rows: Sequence[Mapping[str, float | None]]) -> list[float]:
        out = []
        for row in rows:
            total = self.intercept
            for name, mean, scale, weight in zip(self.features, self.means, self.scales, self.weights, strict=True):
                value = row.get(name)
                if value is not None and not math.isnan(value):
                    total += weight * (value - mean) / scale
            out.append(total)
        return out

    def save(self, path: str | Path) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(json.dumps(asdict(self), indent=2) + "\n")

    @classmethod
    def load(cls, path: str | Path) -> Combination:
        row = json.loads(Path(path).read_text())
        for key in ("features", "means", "scales", "weights"):
            row[key] = tuple(row[key])
        return cls(**row)


class CombinedScorer:
    """Runs its component scorers and applies the learned weights; the value is on the target rating's scale."""

    higher_is_better = True

    def __init__(self, model_path: str, components: Mapping[str, Scorer], name: str = "combined",
                 tracking_uri: str | None = None):
        self.name = name
        self.model_path = model_path  # a JSON file, or models:/name/version, models:/name@alias, runs:/id/model
        self.tracking_uri = tracking_uri
        self.components = dict(components)
        self.needs_reference = any(getattr(s, "needs_reference", False) for s in self.components.values())
        self._model: Combination | None = None

    @property
    def model(self) -> Combination:
        if self._model is None:
            path: str | Path = self.model_path
            if path.startswith(("models:/", "runs:/")):
                from evalkit.classifiers.registry import model_artifact

                path = model_artifact(self.model_path, MODEL_ARTIFACT, self.tracking_uri)
            self._model = Combination.load(path)
            scorers = {s.name for s in self.components.values()}
            missing = [f for f in self._model.features if f not in scorers]
            if missing:
                raise ValueError(f"{self.model_path}: the model needs scorers {missing}, "
                                 f"but the combined scorer has only {sorted(scorers)}")
        return self._model

    @property
    def usage(self) -> JudgeUsage:
        """What the judge components cost, summed; without judge components there is no `usage`."""
        found = [s.usage for s in self.components.values() if hasattr(s, "usage")]
        if not found:
            raise AttributeError("usage")
        return JudgeUsage.total(found)

    def use_cache(self, wrap: Callable[[Bot], Bot]) -> None:
        for scorer in self.components.values():
            if hasattr(scorer, "use_cache"):
                scorer.use_cache(wrap)

    def score(self, cases: Sequence[Case], replies: Sequence[Reply]) -> list[Score]:
        model = self.model
        rows: list[dict[str, float | None]] = [{} for _ in cases]
        for scorer in self.components.values():
            if scorer.name in model.features:
                for row, s in zip(rows, scorer.score(cases, replies), strict=True):
                    row[scorer.name] = s.value
        parts = [", ".join(f"{n}={row[n]:.3g}" if row.get(n) is not None else f"{n}=?" for n in model.features)
                 for row in rows]
        return [Score(value, rationale=f"predicted {model.target} from {part}")
                for value, part in zip(model.predict(rows), parts, strict=True)]
