"""Embedding similarity: cosine between the reply and the human reply in a sentence-transformers space.

Paraphrases score high where overlap metrics see nothing in common. Replies and references are encoded in one
batched call, so the cost is the encoder's and nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from evalkit.bots.base import Reply
from evalkit.embeddings import DEFAULT_MODEL, encode
from evalkit.replay import Case
from evalkit.scorers.base import Score
from evalkit.textnorm import normalize_reply


class EmbeddingSimilarity:
    """Cosine in [-1, 1] (in practice 0–1) between reply and reference embeddings."""

    higher_is_better = True
    needs_reference = True

    def __init__(self, name: str = "embedding", model: str = DEFAULT_MODEL, device: str | None = "auto",
                 batch_size: int = 64, normalize: bool = True):
        self.name = name
        self.model = model
        self.device = device
        self.batch_size = batch_size
        self.normalize = normalize

    def score(self, cases: Sequence[Case], replies: Sequence[Reply]) -> list[Score]:
        prep = normalize_reply if self.normalize else str
        references = [prep(case.reference.text) for case in cases]
        candidates = [prep(reply.text or "") for reply in replies]
        vectors = encode(references + candidates, self.model, self.device, self.batch_size)
        if not len(vectors):
            return []
        ref, cand = vectors[: len(cases)], vectors[len(cases):]
        return [Score(float(v)) for v in np.einsum("ij,ij->i", ref, cand)]
