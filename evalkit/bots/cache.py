"""A persistent reply cache that wraps any bot, so re-runs and resumed runs never pay twice for the same reply.

Key: sha256 of the bot's fingerprint (model, revision, generation parameters), the context (roles and texts) and
the sample index. That assumes the reply depends on the context alone; bots whose reply depends on more (the human
reference, recorded replies keyed by case id, a retrieval index that masks the case's own conversation) declare
`cacheable = False` and are not wrapped. Failed replies are never stored, so they are retried next time.

Stored replies keep the latency, tokens and cost of the call that produced them: summaries describe the bot,
not the cache.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict
from pathlib import Path

from evalkit.contract import Bot, Scorer
from evalkit.replay import Case
from evalkit.reply import Reply
from evalkit.transcript import Transcript

_SCHEMA = """
CREATE TABLE IF NOT EXISTS replies (
    key TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    reply TEXT NOT NULL,
    created REAL NOT NULL
)
"""
_CHUNK = 500  # SQLite limits the number of parameters per statement


class ReplyStore:
    """One SQLite file (WAL mode), safe to share between processes; connects on first use."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._connection: sqlite3.Connection | None = None

    def _db(self) -> sqlite3.Connection:
        if self._connection is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # A generous timeout: parallel sweep jobs writing the same file wait for each other's short writes.
            connection = sqlite3.connect(self.path, timeout=60, isolation_level=None)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute(_SCHEMA)
            self._connection = connection
        return self._connection

    def get_many(self, keys: Sequence[str]) -> dict[str, Reply]:
        found: dict[str, Reply] = {}
        unique = list(dict.fromkeys(keys))
        for start in range(0, len(unique), _CHUNK):
            chunk = unique[start:start + _CHUNK]
            rows = self._db().execute(
                f"SELECT key, reply FROM replies WHERE key IN ({','.join('?' * len(chunk))})", chunk)
            found.update((key, Reply(**json.loads(reply))) for key, reply in rows)
        return found

    def put_many(self, fingerprint: str, replies: Mapping[str, Reply]) -> None:
        now = time.time()
        rows = [(key, fingerprint, json.dumps(asdict(reply), ensure_ascii=False), now)
                for key, reply in replies.items() if reply.ok]
        if not rows:
            return
        db = self._db()
        with db:  # one transaction: a process killed mid-write leaves the previous state
            db.execute("BEGIN IMMEDIATE")
            db.executemany("INSERT OR REPLACE INTO replies (key, fingerprint, reply, created) VALUES (?, ?, ?, ?)",
                           rows)

    def __len__(self) -> int:
        return self._db().execute("SELECT COUNT(*) FROM replies").fetchone()[0]

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def __getstate__(self) -> dict:
        # Sweep launchers pickle configs into worker processes; each process opens its own connection.
        return {"path": self.path, "_connection": None}


def cache_key(fingerprint: str, case: Case, sample_index: int = 0) -> str:
    payload = json.dumps({"fingerprint": fingerprint, "context": [[t.role, t.text] for t in case.context],
                          "sample": sample_index}, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()


class CachedBot(Bot):
    """Any bot behind the store: hits are served from it, the misses go to the bot as one batch.

    `sample_index` tells sampled generations of the same context apart (sample 0, 1, ... of a case).
    """

    def __init__(self, bot: Bot, store: ReplyStore, sample_index: int = 0):
        self.bot = bot
        self.store = store
        self.sample_index = sample_index
        self.name = bot.name
        self.replies_with_reference = bot.replies_with_reference
        self.needs_fit = bot.needs_fit
        self.hits = 0
        self.misses = 0

    def fingerprint(self) -> str:
        return self.bot.fingerprint()

    def fit(self, transcripts: Sequence[Transcript]) -> None:
        self.bot.fit(transcripts)

    def reply_batch(self, cases: Sequence[Case]) -> list[Reply]:
        fingerprint = self.bot.fingerprint()
        keys = [cache_key(fingerprint, case, self.sample_index) for case in cases]
        replies: dict[str, Reply] = self.store.get_many(keys)
        missing = [i for i, key in enumerate(keys) if key not in replies]
        self.hits += len(cases) - len(missing)
        self.misses += len(missing)
        # Cases with the same context (e.g. "hi" opening many conversations) are generated once.
        first_of = {keys[i]: i for i in reversed(missing)}
        if first_of:
            todo = sorted(first_of.values())
            fresh = self.bot.reply_batch([cases[i] for i in todo])
            if len(fresh) != len(todo):
                raise RuntimeError(f"bot {self.name!r} returned {len(fresh)} replies for {len(todo)} cases")
            generated = {keys[i]: reply for i, reply in zip(todo, fresh, strict=True)}
            self.store.put_many(fingerprint, generated)
            replies.update(generated)
        return [replies[key] for key in keys]

    def stats(self) -> dict[str, int]:
        return {"cache_hits": self.hits, "cache_misses": self.misses}


def with_cache(bots: Iterable[Bot], store: ReplyStore | None) -> list[Bot]:
    """Wrap every bot that declares itself cacheable; without a store, the bots as they are."""
    if store is None:
        return list(bots)
    return [cached(bot, store) for bot in bots]


def cached(bot: Bot, store: ReplyStore) -> Bot:
    return CachedBot(bot, store) if bot.cacheable and not isinstance(bot, CachedBot) else bot


def cache_judges(scorers: Iterable[Scorer], store: ReplyStore | None) -> None:
    """Put the bots that scorers call (LLM judges) behind the store too. Re-scoring with the same judge then
    costs no call."""
    if store is None:
        return
    for scorer in scorers:
        scorer.wrap_judges(lambda bot: cached(bot, store))
