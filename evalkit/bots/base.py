"""What every bot is and returns. A failed reply is data, not an exception."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from evalkit.replay import Case


@dataclass(frozen=True)
class Reply:
    text: str | None
    latency_s: float = 0.0
    error: str | None = None  # e.g. "TimeoutError after 30 s, 3 attempts"; text is None then
    handoff: bool | None = None  # None: the backend said nothing about handing off
    tokens_in: int | None = None
    tokens_out: int | None = None
    cost: float | None = None
    attempts: int = 1

    @property
    def ok(self) -> bool:
        return self.error is None

    @classmethod
    def failed(cls, error: str, **kwargs: Any) -> Reply:
        return cls(text=None, error=error, **kwargs)


@runtime_checkable
class Bot(Protocol):
    """A candidate (or baseline) replying to replayed conversations, one batch at a time."""

    name: str

    def fingerprint(self) -> str:
        """Stable hash of everything that determines the bot's output (model, revision, parameters)."""
        ...

    def reply_batch(self, cases: Sequence[Case]) -> list[Reply]:
        """One reply per case, in order; per-case failures come back as `Reply.failed`."""
        ...


def fingerprint_of(kind: str, **params: Any) -> str:
    """Hash a bot's identifying parameters; same parameters, same fingerprint, across processes."""
    payload = json.dumps({"kind": kind, **params}, sort_keys=True, default=str)
    return f"{kind}-{hashlib.sha256(payload.encode()).hexdigest()[:16]}"
