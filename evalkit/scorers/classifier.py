"""Scorers backed by a trained text classifier: the probability of a class (appropriateness), intent agreement.

The classifier is any object with scikit-learn's face on evalkit's model input (`predict_proba` on a DataFrame of
`text` and `context`, and `classes_`): a fitted Pipeline as is, or evalkit.classifiers.loading.LazyClassifier,
which loads a registered model (`models:/name/version`) or a file on first use. Configs build it and hand it in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import numpy as np

from evalkit.contract import Scorer, TrainedModel, TrainingProfile
from evalkit.errors import InvalidData, check_choice
from evalkit.replay import Case
from evalkit.reply import Reply, Score
from evalkit.transcript import Turn

TEXT, CONTEXT = "text", "context"
Input = Literal["pair", "reply"]


class TextClassifier(Protocol):
    @property
    def classes_(self) -> Sequence[Any]: ...

    def predict_proba(self, X: Any) -> Any: ...


def model_input(texts: Sequence[str], contexts: Sequence[str] | None = None) -> Any:
    """What every classifier's predict/predict_proba takes: a DataFrame with `text` and `context` columns."""
    import pandas as pd

    return pd.DataFrame({TEXT: list(texts), CONTEXT: list(contexts) if contexts is not None else [""] * len(texts)})


def context_text(turns: Sequence[Turn], last_turns: int | None = None) -> str:
    """The conversation so far as classifiers see it: "role: text" lines, the last `last_turns` of them."""
    kept = list(turns)[-last_turns:] if last_turns else list(turns)
    return "\n".join(f"{turn.role}: {turn.text}" for turn in kept)


def positive_proba(classifier: TextClassifier, positive: str, texts: Sequence[str],
                   contexts: Sequence[str] | None = None) -> tuple[np.ndarray, list[str]]:
    """P(positive) per text, and the most likely class per text."""
    classes = [str(c) for c in classifier.classes_]
    if positive not in classes:
        raise InvalidData(f"class {positive!r} is not among the classifier's classes {classes}")
    proba = np.asarray(classifier.predict_proba(model_input(texts, contexts)))
    return proba[:, classes.index(positive)], [classes[i] for i in proba.argmax(axis=1)]


@dataclass(eq=False)
class ClassifierScorer(Scorer):
    """P(positive class) for each reply, from the reply alone or from (context, reply) pairs.

    With input="pair" the classifier judges the reply in its conversation (appropriateness: does it fit?).
    """

    classifier: TextClassifier
    name: str = "classifier"
    positive: str = "yes"
    input: Input = "pair"
    context_turns: int | None = None
    needs_reference: bool = False
    scale = (0.0, 1.0)  # no annotation: a declaration of the class, not a setting

    def __post_init__(self) -> None:
        check_choice(f"classifier scorer {self.name!r}: input", self.input, ("pair", "reply"))

    def score(self, cases: Sequence[Case], replies: Sequence[Reply]) -> list[Score]:
        if not cases:
            return []
        contexts = [context_text(c.context, self.context_turns) for c in cases] if self.input == "pair" else None
        proba, predicted = positive_proba(self.classifier, self.positive, [r.text or "" for r in replies], contexts)
        return [Score(float(p), label=label, rationale=f"P({self.positive})={p:.2f}")
                for p, label in zip(proba, predicted, strict=True)]

    def training_profile(self) -> TrainingProfile | None:
        # A registered model knows the run it was trained in; an estimator handed in as it is does not.
        if not isinstance(self.classifier, TrainedModel):
            return None
        profile = self.classifier.training_profile()
        return profile if profile is not None and profile.positive == self.positive else None


class IntentAgreement(Scorer):
    """1 when the reply's predicted intent is the reference's, else 0; the label says which intents."""

    needs_reference = True
    scale = (0.0, 1.0)

    def __init__(self, classifier: TextClassifier, name: str = "intent_agreement"):
        self.name = name
        self.classifier = classifier

    def score(self, cases: Sequence[Case], replies: Sequence[Reply]) -> list[Score]:
        if not cases:
            return []
        texts = [r.text or "" for r in replies] + [c.reference.text for c in cases]
        proba = np.asarray(self.classifier.predict_proba(model_input(texts)))
        classes = [str(c) for c in self.classifier.classes_]
        predicted = [classes[i] for i in proba.argmax(axis=1)]
        scores = []
        for reply_intent, reference_intent in zip(predicted[: len(cases)], predicted[len(cases):], strict=True):
            same = reply_intent == reference_intent
            scores.append(Score(float(same), label=f"{reply_intent}/{reference_intent}",
                                rationale=None if same else
                                f"reply reads as {reply_intent!r}, the human reply as {reference_intent!r}"))
        return scores
