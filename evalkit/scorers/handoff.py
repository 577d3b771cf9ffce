"""Did the bot hand the customer over to a human? The backend's flag when it gives one (Reply.handoff), else a
classifier over the reply text (the `handoff_reply` recipe), else no verdict.

1.0 means handed off. evalkit.handoff compares these verdicts with the handoffs the case called for.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from evalkit.bots.base import Reply
from evalkit.classifiers.data import context_text
from evalkit.classifiers.loading import LazyClassifier
from evalkit.replay import Case
from evalkit.scorers.base import Score


class HandoffScorer:
    higher_is_better = True  # neither, really: precision and recall against expectations are the verdict
    needs_reference = False

    def __init__(self, name: str = "handoff", model: str | Any | None = None, positive: str = "yes",
                 threshold: float = 0.5, context_turns: int | None = 3, tracking_uri: str | None = None,
                 store_dir: str = "runs"):
        self.name = name
        self.model = model
        self.classifier = LazyClassifier(model, tracking_uri, store_dir) if model is not None else None
        self.positive = positive
        self.threshold = threshold
        self.context_turns = context_turns

    def score(self, cases: Sequence[Case], replies: Sequence[Reply]) -> list[Score]:
        scores: list[Score | None] = [
            Score(float(r.handoff), label="flag") if r.handoff is not None else None for r in replies]
        unflagged = [i for i, s in enumerate(scores) if s is None]
        if unflagged and self.classifier is not None:
            proba, _ = self.classifier.positive_proba(
                self.positive, [replies[i].text or "" for i in unflagged],
                [context_text(cases[i].context, self.context_turns) for i in unflagged])
            for i, p in zip(unflagged, proba, strict=True):
                scores[i] = Score(float(p >= self.threshold), label="classifier", rationale=f"P(handoff)={p:.2f}")
        return [s or Score(None, rationale="the backend gave no handoff flag and no classifier is configured")
                for s in scores]
