"""What every scorer is and returns."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from evalkit.bots.base import Reply
from evalkit.replay import Case


@dataclass(frozen=True)
class Score:
    value: float | None  # None: the scorer could not judge this reply (see rationale)
    label: str | None = None
    rationale: str | None = None


@runtime_checkable
class Scorer(Protocol):
    name: str
    higher_is_better: bool
    needs_reference: bool

    def score(self, cases: Sequence[Case], replies: Sequence[Reply]) -> list[Score]:
        """One score per (case, reply), in order. Callers pass only replies without errors."""
        ...
