"""Reference-free reply quality from a learned model: P(a rater would call this reply good in this conversation).

The model is handed in (dependency injection, as ClassifierScorer's classifier): a QualityModel, which gives
`predict_quality(frame of text and context) -> one number in [0, 1] per row` and may declare
`predict_with_reasons(frame) -> (numbers, per row what pulled the score down)`, which the rationale then names.
evalkit.classifiers.loading.QualityModelRef loads the trained one (the JSON head shipped in models/quality/, or
`models:/quality/<version>`); tests hand in a stand-in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from evalkit.contract import Scorer, TrainedModel, TrainingProfile
from evalkit.replay import Case
from evalkit.reply import Reply, Score
from evalkit.scorers.classifier import context_text, model_input


class QualityModel(TrainedModel):
    """What the scorer calls; a model derives from it, so its optional members have their defaults."""

    def predict_quality(self, X: Any) -> Sequence[float]:
        raise NotImplementedError

    def predict_with_reasons(self, X: Any) -> tuple[Sequence[float], Sequence[str] | None]:
        """The values and, per row, what pulled it down most; no reasons unless the model can name them."""
        return self.predict_quality(X), None


@dataclass(eq=False)
class QualityScorer(Scorer):
    """One quality value per reply, in [0, 1]; the rationale names the weakest signals when the model can."""

    model: QualityModel
    name: str = "quality"
    context_turns: int | None = None  # the model keeps its own last turns; this trims before it sees them
    needs_reference: bool = False
    scale = (0.0, 1.0)  # a declaration of the class, not a setting

    def score(self, cases: Sequence[Case], replies: Sequence[Reply]) -> list[Score]:
        if not cases:
            return []
        frame = model_input([r.text or "" for r in replies], [context_text(c.context, self.context_turns)
                                                             for c in cases])
        raw, why = self.model.predict_with_reasons(frame)
        values = np.clip(np.asarray(raw, dtype=float), 0.0, 1.0)
        if len(values) != len(cases):
            raise RuntimeError(f"quality model gave {len(values)} values for {len(cases)} replies")
        why = why or [""] * len(cases)
        return [Score(float(v), rationale=f"quality {v:.2f}" + (f"; weakest: {w}" if w else ""))
                for v, w in zip(values, why, strict=True)]

    def training_profile(self) -> TrainingProfile | None:
        return self.model.training_profile()
