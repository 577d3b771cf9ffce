"""The classifiers `evalkit train` can fit, as factories (Hydra configs point at them with `_partial_: true`, so
cross-validation gets a fresh, unfitted model per fold)."""

from __future__ import annotations

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from evalkit.classifiers.features import JoinedText, PairFeatures, QualityFeatures, SentenceEmbeddings
from evalkit.classifiers.finetune import TransformersClassifier
from evalkit.classifiers.quality_model import QualityEnsemble
from evalkit.local_models.embeddings import DEFAULT_MODEL


def tfidf_logreg(use_context: bool = False, ngram_max: int = 2, C: float = 10.0,
                 class_weight: str | None = "balanced", max_iter: int = 2000) -> Pipeline:
    """Word and bigram TF-IDF into logistic regression: fast, strong on keyword-heavy tasks like intent."""
    return Pipeline([
        ("text", JoinedText(use_context=use_context)),
        ("tfidf", TfidfVectorizer(sublinear_tf=True, ngram_range=(1, ngram_max), min_df=1)),
        ("clf", LogisticRegression(C=C, class_weight=class_weight, max_iter=max_iter)),
    ])


def embedding_logreg(model: str = DEFAULT_MODEL, use_context: bool = False, C: float = 1.0,
                     class_weight: str | None = "balanced", max_iter: int = 2000, batch_size: int = 64,
                     device: str | None = "auto") -> Pipeline:
    """Sentence embeddings into logistic regression: generalises to paraphrases TF-IDF has never seen."""
    return Pipeline([
        ("embed", SentenceEmbeddings(model=model, use_context=use_context, batch_size=batch_size, device=device)),
        ("clf", LogisticRegression(C=C, class_weight=class_weight, max_iter=max_iter)),
    ])


def pair_logreg(model: str = DEFAULT_MODEL, C: float = 1.0, max_iter: int = 5000, batch_size: int = 64,
                device: str | None = "auto") -> Pipeline:
    """Does the text fit the context: pair features (see PairFeatures) into logistic regression."""
    return Pipeline([
        ("pair", PairFeatures(model=model, batch_size=batch_size, device=device)),
        ("clf", LogisticRegression(C=C, max_iter=max_iter)),
    ])


def quality_logreg(lm: str = "smollm2-135m", model: str = DEFAULT_MODEL, C: float = 0.01, rated_weight: float = 0.75,
                   context_turns: int = 4, max_context_tokens: int = 192, max_reply_tokens: int = 64,
                   batch_size: int = 8, device: str | None = "cpu", max_iter: int = 5000) -> QualityEnsemble:
    """Reference-free reply quality: LM-likelihood and surface features (QualityFeatures), standardised, into one
    strongly regularised logistic head per kind of supervision (rated, synthetic), logits averaged with
    `rated_weight` (evalkit.classifiers.quality_model). A few dozen weights each, so it ships as JSON
    (evalkit.classifiers.quality_head)."""
    features = QualityFeatures(lm=lm, model=model, context_turns=context_turns, max_context_tokens=max_context_tokens,
                               max_reply_tokens=max_reply_tokens, batch_size=batch_size, device=device)
    return QualityEnsemble(features, C=C, rated_weight=rated_weight, max_iter=max_iter)


def finetune(checkpoint: str, epochs: int = 3, learning_rate: float = 5e-5, batch_size: int = 16,
             max_length: int = 128, use_context: bool = False, seed: int = 0,
             device: str | None = "auto") -> TransformersClassifier:
    """A transformers sequence classifier fine-tuned from a local checkpoint."""
    return TransformersClassifier(checkpoint, epochs=epochs, learning_rate=learning_rate, batch_size=batch_size,
                                  max_length=max_length, use_context=use_context, seed=seed, device=device)
