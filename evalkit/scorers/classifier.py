"""Scorers backed by a trained classifier, loaded by registry URI (`models:/name/version`, `models:/name@alias`)
or local path on first use: the probability of a class (appropriateness), and intent agreement.

Any object with predict_proba on evalkit's model input (a DataFrame of text and context) and classes_ works.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from evalkit.bots.base import Reply
from evalkit.classifiers.data import context_text
from evalkit.classifiers.loading import LazyClassifier
from evalkit.replay import Case
from evalkit.scorers.base import Score


class ClassifierScorer:
    """P(positive class) for each reply, from the reply alone or from (context, reply) pairs.

    With input="pair" the classifier judges the reply in its conversation (appropriateness: does it fit?).
    """

    higher_is_better = True

    def __init__(self, name: str, model: str | Any, positive: str = "yes", input: str = "pair",
                 context_turns: int | None = None, needs_reference: bool = False,
                 tracking_uri: str | None = None, store_dir: str = "runs"):
        if input not in ("pair", "reply"):
            raise ValueError(f"classifier scorer {name!r}: input must be 'pair' or 'reply', not {input!r}")
        self.name = name
        self.classifier = LazyClassifier(model, tracking_uri, store_dir)
        self.positive = positive
        self.input = input
        self.context_turns = context_turns
        self.needs_reference = needs_reference

    def score(self, cases: Sequence[Case], replies: Sequence[Reply]) -> list[Score]:
        if not cases:
            return []
        contexts = [context_text(c.context, self.context_turns) for c in cases] if self.input == "pair" else None
        proba, predicted = self.classifier.positive_proba(self.positive, [r.text or "" for r in replies], contexts)
        return [Score(float(p), label=label) for p, label in zip(proba, predicted, strict=True)]


class IntentAgreement:
    """1 when the reply's predicted intent is the reference's, else 0; the label says which intents."""

    higher_is_better = True
    needs_reference = True

    def __init__(self, model: str | Any, name: str = "intent_agreement", tracking_uri: str | None = None,
                 store_dir: str = "runs"):
        self.name = name
        self.classifier = LazyClassifier(model, tracking_uri, store_dir)

    def score(self, cases: Sequence[Case], replies: Sequence[Reply]) -> list[Score]:
        if not cases:
            return []
        texts = [r.text or "" for r in replies] + [c.reference.text for c in cases]
        proba = self.classifier.predict_proba(texts)
        classes = self.classifier.classes()
        predicted = [classes[i] for i in proba.argmax(axis=1)]
        scores = []
        for reply_intent, reference_intent in zip(predicted[: len(cases)], predicted[len(cases):], strict=True):
            same = reply_intent == reference_intent
            scores.append(Score(float(same), label=f"{reply_intent}/{reference_intent}",
                                rationale=None if same else
                                f"reply reads as {reply_intent!r}, the human reply as {reference_intent!r}"))
        return scores
