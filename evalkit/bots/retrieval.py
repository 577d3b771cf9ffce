"""Nearest-neighbour baseline: answer with the agent reply that followed the most similar customer context."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from evalkit.bots.fingerprint import fingerprint_of
from evalkit.contract import Bot
from evalkit.errors import InvalidData
from evalkit.replay import Case, expand
from evalkit.reply import Reply
from evalkit.textnorm import normalize_reply
from evalkit.transcript import Transcript, Turn


def context_text(context: Sequence[Turn], last_turns: int) -> str:
    return " ".join(normalize_reply(turn.text) for turn in context[-last_turns:] if turn.role != "system")


class RetrievalBot(Bot):
    """TF-IDF over contexts of past agent turns.

    The index never answers a case with a reply from the conversation being evaluated: entries from the same
    transcript are masked, so indexing the evaluated split itself is leave-one-conversation-out.

    Identical (context, reply) entries are one row of the index, remembering every conversation it came from:
    support data repeats itself (templated replies, copies), and each distinct entry is then compared once. The
    answer is the one a row per entry would give: the best-scoring entry of another conversation, the earliest one
    on a tie (inverse document frequencies still count every entry).
    """

    cacheable = False  # the reply depends on the case's conversation (masked), not on the context alone
    needs_fit = True  # the index is the run's own transcripts

    def __init__(self, name: str = "retrieval", context_turns: int = 3, ngram_max: int = 2):
        self.name = name
        self.context_turns = context_turns
        self.ngram_max = ngram_max
        self._vectorizer: TfidfVectorizer | None = None
        self._matrix = None
        self._replies: list[str] = []  # per row
        self._entries: list[list[tuple[int, str]]] = []  # per row: (entry index, conversation) in index order
        self._rows_of: dict[str, list[int]] = {}  # conversation -> the rows it has an entry in
        self._index_digest = ""

    def fit(self, transcripts: Sequence[Transcript]) -> None:
        cases = list(expand(transcripts, policy="all"))
        if not cases:
            raise InvalidData(f"retrieval bot {self.name!r}: the dataset has no agent turn to index")
        contexts = [context_text(case.context, self.context_turns) for case in cases]
        self._vectorizer = TfidfVectorizer(ngram_range=(1, self.ngram_max), sublinear_tf=True, min_df=1)
        self._vectorizer.fit(contexts)
        rows: dict[tuple[str, str], int] = {}
        self._replies, self._entries, self._rows_of = [], [], {}
        for index, (case, context) in enumerate(zip(cases, contexts, strict=True)):
            row = rows.setdefault((context, case.reference.text), len(rows))
            if row == len(self._entries):
                self._entries.append([])
                self._replies.append(case.reference.text)
            self._entries[row].append((index, case.transcript_id))
            self._rows_of.setdefault(case.transcript_id, []).append(row)
        self._matrix = self._vectorizer.transform([context for context, _ in rows]).T.tocsr()
        digest = hashlib.sha256()
        for case, context in zip(cases, contexts, strict=True):
            digest.update(f"{case.id}\0{context}\0{case.reference.text}\0".encode())
        self._index_digest = digest.hexdigest()

    def fingerprint(self) -> str:
        return fingerprint_of("retrieval", context_turns=self.context_turns, ngram_max=self.ngram_max,
                              index=self._index_digest)

    def reply_batch(self, cases: Sequence[Case]) -> list[Reply]:
        if self._vectorizer is None:
            raise RuntimeError(f"retrieval bot {self.name!r} has no index: call fit(transcripts) first")
        if not cases:
            return []
        queries = self._vectorizer.transform([context_text(case.context, self.context_turns) for case in cases])
        similarity = (queries @ self._matrix).toarray()
        return [self._answer(row, case.transcript_id) for row, case in zip(similarity, cases, strict=True)]

    def _answer(self, similarity: np.ndarray, own: str) -> Reply:
        for row in self._rows_of.get(own, ()):
            if all(owner == own for _, owner in self._entries[row]):
                similarity[row] = -np.inf  # this conversation's own entries are never its answer
        best = similarity.max()
        if not np.isfinite(best):
            return Reply.failed("retrieval index holds no other conversation")
        tied = np.flatnonzero(similarity == best)
        # The earliest entry of another conversation among the tied rows: what one row per entry would pick.
        row = min(tied, key=lambda r: next(i for i, owner in self._entries[r] if owner != own))
        return Reply(text=self._replies[row])
