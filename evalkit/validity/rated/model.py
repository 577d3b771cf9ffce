"""Rated items: a conversation, an optional reference reply, candidate replies with per-rater ratings per aspect."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from evalkit.replay import Case
from evalkit.reply import Reply
from evalkit.transcript import Turn


@dataclass(frozen=True)
class RatedCandidate:
    id: str
    text: str
    ratings: Mapping[str, Mapping[str, float | None]]  # aspect -> rater -> rating (None: that rater gave none)

    def __post_init__(self) -> None:
        object.__setattr__(self, "ratings", MappingProxyType({a: MappingProxyType(dict(r))
                                                              for a, r in self.ratings.items()}))

    def mean_rating(self, aspect: str) -> float:
        values = [v for v in self.ratings.get(aspect, {}).values() if v is not None]
        return sum(values) / len(values) if values else math.nan


@dataclass(frozen=True)
class RatedItem:
    id: str
    context: tuple[Turn, ...]
    reference: str | None
    candidates: tuple[RatedCandidate, ...]
    meta: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RatedSet:
    name: str
    path: str
    digest: str
    items: tuple[RatedItem, ...]

    @property
    def aspects(self) -> list[str]:
        return list(dict.fromkeys(a for item in self.items for c in item.candidates for a in c.ratings))

    @property
    def rows(self) -> list[tuple[RatedItem, RatedCandidate]]:
        """Every (item, candidate) pair in file order: the unit every score and correlation is computed on."""
        return [(item, candidate) for item in self.items for candidate in item.candidates]

    def as_cases(self) -> tuple[list[Case], list[Reply]]:
        """One case per candidate: the scorers see the candidate as a bot's reply to the item's conversation."""
        cases, replies = [], []
        for item, candidate in self.rows:
            cases.append(Case(id=f"{item.id}:{candidate.id}", transcript_id=item.id, turn_index=len(item.context),
                              context=item.context, reference=Turn("agent", item.reference or ""),
                              slices=dict(item.meta)))
            replies.append(Reply(candidate.text))
        return cases, replies

    def rater_matrix(self, aspect: str) -> tuple[list[str], list[list[float]]]:
        """Raters x candidates (NaN where a rater gave no rating): the reliability data agreement is computed on."""
        raters = list(dict.fromkeys(r for _, c in self.rows for r in c.ratings.get(aspect, {})))
        matrix = [[_num(c.ratings.get(aspect, {}).get(r)) for _, c in self.rows] for r in raters]
        return raters, matrix


def _num(value: float | None) -> float:
    return math.nan if value is None else float(value)
