"""One quality score learned from several: a linear model over standardized scorer outputs, fitted on human ratings.

The model is a small JSON file (features, their means and scales, weights, intercept, what it was fitted to and its
cross-validated agreement): readable, diffable, no pickle. `evalkit train recipe=combined` writes it (and registers
it in MLflow), as does `evalkit validate fit_combination=true`; the scorer reads it from a file or a registered model.
A component that could not score a reply (a judge error) counts as average for that component, not as zero.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from evalkit.contract import Bot, JudgeUsage, Scorer
from evalkit.errors import InvalidData
from evalkit.replay import Case
from evalkit.reply import Reply, Score

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


class CombinationSource(Protocol):
    def load(self) -> Combination: ...


class CombinationFile:
    """A combination's model file on disk (registered ones: evalkit.classifiers.loading.RegisteredCombination)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    def load(self) -> Combination:
        if not self.path.is_file():
            raise InvalidData(f"{self.path}: no such combination model file")
        return Combination.load(self.path)


class CombinedScorer(Scorer):
    """Runs its component scorers and applies the learned weights; the value is on the target rating's scale."""

    def __init__(self, model: CombinationSource, components: Mapping[str, Scorer], name: str = "combined"):
        self.name = name
        self.source = model
        self.components = dict(components)
        self.needs_reference = any(s.needs_reference for s in self.components.values())
        self._model: Combination | None = None

    @property
    def model(self) -> Combination:
        if self._model is None:
            model = self.source.load()
            scorers = {s.name for s in self.components.values()}
            missing = [f for f in model.features if f not in scorers]
            if missing:
                raise InvalidData(f"combined scorer {self.name!r}: the model needs scorers {missing}, "
                                  f"but its components are only {sorted(scorers)}")
            self._model = model
        return self._model

    def judge_usage(self) -> JudgeUsage | None:
        return JudgeUsage.total(s.judge_usage() for s in self.components.values())

    def wrap_judges(self, wrap: Callable[[Bot], Bot]) -> None:
        for scorer in self.components.values():
            scorer.wrap_judges(wrap)

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
