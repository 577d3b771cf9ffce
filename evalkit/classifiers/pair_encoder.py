"""Does this reply fit this conversation: a sentence encoder fine-tuned contrastively on (context, reply) pairs.

Frozen MiniLM features tell companies apart far better than they tell one company's replies apart (a company's
replies share its house style; they differ in which help page they link). Fine-tuning the encoder itself, with
each conversation's true reply ranked against the other replies in the batch and against its own negatives (the
recipe draws most of them from the same company), moves it to read what the customer asked.

The fit/predict_proba face is scikit-learn's (a DataFrame of `text` and `context` in, class probabilities out):
P(fits) is a logistic (Platt) map of the fine-tuned cosine, fitted on the training pairs.
"""

from __future__ import annotations

import json
import logging
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit
from sklearn.linear_model import LogisticRegression

from evalkit.classifiers.features import normalized_column
from evalkit.local_models.device import resolve_device
from evalkit.local_models.embeddings import DEFAULT_MODEL, resolve_model
from evalkit.scorers.classifier import CONTEXT, TEXT

_SETTINGS_FILE = "evalkit_pair_encoder.json"
log = logging.getLogger(__name__)


class PairEncoder:
    def __init__(self, model: str = DEFAULT_MODEL, positive: str = "yes", epochs: int = 5,
                 learning_rate: float = 5e-5, batch_size: int = 16, hard_negatives: int = 2, scale: float = 20.0,
                 max_context_tokens: int = 192, max_reply_tokens: int = 96, seed: int = 0,
                 device: str | None = "auto"):
        self.model = model
        self.positive = positive
        self.epochs = epochs
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.hard_negatives = hard_negatives
        self.scale = scale
        self.max_context_tokens = max_context_tokens
        self.max_reply_tokens = max_reply_tokens
        self.seed = seed
        self.device = device
        self.classes_: np.ndarray = np.array([])
        self._encoder: Any = None
        self._calibration = (1.0, 0.0)  # P(fits) = sigmoid(a * cosine + b)

    def fit(self, X: pd.DataFrame, y: Sequence[str]) -> PairEncoder:
        import torch

        labels = np.asarray([str(v) for v in y])
        self.classes_ = np.array(sorted(set(labels)))
        if self.positive not in self.classes_ or len(self.classes_) != 2:
            raise ValueError(f"PairEncoder needs two classes, one of them {self.positive!r}; got "
                             f"{list(self.classes_)}")
        torch.manual_seed(self.seed)
        contexts, texts = normalized_column(X, CONTEXT), normalized_column(X, TEXT)
        self._encoder = _load(resolve_model(self.model), self.device)
        positives, negatives = _pairs(contexts, labels == self.positive)
        optimizer = torch.optim.AdamW(self._encoder.parameters(), lr=self.learning_rate)
        rng = np.random.default_rng(self.seed)
        self._encoder.train()
        began = time.perf_counter()
        for epoch in range(self.epochs):
            order = rng.permutation(len(positives))
            losses = []
            for start in range(0, len(order), self.batch_size):
                batch = [positives[k] for k in order[start:start + self.batch_size]]
                if len(batch) < 2:
                    continue
                # Candidates: every true reply of the batch, then a few of each context's own negatives.
                # (A negative with the true reply's own text, a template another conversation got too, is dropped.)
                extra = [int(j) for i in batch for j in _sample(negatives[contexts[i]], self.hard_negatives, rng)
                         if texts[j] != texts[i]]
                u = self._embed([contexts[i] for i in batch], self.max_context_tokens)
                v = self._embed([texts[i] for i in batch + extra], self.max_reply_tokens)
                logits = self.scale * u @ v.T
                target = torch.arange(len(batch), device=logits.device)
                # Both directions over the true pairs: each context picks its reply, each reply its context.
                loss = (torch.nn.functional.cross_entropy(logits, target)
                        + torch.nn.functional.cross_entropy(logits[:, :len(batch)].T, target)) / 2
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                losses.append(loss.item())
            # A fit takes minutes on CPU: say how far it is.
            log.info("pair encoder: epoch %d/%d on %d pairs, mean loss %.3f, %.0f s", epoch + 1, self.epochs,
                     len(positives), np.mean(losses) if losses else float("nan"), time.perf_counter() - began)
        self._encoder.eval()
        cosines = self._cosines(contexts, texts)
        platt = LogisticRegression().fit(cosines[:, None], labels == self.positive)
        self._calibration = (float(platt.coef_[0, 0]), float(platt.intercept_[0]))
        return self

    def _embed(self, texts: list[str], max_tokens: int) -> Any:
        import torch

        features = self._encoder.tokenizer(texts, truncation=True, max_length=max_tokens, padding=True,
                                           return_tensors="pt")
        features = {k: v.to(self._encoder.device) for k, v in features.items()}
        return torch.nn.functional.normalize(self._encoder(features)["sentence_embedding"], dim=-1)

    def _cosines(self, contexts: list[str], texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros(0)
        u, v = self._vectors(contexts, self.max_context_tokens), self._vectors(texts, self.max_reply_tokens)
        return np.einsum("ij,ij->i", u, v)

    def _vectors(self, texts: list[str], max_tokens: int, batch_size: int = 64) -> np.ndarray:
        """One embedding per text, each distinct text encoded once: pairs share contexts (every bot's reply to one
        case, a context's negatives) and replies (templates)."""
        import torch

        distinct = list(dict.fromkeys(texts))
        with torch.no_grad():
            vectors = np.vstack([self._embed(distinct[start:start + batch_size], max_tokens).float().cpu().numpy()
                                 for start in range(0, len(distinct), batch_size)])
        row = {text: i for i, text in enumerate(distinct)}
        return vectors[[row[text] for text in texts]]

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        if self._encoder is None:
            raise RuntimeError("PairEncoder is not fitted: call fit() or from_pretrained() first")
        a, b = self._calibration
        p = expit(a * self._cosines(normalized_column(X, CONTEXT), normalized_column(X, TEXT)) + b)
        yes = list(self.classes_).index(self.positive)
        proba = np.empty((len(p), 2))
        proba[:, yes], proba[:, 1 - yes] = p, 1.0 - p
        return proba

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return self.classes_[self.predict_proba(X).argmax(axis=1)]

    def save_pretrained(self, directory: str | Path) -> None:
        directory = Path(directory)
        self._encoder.save(str(directory))
        settings = {"classes": list(self.classes_), "positive": self.positive, "calibration": self._calibration,
                    "max_context_tokens": self.max_context_tokens, "max_reply_tokens": self.max_reply_tokens}
        (directory / _SETTINGS_FILE).write_text(json.dumps(settings, indent=1))

    @classmethod
    def from_pretrained(cls, directory: str | Path, device: str | None = "auto") -> PairEncoder:
        settings = json.loads((Path(directory) / _SETTINGS_FILE).read_text())
        self = cls(model=str(directory), positive=settings["positive"], device=device,
                   max_context_tokens=settings["max_context_tokens"], max_reply_tokens=settings["max_reply_tokens"])
        self.classes_ = np.array(settings["classes"])
        self._calibration = tuple(settings["calibration"])
        self._encoder = _load(str(directory), device)
        self._encoder.eval()
        return self


def _load(path: str, device: str | None) -> Any:
    from sentence_transformers import SentenceTransformer

    encoder = SentenceTransformer(path, device=resolve_device(device))
    # Long texts lose their start: the end of a conversation is what the reply answers (replies mostly fit whole).
    encoder.tokenizer.truncation_side = "left"
    return encoder


def _pairs(contexts: list[str], is_positive: np.ndarray) -> tuple[list[int], dict[str, list[int]]]:
    """The rows of true pairs, and each context's negative rows."""
    negatives: dict[str, list[int]] = defaultdict(list)
    for i in np.flatnonzero(~is_positive):
        negatives[contexts[i]].append(int(i))
    return [int(i) for i in np.flatnonzero(is_positive)], negatives


def _sample(rows: list[int], k: int, rng: np.random.Generator) -> list[int]:
    return list(rng.choice(rows, min(k, len(rows)), replace=False)) if rows and k > 0 else []
