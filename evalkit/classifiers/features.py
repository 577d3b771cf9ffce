"""scikit-learn transformers from evalkit's model input (a DataFrame of `text` and `context`) to features.

They hold no model weights: sentence encoders come from evalkit.embeddings' per-process cache on first use, so a
fitted pipeline pickles small and loads fast, and only its TF-IDF vocabularies travel with it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer

from evalkit.embeddings import DEFAULT_MODEL, encode
from evalkit.scorers.classifier import CONTEXT, TEXT
from evalkit.textnorm import normalize_reply


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
