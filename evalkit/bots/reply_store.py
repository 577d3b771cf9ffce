"""The reply cache's store: one SQLite file (WAL mode) shared by every process on the machine, replies written one
at a time as they are finished, and claims that let two processes asking for the same replies generate each once.

A claim says "this process is generating this key": another process that misses the same key waits for the reply to
appear instead of generating it again. A claim lapses when its owner stores the reply, gives up on it (a failed
reply is never stored, so it is retried), dies (same machine: its pid is gone), or has stored nothing for
`claim_ttl_s` (any machine).
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path

from evalkit.errors import StorageFailed, os_reason
from evalkit.reply import Reply

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS replies (key TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, reply TEXT NOT NULL, "
    "created REAL NOT NULL)",
    "CREATE TABLE IF NOT EXISTS claims (key TEXT PRIMARY KEY, owner TEXT NOT NULL, host TEXT NOT NULL, "
    "pid INTEGER NOT NULL, touched REAL NOT NULL)",
)
_CHUNK = 500  # SQLite limits the number of parameters per statement


class ReplyStore:
    """Connects on first use; safe to share between processes, and between the threads of one (a bot's event loop
    may report finished replies from its own thread)."""

    def __init__(self, path: str | Path, claim_ttl_s: float = 300.0):
        self.path = Path(path)
        self.claim_ttl_s = claim_ttl_s
        self.owner = uuid.uuid4().hex
        self._connection: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """This process's turn at the file; what SQLite or the OS refuses (a full disk, a read-only or corrupt
        file) is a StorageFailed naming the cache file, not a traceback."""
        with self._lock:
            try:
                yield
            except (sqlite3.OperationalError, sqlite3.DatabaseError) as err:
                raise StorageFailed(self.path, f"the reply cache cannot be used ({err}); move it with cache.path=..."
                                    " or turn it off with cache=off") from err
            except OSError as err:
                raise StorageFailed(self.path, os_reason(err)) from err

    def _db(self) -> sqlite3.Connection:
        if self._connection is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # A generous timeout: parallel sweep jobs writing the same file wait for each other's short writes.
            connection = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=False)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            for statement in _SCHEMA:
                connection.execute(statement)
            self._connection = connection
        return self._connection

    def _chunks(self, keys: Iterable[str]) -> Iterable[list[str]]:
        unique = list(dict.fromkeys(keys))
        for start in range(0, len(unique), _CHUNK):
            yield unique[start:start + _CHUNK]

    def get_many(self, keys: Sequence[str]) -> dict[str, Reply]:
        found: dict[str, Reply] = {}
        with self._locked():
            for chunk in self._chunks(keys):
                rows = self._db().execute(
                    f"SELECT key, reply FROM replies WHERE key IN ({','.join('?' * len(chunk))})", chunk)
                found.update((key, Reply(**json.loads(reply))) for key, reply in rows)
        return found

    def put(self, fingerprint: str, key: str, reply: Reply) -> None:
        """Store one finished reply (failures are not stored: they are retried) and give up its claim."""
        with self._locked():
            db = self._db()
            with db:  # one transaction: a process killed mid-write leaves the previous state
                db.execute("BEGIN IMMEDIATE")
                if reply.ok:
                    db.execute("INSERT OR REPLACE INTO replies (key, fingerprint, reply, created) VALUES (?, ?, ?, ?)",
                               (key, fingerprint, json.dumps(asdict(reply), ensure_ascii=False), time.time()))
                db.execute("DELETE FROM claims WHERE key = ? AND owner = ?", (key, self.owner))
                # Progress keeps this process's other claims fresh, so only a stalled owner's claims lapse.
                db.execute("UPDATE claims SET touched = ? WHERE owner = ?", (time.time(), self.owner))

    def claim(self, keys: Sequence[str]) -> set[str]:
        """Claim the keys nobody is generating and nobody has finished (lapsed claims are taken over); returns the
        keys this process got."""
        now, host, pid = time.time(), socket.gethostname(), os.getpid()
        with self._locked():
            db = self._db()
            with db:
                db.execute("BEGIN IMMEDIATE")
                self._drop_lapsed(db, now)
                for chunk in self._chunks(keys):
                    # A key finished since the caller looked is not claimed: it must not be generated again.
                    db.executemany("INSERT OR IGNORE INTO claims (key, owner, host, pid, touched) SELECT ?, ?, ?, ?, ? "
                                   "WHERE NOT EXISTS (SELECT 1 FROM replies WHERE key = ?)",
                                   [(k, self.owner, host, pid, now, k) for k in chunk])
                mine = set()
                for chunk in self._chunks(keys):
                    mine.update(k for (k,) in db.execute(
                        f"SELECT key FROM claims WHERE owner = ? AND key IN ({','.join('?' * len(chunk))})",
                        [self.owner, *chunk]))
        return mine

    def claimed_by_others(self, keys: Sequence[str]) -> set[str]:
        with self._locked():
            db = self._db()
            with db:
                db.execute("BEGIN IMMEDIATE")
                self._drop_lapsed(db, time.time())
            found = set()
            for chunk in self._chunks(keys):
                found.update(k for (k,) in db.execute(
                    f"SELECT key FROM claims WHERE owner != ? AND key IN ({','.join('?' * len(chunk))})",
                    [self.owner, *chunk]))
        return found

    def release(self, keys: Iterable[str]) -> None:
        with self._locked():
            db = self._db()
            with db:
                db.execute("BEGIN IMMEDIATE")
                for chunk in self._chunks(keys):
                    db.execute(f"DELETE FROM claims WHERE owner = ? AND key IN ({','.join('?' * len(chunk))})",
                               [self.owner, *chunk])

    def _drop_lapsed(self, db: sqlite3.Connection, now: float) -> None:
        db.execute("DELETE FROM claims WHERE touched < ?", (now - self.claim_ttl_s,))
        host = socket.gethostname()
        for owner, pid in db.execute("SELECT DISTINCT owner, pid FROM claims WHERE host = ? AND owner != ?",
                                     (host, self.owner)).fetchall():
            if not _alive(pid):
                db.execute("DELETE FROM claims WHERE owner = ?", (owner,))

    def __len__(self) -> int:
        with self._locked():
            return self._db().execute("SELECT COUNT(*) FROM replies").fetchone()[0]

    def close(self) -> None:
        with self._locked():
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    def __getstate__(self) -> dict:
        # Sweep launchers pickle configs into worker processes; each process opens its own connection and claims.
        return {"path": self.path, "claim_ttl_s": self.claim_ttl_s}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["path"], state["claim_ttl_s"])  # type: ignore[misc]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    return True
