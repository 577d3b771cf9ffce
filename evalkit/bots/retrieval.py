"""Nearest-neighbour baseline: answer with the agent reply that followed the most similar customer context."""

from __future__ import annotations

import hashlib
from array import array
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
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

    Identical (context, reply) entries are one row of the index: support data repeats itself (templated replies,
    copies), and each distinct entry is then compared once. The answer is the one a row per entry would give: the
    best-scoring entry of another conversation, the earliest one on a tie (inverse document frequencies still count
    every entry). The index is built in two passes over the transcripts, never holding them or their contexts.
    """

    cacheable = False  # the reply depends on the case's conversation (masked), not on the context alone
    needs_fit = True  # the index is the run's own transcripts

    def __init__(self, name: str = "retrieval", context_turns: int = 3, ngram_max: int = 2):
        self.name = name
        self.context_turns = context_turns
        self.ngram_max = ngram_max
        self._vectorizer: TfidfVectorizer | None = None
        self._index: _Index | None = None
        self._index_digest = ""

    def fit(self, transcripts: Iterable[Transcript]) -> None:
        """`transcripts` is iterated twice (a dataset's transcripts, a tuple)."""
        analyzer = TfidfVectorizer(ngram_range=(1, self.ngram_max)).build_analyzer()
        frequency: dict[str, int] = defaultdict(int)  # entries holding each term
        rows = _Rows()
        digest = hashlib.sha256()
        for index, (case, context) in enumerate(self._entries(transcripts)):
            for term in set(analyzer(context)):
                frequency[term] += 1
            rows.add(index, case, context)
            digest.update(f"{case.id}\0{context}\0{case.reference.text}\0".encode())
        if not rows.count:
            raise InvalidData(f"retrieval bot {self.name!r}: the dataset has no agent turn to index")
        # What TfidfVectorizer.fit would learn from every entry's context, counted without holding them: the same
        # vocabulary (sorted, as sklearn sorts it) and the same smoothed idf.
        terms = sorted(frequency)
        if not terms:
            raise InvalidData(f"retrieval bot {self.name!r}: the contexts hold no words to index")
        df = np.fromiter((frequency[term] for term in terms), dtype=np.float64, count=len(terms))
        del frequency
        self._vectorizer = TfidfVectorizer(ngram_range=(1, self.ngram_max), sublinear_tf=True,
                                           vocabulary={term: i for i, term in enumerate(terms)})
        self._vectorizer.idf_ = np.log((rows.entries + 1) / (df + 1)) + 1
        # Second pass: each row's context (its first entry's) is vectorised in blocks.
        blocks, block = [], []
        firsts = iter(rows.first)
        first = next(firsts)
        for index, (_, context) in enumerate(self._entries(transcripts)):
            if index == first:
                block.append(context)
                first = next(firsts, -1)
                if len(block) == 4096:
                    blocks.append(self._vectorizer.transform(block))
                    block = []
        if block:
            blocks.append(self._vectorizer.transform(block))
        self._index = rows.index(sparse.vstack(blocks, format="csr").T.tocsr())
        self._index_digest = digest.hexdigest()

    def _entries(self, transcripts: Iterable[Transcript]) -> Iterator[tuple[Case, str]]:
        for case in expand(transcripts, policy="all"):
            yield case, context_text(case.context, self.context_turns)

    def fingerprint(self) -> str:
        return fingerprint_of("retrieval", context_turns=self.context_turns, ngram_max=self.ngram_max,
                              index=self._index_digest)

    def reply_batch(self, cases: Sequence[Case]) -> list[Reply]:
        if self._vectorizer is None or self._index is None:
            raise RuntimeError(f"retrieval bot {self.name!r} has no index: call fit(transcripts) first")
        if not cases:
            return []
        index = self._index
        queries = self._vectorizer.transform([context_text(case.context, self.context_turns) for case in cases])
        replies = []
        # A few queries at a time: the similarities are dense (common words link every context), rows x entries.
        step = max(1, _SIMILARITIES_AT_ONCE // max(1, index.rows))
        for start in range(0, len(cases), step):
            similarity = (queries[start:start + step] @ index.matrix).toarray()
            replies += [index.answer(row, case.transcript_id)
                        for row, case in zip(similarity, cases[start:start + step], strict=True)]
        return replies


_SIMILARITIES_AT_ONCE = 4_000_000  # 32 MB of float64


class _Rows:
    """The distinct (context, reply) rows as the first pass finds them, kept compact: a 16-byte key per row, and
    per row its reply, its first entry and the first entry of another conversation."""

    def __init__(self) -> None:
        self.keys: dict[bytes, int] = {}
        self.replies: dict[str, int] = {}  # reply text -> its code: replies repeat far more than contexts
        self.reply_of = array("i")
        self.first = array("q")  # entry index of the row's first entry
        self.owner = array("i")  # conversation code of the first entry
        self.other = array("q")  # entry index of the row's first entry from another conversation, or -1
        self.conversations: dict[str, int] = {}
        self.entries = 0

    @property
    def count(self) -> int:
        return len(self.first)

    def add(self, index: int, case: Case, context: str) -> None:
        self.entries += 1
        owner = self.conversations.setdefault(case.transcript_id, len(self.conversations))
        key = hashlib.blake2b(f"{context}\0{case.reference.text}".encode(), digest_size=16).digest()
        row = self.keys.setdefault(key, len(self.keys))
        if row == len(self.first):
            self.first.append(index)
            self.owner.append(owner)
            self.other.append(-1)
            self.reply_of.append(self.replies.setdefault(case.reference.text, len(self.replies)))
        elif self.other[row] < 0 and self.owner[row] != owner:
            self.other[row] = index

    def index(self, matrix: sparse.csr_matrix) -> _Index:
        owner = np.frombuffer(self.owner, dtype=np.int32)
        alone = np.frombuffer(self.other, dtype=np.int64) < 0
        by_owner = np.argsort(owner, kind="stable")  # rows only their own conversation holds, by conversation
        lonely = by_owner[alone[by_owner]]
        starts = np.searchsorted(owner[lonely], np.arange(len(self.conversations) + 1))
        return _Index(matrix, list(self.replies), np.frombuffer(self.reply_of, dtype=np.int32),
                      np.frombuffer(self.first, dtype=np.int64), owner, np.frombuffer(self.other, dtype=np.int64),
                      self.conversations, lonely, starts)


@dataclass(frozen=True)
class _Index:
    matrix: sparse.csr_matrix  # terms x rows
    replies: list[str]
    reply_of: np.ndarray  # row -> reply code
    first: np.ndarray  # row -> its first entry
    owner: np.ndarray  # row -> the conversation of its first entry
    other: np.ndarray  # row -> the first entry of another conversation, or -1
    conversations: dict[str, int]
    lonely: np.ndarray  # rows held by one conversation only, grouped by it ...
    starts: np.ndarray  # ... conversation code c's are lonely[starts[c]:starts[c + 1]]

    @property
    def rows(self) -> int:
        return len(self.first)

    def answer(self, similarity: np.ndarray, own_id: str) -> Reply:
        own = self.conversations.get(own_id, -1)
        if own >= 0:
            similarity[self.lonely[self.starts[own]:self.starts[own + 1]]] = -np.inf  # its own entries only
        best = similarity.max()
        if not np.isfinite(best):
            return Reply.failed("retrieval index holds no other conversation")
        tied = np.flatnonzero(similarity == best)
        # The earliest entry of another conversation among the tied rows: what one row per entry would pick.
        entry = np.where(self.owner[tied] == own, self.other[tied], self.first[tied])
        return Reply(text=self.replies[self.reply_of[tied[np.argmin(entry)]]])
