"""The field rules every format shares: ids, texts, yes/no flags, objects, and how a refusal names its record.

No type guessing: a value of the wrong type is an error naming the field, never converted (an id 7 is not '7',
"false" is not a boolean), because a converted value is a silently changed record.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from evalkit.errors import InvalidData, InvalidRecord
from evalkit.loaders.strict_json import SURROGATE_PROBLEM, has_surrogate

MAX_TURN_CHARS = 100_000  # generous: the longest turn in the bundled and shared data has about 500 characters
MAX_DEPTH = 64  # JSON nesting; evalkit's schema needs 4 levels, ABCD's scenarios 6
# Flags evalkit reads as booleans (expected handoffs in results.py, the human bot): a string "false" is truthy.
TURN_FLAGS = ("handoff", "asks_for_human")
CONVERSATION_FLAGS = ("handoff_expected",)
# What renders as nothing: whitespace, control characters, every format character (category Cf: U+00AD,
# U+200B..U+200F, U+2060..U+206F, U+FEFF, ...; tests hold this list to unicodedata) and the other
# default-ignorables (U+034F, Hangul fillers, variation selectors, plane 14 tags). One C-speed regex: it stops at
# the first visible character, so ordinary text costs one step.
_INVISIBLE = re.compile(
    r"[\s\x00-\x1f\x7f-\x9f\u00ad\u034f\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u115f\u1160"
    r"\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0"
    r"\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    r"\U000e0000-\U000e0fff]*"
)


@dataclass(frozen=True)
class Limits:
    """Bounds on one record, set on the loaders (`dataset.max_turn_chars=...`, `dataset.max_depth=...`)."""

    max_turn_chars: int = MAX_TURN_CHARS
    max_depth: int = MAX_DEPTH

    def __post_init__(self) -> None:
        for setting, value in (("max_turn_chars", self.max_turn_chars), ("max_depth", self.max_depth)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise InvalidData(f"dataset.{setting} must be a positive integer, not {value!r}")


@dataclass(frozen=True)
class RecordAt:
    """Which record a refusal is about: file, index and (once it is known to be a valid id) the record's id."""

    file: str
    index: int
    record_id: str | None = None

    def error(self, field_name: str, problem: str) -> InvalidRecord:
        return InvalidRecord(self.file, self.index, self.record_id, field_name, problem)


def type_name(value: Any) -> str:
    """The JSON name of a value's type, as a user who wrote the file would call it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, list | tuple):
        return "list"
    if isinstance(value, datetime | date):
        return "date"  # a Parquet date or timestamp column
    return type(value).__name__


def shown(value: Any, limit: int = 40) -> str:
    """A value quoted in an error: repr keeps it on one line, the cut keeps personal data out of the logs."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}…"


def is_blank(text: str) -> bool:
    """Nothing visible: whitespace, zero-width and other format or control characters (see _INVISIBLE)."""
    return _INVISIBLE.fullmatch(text) is not None


def id_problem(value: Any) -> str | None:
    """What is wrong with an id, or None for a usable one (a non-blank string of valid text)."""
    if type(value) is str and _INVISIBLE.fullmatch(value) is None and not has_surrogate(value):
        return None
    if value is None:
        return "missing"
    if not isinstance(value, str):
        return (f"must be a string, got {type_name(value)} {shown(value)} (ids are never converted: write it as a "
                "JSON string)")
    if is_blank(value):
        return "missing or empty" if not value.strip() else \
            "blank: only invisible characters (zero-width, format or control characters)"
    return SURROGATE_PROBLEM


def text_problem(value: Any, limits: Limits) -> str | None:
    """What is wrong with a turn's text, or None. Every turn passes here, so a good text costs one test and the
    caller names the field only when there is a problem."""
    if (type(value) is str and len(value) <= limits.max_turn_chars and _INVISIBLE.fullmatch(value) is None
            and not has_surrogate(value)):
        return None
    if value is None:
        return "missing"
    if not isinstance(value, str):
        return f"must be a string, got {type_name(value)}"
    if len(value) > limits.max_turn_chars:
        return f"{len(value):,} characters, more than max_turn_chars={limits.max_turn_chars:,}"
    if is_blank(value):
        return "empty text" if not value.strip() else \
            "empty text: only invisible characters (zero-width, format or control characters)"
    return SURROGATE_PROBLEM


def flag_problem(meta: dict[str, Any], names: tuple[str, ...]) -> tuple[str, str] | None:
    """(flag, problem) for the first flag in meta that is not a real boolean, or None."""
    for name in names:
        if name in meta and not isinstance(meta[name], bool):
            value = meta[name]
            return name, f"must be true or false, got {type_name(value)} {shown(value)}"
    return None


def valid_id(value: Any) -> str | None:
    """The value when it is a usable id, else None: to name a record in errors about its other fields."""
    return value if id_problem(value) is None else None


def check_id(value: Any, at: RecordAt, field_name: str) -> str:
    if (problem := id_problem(value)) is not None:
        raise at.error(field_name, problem)
    return value


def check_text(value: Any, at: RecordAt, field_name: str, limits: Limits) -> str:
    if (problem := text_problem(value, limits)) is not None:
        raise at.error(field_name, problem)
    return value


def check_object(value: Any, at: RecordAt, field_name: str) -> dict[str, Any]:
    """An optional object: absent (None) is empty."""
    if value is None:
        return {}
    if not isinstance(value, dict):  # parsed JSON and Arrow rows are dicts; an ABC check costs 5x more
        raise at.error(field_name, f"must be an object, got {type_name(value)}")
    return value


def check_flags(meta: dict[str, Any], names: tuple[str, ...], at: RecordAt, field_name: str) -> None:
    if meta and (flaw := flag_problem(meta, names)):
        raise at.error(f"{field_name}.{flaw[0]}", flaw[1])


def check_label(value: Any, at: RecordAt, field_name: str) -> str | None:
    """An optional label a run slices by (company, intent): a string when present."""
    if value is None:
        return None
    if not isinstance(value, str) or is_blank(value) or has_surrogate(value):
        raise at.error(field_name, f"must be a non-empty string, got {type_name(value)} {shown(value)}")
    return value
