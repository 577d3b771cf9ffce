"""evalkit's own transcript schema (datasets/README.md): one record, already parsed, validated into a Transcript."""

from __future__ import annotations

from typing import Any

from evalkit.loaders.fields import (
    CONVERSATION_FLAGS,
    TURN_FLAGS,
    Limits,
    RecordAt,
    check_flags,
    check_object,
    flag_problem,
    id_problem,
    shown,
    text_problem,
    type_name,
)
from evalkit.transcript import ROLES, Transcript, Turn

_TURN_KEYS = frozenset({"role", "text", "meta"})


def build_transcript(record: Any, file: str, index: int, limits: Limits) -> Transcript:
    """Validate one record ({id, turns, meta}) and build the transcript, or raise InvalidRecord naming the field.
    It runs once per record and turn of every file, so field names are only formatted for an error."""
    if not isinstance(record, dict):
        raise RecordAt(file, index).error("(record)", f"must be an object, got {type_name(record)}")
    record_id = record.get("id")
    if (problem := id_problem(record_id)) is not None:
        raise RecordAt(file, index).error("id", problem)
    at = RecordAt(file, index, record_id)
    raw_turns = record.get("turns")
    if not isinstance(raw_turns, list) or not raw_turns:
        got = "" if raw_turns is None or isinstance(raw_turns, list) else f", got {type_name(raw_turns)}"
        raise at.error("turns", f"must be a non-empty list of turns{got}")
    meta = check_object(record.get("meta"), at, "meta")
    check_flags(meta, CONVERSATION_FLAGS, at, "meta")
    return Transcript(record_id, tuple([_turn(raw, at, i, limits) for i, raw in enumerate(raw_turns)]), meta)


def _turn(raw: Any, at: RecordAt, i: int, limits: Limits) -> Turn:
    if not isinstance(raw, dict):
        raise at.error(f"turns[{i}]", f"must be an object, got {type_name(raw)}")
    if not raw.keys() <= _TURN_KEYS:
        # A misplaced key (a turn's "handoff" outside its meta) would otherwise be silently ignored.
        unknown = sorted(map(str, raw.keys() - _TURN_KEYS))
        raise at.error(f"turns[{i}].{unknown[0][:40]}",
                       "unknown field (a turn has role, text and meta; facts go in meta)")
    role = raw.get("role")
    if role not in ROLES:
        raise at.error(f"turns[{i}].role", "missing" if role is None else
                       f"unknown role {shown(role)} (expected one of {', '.join(ROLES)})")
    text = raw.get("text")
    if (problem := text_problem(text, limits)) is not None:
        raise at.error(f"turns[{i}].text", problem)
    meta = raw.get("meta")
    if meta is None:  # most turns have none
        return Turn(role, text)
    if not isinstance(meta, dict):
        raise at.error(f"turns[{i}].meta", f"must be an object, got {type_name(meta)}")
    if meta and (flaw := flag_problem(meta, TURN_FLAGS)):
        raise at.error(f"turns[{i}].meta.{flaw[0]}", flaw[1])
    return Turn(role, text, meta)
