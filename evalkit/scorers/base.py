"""What every scorer is and returns."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from evalkit.bots.base import Reply
from evalkit.replay import Case


@dataclass(frozen=True)
class Score:
    value: float | None  # None: the scorer could not judge this reply (see rationale)
    label: str | None = None
    rationale: str | None = None
    # Sub-scores (a rubric's criteria): logged and summarised as "<scorer>/<part>" beside the scorer's own value.
    parts: Mapping[str, float | None] = field(default_factory=dict)


@runtime_checkable
class Scorer(Protocol):
    name: str
    higher_is_better: bool
    needs_reference: bool

    def score(self, cases: Sequence[Case], replies: Sequence[Reply]) -> list[Score]:
        """One score per (case, reply), in order. Callers pass only replies without errors."""
        ...
