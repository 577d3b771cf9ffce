"""scikit-learn transformers from evalkit's model input (a DataFrame of `text` and `context`) to features.

They hold no model weights: sentence encoders come from evalkit.local_models.embeddings' per-process cache on
first use, so a fitted pipeline pickles small and loads fast, and only its TF-IDF vocabularies travel with it.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer

from evalkit.local_models.embeddings import DEFAULT_MODEL, encode
from evalkit.scorers.classifier import CONTEXT, TEXT
from evalkit.textnorm import normalize_reply


def normalized_column(X: pd.DataFrame, name: str) -> list[str]:
    """The `text` or `context` column as the pair models read it (see _column)."""
    return _column(X, name, normalize=True)


def _column(X: pd.DataFrame, name: str, normalize: bool) -> list[str]:
    values = [v if isinstance(v, str) else "" for v in (X[name] if name in X else [""] * len(X))]
    if not normalize:
        return values
    # The context keeps the handles it addresses (which company); the reply loses the customer's handle.
    return [normalize_reply(v, keep_url_words=True, keep_handle_words=name == CONTEXT) for v in values]


class JoinedText(BaseEstimator, TransformerMixin):
    """The text, or context and text joined (a separator token keeps them apart for n-grams), as strings."""

    def __init__(self, use_context: bool = False, normalize: bool = True):
        self.use_context = use_context
        self.normalize = normalize

    def fit(self, X: pd.DataFrame, y=None) -> JoinedText:
        return self

    def transform(self, X: pd.DataFrame) -> list[str]:
        texts = _column(X, TEXT, self.normalize)
        if not self.use_context:
            return texts
        return [f"{c} [SEP] {t}" for c, t in zip(_column(X, CONTEXT, self.normalize), texts, strict=True)]


class SentenceEmbeddings(BaseEstimator, TransformerMixin):
    """Sentence-transformers embeddings of the (joined) text; the encoder loads on first transform."""

    def __init__(self, model: str = DEFAULT_MODEL, use_context: bool = False, normalize: bool = True,
                 batch_size: int = 64, device: str | None = "auto"):
        self.model = model
        self.use_context = use_context
        self.normalize = normalize
        self.batch_size = batch_size
        self.device = device

    def fit(self, X: pd.DataFrame, y=None) -> SentenceEmbeddings:
        return self

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        texts = JoinedText(self.use_context, self.normalize).transform(X)
        return encode(texts, self.model, self.device, self.batch_size)


class PairFeatures(BaseEstimator, TransformerMixin):
    """Does the text fit the context? Features of the pair, not of either side alone:

    - sentence embeddings u (context) and v (text): u*v and |u-v| (which directions agree), and cos(u, v);
    - TF-IDF cosine of words and of character n-grams (shared product names, error codes, help-page words).
    """

    def __init__(self, model: str = DEFAULT_MODEL, normalize: bool = True, batch_size: int = 64,
                 device: str | None = "auto"):
        self.model = model
        self.normalize = normalize
        self.batch_size = batch_size
        self.device = device

    def fit(self, X: pd.DataFrame, y=None) -> PairFeatures:
        corpus = _column(X, CONTEXT, self.normalize) + _column(X, TEXT, self.normalize)
        self.words_ = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), stop_words="english",
                                      min_df=2).fit(corpus)
        self.chars_ = TfidfVectorizer(sublinear_tf=True, analyzer="char_wb", ngram_range=(3, 5),
                                      min_df=2).fit(corpus)
        return self

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        contexts, texts = _column(X, CONTEXT, self.normalize), _column(X, TEXT, self.normalize)
        vectors = encode(contexts + texts, self.model, self.device, self.batch_size)
        u, v = vectors[: len(X)], vectors[len(X):]
        cw, tw = self.words_.transform(contexts), self.words_.transform(texts)
        cc, tc = self.chars_.transform(contexts), self.chars_.transform(texts)
        cosines = np.column_stack([np.einsum("ij,ij->i", u, v), _rowdot(cw, tw), _rowdot(cc, tc)])
        return np.hstack([u * v, np.abs(u - v), cosines])


def _rowdot(a: sparse.csr_matrix, b: sparse.csr_matrix) -> np.ndarray:
    return np.asarray(a.multiply(b).sum(axis=1)).ravel()


QUALITY_SURFACE = ("log_words", "question", "distinct_ratio", "context_overlap", "cos_context", "cos_last_turn")


class QualityFeatures(BaseEstimator, TransformerMixin):
    """Reference-free features of how good a reply is in its conversation (the quality scorer's input):

    - language-model likelihoods (evalkit.classifiers.likelihood): the reply after the conversation and alone, their
      difference (PMI), its length in tokens, and how likely each follow-up of the customer's is after it;
    - surface: words (log), asks a question, share of distinct words (repetition), share of its words already in
      the conversation, MiniLM cosine with the conversation and with its last turn.
    Texts are normalised as PairFeatures does, so handles, sign-offs and link ids say nothing.
    """

    def __init__(self, lm: str = "smollm2-135m", model: str = DEFAULT_MODEL, context_turns: int = 4,
                 max_context_tokens: int = 192, max_reply_tokens: int = 64, batch_size: int = 8,
                 device: str | None = "cpu"):
        self.lm = lm
        self.model = model
        self.context_turns = context_turns
        self.max_context_tokens = max_context_tokens
        self.max_reply_tokens = max_reply_tokens
        self.batch_size = batch_size
        self.device = device

    def _extractor(self):
        from evalkit.classifiers.likelihood import LikelihoodExtractor

        return LikelihoodExtractor(self.lm, self.context_turns, self.max_context_tokens, self.max_reply_tokens,
                                   self.batch_size)

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        return np.asarray([*self._extractor().names, *QUALITY_SURFACE], dtype=object)

    def fit(self, X: pd.DataFrame, y=None) -> QualityFeatures:
        return self

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        from evalkit.classifiers.likelihood import parse_context

        # Line by line: normalising a whole context would join its "role: text" lines into one.
        contexts = ["\n".join(normalize_reply(line, keep_url_words=True, keep_handle_words=True)
                               for line in c.splitlines()) for c in _column(X, CONTEXT, False)]
        texts = _column(X, TEXT, True)
        lm = self._extractor().transform(contexts, texts)
        last = [turns[-1][1] if (turns := parse_context(c)) else "" for c in contexts]
        vectors = encode([*contexts, *last, *texts], self.model, self.device)
        n = len(X)
        if not n:
            return np.zeros((0, len(self.get_feature_names_out())))
        u, w, v = vectors[:n], vectors[n:2 * n], vectors[2 * n:]
        surface = []
        for context, text in zip(contexts, texts, strict=True):
            words = _WORD.findall(text.lower())
            seen = set(_WORD.findall(context.lower()))
            surface.append([np.log1p(len(words)), float("?" in text), len(set(words)) / max(len(words), 1),
                            sum(x in seen for x in words) / max(len(words), 1)])
        cosines = np.column_stack([np.einsum("ij,ij->i", u, v), np.einsum("ij,ij->i", w, v)])
        return np.hstack([lm, np.asarray(surface), cosines])


_WORD = re.compile(r"[a-z0-9']+")
