"""Relevance: does the reply speak to what the customer just said? Cosine between the reply and the customer's
latest message(s) in a sentence-transformers space (the bundled all-MiniLM-L6-v2).

Reference-free, so the human agents' replies are scored on the same yardstick, and a human reply can score as low
as a bot's: a reply about Apple Pay to a question about a late fee is off-topic whoever wrote it. What it cannot
see is whether an on-topic reply is right; that is for the reference-based scorers, the rubric and the judges.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from evalkit.replay import Case
from evalkit.reply import Reply, Score
from evalkit.scorers.embedding import CosineScorer
from evalkit.transcript import Turn


def customer_message(context: Sequence[Turn]) -> str:
    """The customer's turns since the agent last spoke (what the reply answers); "" when there are none."""
    turns: list[str] = []
    for turn in reversed(context):
        if turn.role == "agent":
            break
        if turn.role == "customer":
            turns.append(turn.text)
    return "\n".join(reversed(turns))


@dataclass(eq=False)
class RelevanceScorer(CosineScorer):
    """Cosine in [-1, 1] (in practice 0–0.8) between the reply and the customer's latest message."""

    name: str = "relevance"
    needs_reference = False  # no annotation: a declaration of the class, not a setting

    def score(self, cases: Sequence[Case], replies: Sequence[Reply]) -> list[Score]:
        asked = [customer_message(case.context) for case in cases]
        cosines = self.cosines(asked, [reply.text or "" for reply in replies])
        return [Score(v) if a.strip() else Score(None, rationale="no customer message to answer")
                for a, v in zip(asked, cosines, strict=True)]
