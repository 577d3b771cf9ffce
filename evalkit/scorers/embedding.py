"""Embedding similarity: cosine between the reply and the human reply in a sentence-transformers space.

Paraphrases score high where overlap metrics see nothing in common. Replies and references are encoded in one
batched call, so the cost is the encoder's and nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from evalkit.contract import Scorer
from evalkit.embeddings import DEFAULT_MODEL, pair_cosines
from evalkit.replay import Case
from evalkit.reply import Reply, Score
from evalkit.textnorm import normalize_reply


@dataclass(eq=False)
class EmbeddingSimilarity(Scorer):
    """Cosine in [-1, 1] (in practice 0–1) between reply and reference embeddings."""

    name: str = "embedding"
    model: str = DEFAULT_MODEL  # the bundled all-MiniLM-L6-v2, or any sentence-transformers model by path or name
    device: str | None = "auto"
    batch_size: int = 64
    normalize: bool = True  # drop @handles, links and sign-offs first
    needs_reference = True  # no annotation: declarations of the class, not settings
    scale = (-1.0, 1.0)

    def score(self, cases: Sequence[Case], replies: Sequence[Reply]) -> list[Score]:
        prep = normalize_reply if self.normalize else str
        references = [prep(case.reference.text) for case in cases]
        candidates = [prep(reply.text or "") for reply in replies]
        return [Score(float(v)) for v in pair_cosines(references, candidates, self.model, self.device,
                                                       self.batch_size)]
