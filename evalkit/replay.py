"""Replay: every human agent turn of a transcript becomes a case (teacher-forced, one regenerated turn)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from evalkit.transcript import SLICE_KEYS, Transcript, Turn

Policy = Literal["all", "final", "first"]


@dataclass(frozen=True)
class Case:
    id: str  # "{transcript_id}:{turn_index}": stable across runs, so caches and comparisons line up
    transcript_id: str
    turn_index: int
    context: tuple[Turn, ...]
    reference: Turn
    slices: Mapping[str, str] = field(default_factory=dict)
    labels: Mapping[str, Any] = field(default_factory=dict)


def expand(
    transcripts: Iterable[Transcript],
    policy: Policy = "all",
    max_context_turns: int | None = None,
    slice_keys: tuple[str, ...] = SLICE_KEYS,
) -> Iterator[Case]:
    """Yield the cases of each transcript under the replay policy, in transcript order."""
    if policy not in ("all", "final", "first"):
        raise ValueError(f"replay policy must be 'all', 'final' or 'first', not {policy!r}")
    for transcript in transcripts:
        agent_turns = [i for i, turn in enumerate(transcript.turns) if turn.role == "agent"]
        if policy == "final":
            agent_turns = agent_turns[-1:]
        elif policy == "first":
            agent_turns = agent_turns[:1]
        slices = {k: str(transcript.meta[k]) for k in slice_keys if transcript.meta.get(k) is not None}
        for index in agent_turns:
            context = transcript.turns[:index]
            if max_context_turns is not None:
                context = context[-max_context_turns:] if max_context_turns > 0 else ()
            yield Case(
                id=f"{transcript.id}:{index}",
                transcript_id=transcript.id,
                turn_index=index,
                context=context,
                reference=transcript.turns[index],
                slices=slices,
                labels=dict(transcript.meta),
            )
