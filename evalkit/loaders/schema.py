"""evalkit's own transcript schema (datasets/README.md): one record's parts validated into a Transcript."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from evalkit.errors import InvalidRecord
from evalkit.transcript import ROLES, Transcript, Turn


def build_transcript(
    raw_id: Any, raw_turns: Any, raw_meta: Any, *, file: str, index: int, turns_field: str = "turns"
) -> Transcript:
    """Validate one record's parts and build the transcript, or raise InvalidRecord naming the field."""
    record_id = None if raw_id is None else str(raw_id)

    def bad(field_name: str, problem: str) -> InvalidRecord:
        return InvalidRecord(file, index, record_id, field_name, problem)

    if record_id is None or not record_id.strip():
        raise bad("id", "missing or empty")
    if not isinstance(raw_turns, list) or not raw_turns:
        raise bad(turns_field, "must be a non-empty list of turns")
    if raw_meta is not None and not isinstance(raw_meta, Mapping):
        raise bad("meta", f"must be an object, got {type(raw_meta).__name__}")
    turns = []
    for i, raw in enumerate(raw_turns):
        if not isinstance(raw, Mapping):
            raise bad(f"{turns_field}[{i}]", f"must be an object, got {type(raw).__name__}")
        role, text, meta = raw.get("role"), raw.get("text"), raw.get("meta")
        if role is None:
            raise bad(f"{turns_field}[{i}].role", "missing")
        if role not in ROLES:
            raise bad(f"{turns_field}[{i}].role", f"unknown role {role!r} (expected one of {', '.join(ROLES)})")
        if text is None:
            raise bad(f"{turns_field}[{i}].text", "missing")
        if not isinstance(text, str):
            raise bad(f"{turns_field}[{i}].text", f"must be a string, got {type(text).__name__}")
        if not text.strip():
            raise bad(f"{turns_field}[{i}].text", "empty text")
        if meta is not None and not isinstance(meta, Mapping):
            raise bad(f"{turns_field}[{i}].meta", f"must be an object, got {type(meta).__name__}")
        turns.append(Turn(role=role, text=text, meta=meta or {}))
    return Transcript(id=record_id, turns=tuple(turns), meta=raw_meta or {})
