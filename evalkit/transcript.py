"""Transcripts: the conversations evalkit replays. Loaders build them; nothing else changes them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal, get_args

Role = Literal["customer", "agent", "system"]
ROLES: tuple[str, ...] = get_args(Role)


def _frozen(mapping: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True)
class Turn:
    role: Role
    text: str
    meta: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "meta", _frozen(self.meta))


@dataclass(frozen=True)
class Transcript:
    id: str
    turns: tuple[Turn, ...]
    meta: Mapping[str, Any] = field(default_factory=dict)  # slices (company, intent, ...) and labels

    def __post_init__(self) -> None:
        object.__setattr__(self, "turns", tuple(self.turns))
        object.__setattr__(self, "meta", _frozen(self.meta))
