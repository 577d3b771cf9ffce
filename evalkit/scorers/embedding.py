"""Embedding similarity: cosine between the reply and the human reply in a sentence-transformers space.

Paraphrases score high where overlap metrics see nothing in common. Replies and references are encoded in one
batched call, so the cost is the encoder's and nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from evalkit.contract import Scorer
from evalkit.local_models.embeddings import DEFAULT_MODEL, pair_cosines
from evalkit.replay import Case
from evalkit.reply import Reply, Score
from evalkit.textnorm import normalize_reply


@dataclass(eq=False)
class CosineScorer(Scorer):
    """What the cosine scorers share: the encoder, where it runs, its batch, and the text clean-up before it."""

    name: str = "cosine"
    model: str = DEFAULT_MODEL  # the bundled all-MiniLM-L6-v2, or any sentence-transformers model by path or name
    device: str | None = "auto"
    batch_size: int = 64
    normalize: bool = True  # drop @handles, links and sign-offs first
    scale = (-1.0, 1.0)  # no annotation: a declaration of the class, not a setting

    def cosines(self, lefts: Sequence[str], rights: Sequence[str]) -> list[float]:
        prep = normalize_reply if self.normalize else str
        return [float(v) for v in pair_cosines([prep(t) for t in lefts], [prep(t) for t in rights], self.model,
                                               self.device, self.batch_size)]


@dataclass(eq=False)
class EmbeddingSimilarity(CosineScorer):
    """Cosine in [-1, 1] (in practice 0–1) between reply and reference embeddings."""

    name: str = "embedding"
    needs_reference = True  # no annotation: a declaration of the class, not a setting

    def score(self, cases: Sequence[Case], replies: Sequence[Reply]) -> list[Score]:
        return [Score(v) for v in self.cosines([c.reference.text for c in cases], [r.text or "" for r in replies])]
