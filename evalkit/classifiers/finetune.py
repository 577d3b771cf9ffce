"""Fine-tune a transformers sequence classifier from a local checkpoint, behind the same fit/predict_proba face
as the scikit-learn pipelines (DataFrame of text and context in, class probabilities out).

A plain training loop rather than transformers.Trainer: the data are small, and Trainer needs accelerate.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evalkit.scorers.classifier import CONTEXT, TEXT

_LABELS_FILE = "evalkit_labels.txt"


class TransformersClassifier:
    def __init__(self, checkpoint: str, epochs: int = 3, learning_rate: float = 5e-5, batch_size: int = 16,
                 max_length: int = 128, use_context: bool = False, seed: int = 0, device: str | None = "auto"):
        self.checkpoint = checkpoint
        self.epochs = epochs
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.max_length = max_length
        self.use_context = use_context
        self.seed = seed
        self.device = device
        self.classes_: np.ndarray = np.array([])
        self._model: Any = None
        self._tokenizer: Any = None

    def _device(self) -> str:
        from evalkit.local_models.device import resolve_device

        return resolve_device(self.device)

    def _encode(self, X: pd.DataFrame) -> dict[str, Any]:
        texts = list(X[TEXT])
        pairs = list(X[CONTEXT]) if self.use_context and CONTEXT in X else None
        # With context the pair is (text, context): truncation cuts the context, never the text being judged.
        encoded = self._tokenizer(texts, pairs, truncation="only_second" if pairs else True,
                                  max_length=self.max_length, padding=True, return_tensors="pt")
        return {k: v.to(self._device()) for k, v in encoded.items()}

    def fit(self, X: pd.DataFrame, y: Sequence[str]) -> TransformersClassifier:
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        torch.manual_seed(self.seed)
        self.classes_ = np.array(sorted({str(v) for v in y}))
        index = {c: i for i, c in enumerate(self.classes_)}
        self._tokenizer = AutoTokenizer.from_pretrained(self.checkpoint)
        if self._tokenizer.pad_token is None:  # GPT-style tokenizers ship without one
            self._tokenizer.pad_token = self._tokenizer.eos_token
        self._model = AutoModelForSequenceClassification.from_pretrained(
            self.checkpoint, num_labels=len(self.classes_), id2label=dict(enumerate(self.classes_)),
            label2id=index).to(self._device())
        self._model.config.pad_token_id = self._tokenizer.pad_token_id
        targets = torch.tensor([index[str(v)] for v in y])
        optimizer = torch.optim.AdamW(self._model.parameters(), lr=self.learning_rate)
        rng = np.random.default_rng(self.seed)
        self._model.train()
        for _ in range(self.epochs):
            order = rng.permutation(len(X))
            for start in range(0, len(order), self.batch_size):
                batch = order[start:start + self.batch_size]
                out = self._model(**self._encode(X.iloc[batch]), labels=targets[batch].to(self._device()))
                optimizer.zero_grad()
                out.loss.backward()
                optimizer.step()
        self._model.eval()
        return self

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        import torch

        if self._model is None:
            raise RuntimeError("TransformersClassifier is not fitted: call fit() or from_pretrained() first")
        rows = []
        with torch.no_grad():
            for start in range(0, len(X), self.batch_size * 2):
                logits = self._model(**self._encode(X.iloc[start:start + self.batch_size * 2])).logits
                rows.append(torch.softmax(logits.float(), dim=-1).cpu().numpy())
        return np.vstack(rows) if rows else np.zeros((0, len(self.classes_)))

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return self.classes_[self.predict_proba(X).argmax(axis=1)]

    def save_pretrained(self, directory: str | Path) -> None:
        directory = Path(directory)
        self._model.save_pretrained(directory)
        self._tokenizer.save_pretrained(directory)
        (directory / _LABELS_FILE).write_text("\n".join(self.classes_) + "\n")

    @classmethod
    def from_pretrained(cls, directory: str | Path, **params: Any) -> TransformersClassifier:
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        self = cls(checkpoint=str(directory), **params)
        self.classes_ = np.array((Path(directory) / _LABELS_FILE).read_text().split("\n")[:-1])
        self._tokenizer = AutoTokenizer.from_pretrained(directory)
        self._model = AutoModelForSequenceClassification.from_pretrained(directory).to(self._device())
        self._model.eval()
        return self

