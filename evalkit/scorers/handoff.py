"""Did the bot hand the customer over to a human? The backend's flag when it gives one (Reply.handoff), else a
classifier over the reply text (the `handoff_reply` recipe), else no verdict.

1.0 means handed off. Summaries compare these verdicts with the handoffs the cases called for (precision, recall,
missed handoffs): the scorer declares summary = "handoff". A handoff rate has no better direction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from evalkit.contract import Scorer
from evalkit.replay import Case
from evalkit.reply import Reply, Score
from evalkit.scorers.classifier import TextClassifier, context_text, positive_proba


@dataclass(eq=False)
class HandoffScorer(Scorer):
    name: str = "handoff"
    classifier: TextClassifier | None = None  # for replies whose backend gives no flag
    positive: str = "yes"  # the classifier's class that means "hands off"
    threshold: float = 0.5
    context_turns: int | None = 3
    higher_is_better = None  # no annotation: declarations of the class, not settings
    needs_reference = False
    summary = "handoff"
    scale = (0.0, 1.0)

    def score(self, cases: Sequence[Case], replies: Sequence[Reply]) -> list[Score]:
        scores: list[Score | None] = [
            Score(float(r.handoff), label="flag") if r.handoff is not None else None for r in replies]
        unflagged = [i for i, s in enumerate(scores) if s is None]
        if unflagged and self.classifier is not None:
            proba, _ = positive_proba(
                self.classifier, self.positive, [replies[i].text or "" for i in unflagged],
                [context_text(cases[i].context, self.context_turns) for i in unflagged])
            for i, p in zip(unflagged, proba, strict=True):
                scores[i] = Score(float(p >= self.threshold), label="classifier", rationale=f"P(handoff)={p:.2f}")
        return [s or Score(None, rationale="the backend gave no handoff flag and no classifier is configured")
                for s in scores]
