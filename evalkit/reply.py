"""What a bot returns for one case, and what a scorer returns for one reply. A failure is data, not an exception."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


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


@dataclass(frozen=True)
class Score:
    value: float | None  # None: the scorer could not judge this reply (see rationale)
    label: str | None = None
    rationale: str | None = None
    # Sub-scores (a rubric's criteria): logged and summarised as "<scorer>/<part>" beside the scorer's own value.
    parts: Mapping[str, float | None] = field(default_factory=dict)
