"""The appropriateness recipe's hard negatives really come from the same company (they once came from any)."""

from __future__ import annotations

from evalkit.classifiers.recipes import NO, pairs_from
from tests.classifiers.test_quality import COMPANIES, transcripts


def test_hard_negatives_share_the_conversations_company():
    data = pairs_from(transcripts(), negatives=0, hard_negatives=2, seed=0)
    owner = {reply: company for company, replies in COMPANIES.items() for reply in replies}
    negatives = [(context, text) for context, text, label in zip(data.contexts, data.texts, data.labels, strict=True)
                 if label == NO]
    assert len(negatives) == 12
    for context, text in negatives:
        assert owner[text] in context  # "help with acme issue 1" is answered by another acme reply
