"""Replay: every human agent turn of a transcript becomes a case (teacher-forced, one regenerated turn)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from evalkit.errors import InvalidData, check_choice
from evalkit.transcript import Transcript, Turn

Policy = Literal["all", "final", "first"]
POLICIES: tuple[str, ...] = ("all", "final", "first")


@dataclass(frozen=True)
class Case:
    id: str  # "{transcript_id}:{turn_index}": stable across runs, so caches and comparisons line up
    transcript_id: str
    turn_index: int
    context: tuple[Turn, ...]
    reference: Turn
    slices: Mapping[str, str] = field(default_factory=dict)


def expand(
    transcripts: Iterable[Transcript], policy: Policy = "all", max_context_turns: int | None = None,
    slice_keys: Sequence[str] = (),
) -> Iterator[Case]:
    """Yield the cases of each transcript under the replay policy, in transcript order.

    A case carries the transcript's value of each slice key it has (any metadata key with a plain value).
    """
    check_choice("replay.policy", policy, POLICIES)
    for transcript in transcripts:
        agent_turns = [i for i, turn in enumerate(transcript.turns) if turn.role == "agent"]
        if policy == "final":
            agent_turns = agent_turns[-1:]
        elif policy == "first":
            agent_turns = agent_turns[:1]
        slices = slice_values(transcript, slice_keys)
        for index in agent_turns:
            context = transcript.turns[:index]
            if max_context_turns is not None:
                context = context[-max_context_turns:] if max_context_turns > 0 else ()
            yield Case(id=f"{transcript.id}:{index}", transcript_id=transcript.id, turn_index=index,
                       context=context, reference=transcript.turns[index], slices=slices)


def slice_values(transcript: Transcript, keys: Sequence[str]) -> dict[str, str]:
    values = {}
    for key in keys:
        value = transcript.meta.get(key)
        if value is None:
            continue
        if isinstance(value, Mapping | list | tuple):
            raise InvalidData(f"slices: key {key!r} of transcript {transcript.id!r} holds a "
                              f"{type(value).__name__}; slice by keys with plain values")
        values[key] = str(value)
    return values
