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
    """

    cacheable = False  # the reply depends on the case's conversation (masked), not on the context alone
    needs_fit = True  # the index is the run's own transcripts

    def __init__(self, name: str = "retrieval", context_turns: int = 3, ngram_max: int = 2):
        self.name = name
        self.context_turns = context_turns
        self.ngram_max = ngram_max
        self._vectorizer: TfidfVectorizer | None = None
        self._matrix = None
        self._replies: list[str] = []
        self._owners: np.ndarray = np.array([], dtype=object)
        self._index_digest = ""

    def fit(self, transcripts: Sequence[Transcript]) -> None:
        cases = list(expand(transcripts, policy="all"))
        if not cases:
            raise InvalidData(f"retrieval bot {self.name!r}: the dataset has no agent turn to index")
        contexts = [context_text(case.context, self.context_turns) for case in cases]
        self._vectorizer = TfidfVectorizer(ngram_range=(1, self.ngram_max), sublinear_tf=True, min_df=1)
        self._matrix = self._vectorizer.fit_transform(contexts)
        self._replies = [case.reference.text for case in cases]
        self._owners = np.array([case.transcript_id for case in cases], dtype=object)
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
        similarity = (queries @ self._matrix.T).toarray()
        own = np.array([case.transcript_id for case in cases], dtype=object)[:, None] == self._owners[None, :]
        similarity[own] = -np.inf
        replies = []
        for row in similarity:
            best = int(np.argmax(row))
            if not np.isfinite(row[best]):
                replies.append(Reply.failed("retrieval index holds no other conversation"))
            else:
                replies.append(Reply(text=self._replies[best]))
        return replies
