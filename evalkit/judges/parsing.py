"""Judge output → validated verdicts. Tolerant of wrapping (code fences, a preamble), strict on the schema.

A judge answers with one JSON object. Models like to wrap it in ``` fences or put a sentence before it, so the first
JSON object anywhere in the text is taken; but its fields are checked strictly (an integer score in range, a known
winner, a string rationale) because a silently coerced verdict is worse than a recorded judge error.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, StrictInt, StrictStr, ValidationError

Choice = Literal["A", "B", "tie"]


class InvalidJudgeOutput(ValueError):
    """The judge's text holds no verdict that fits the schema; the message says why in a few words."""


@dataclass(frozen=True)
class Rating:
    score: int
    rationale: str


@dataclass(frozen=True)
class Preference:
    winner: Choice
    rationale: str


class _RatingSchema(BaseModel):
    model_config = ConfigDict(extra="ignore")
    score: StrictInt
    rationale: StrictStr


class _PreferenceSchema(BaseModel):
    model_config = ConfigDict(extra="ignore")
    winner: Choice
    rationale: StrictStr


def first_json_object(text: str) -> dict:
    """The first JSON object in the text (inside fences or after a preamble is fine)."""
    decoder = json.JSONDecoder()
    start = text.find("{")
    opened = start >= 0
    while start >= 0:
        try:
            found, _ = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            start = text.find("{", start + 1)
            continue
        if isinstance(found, dict):
            return found
        start = text.find("{", start + 1)
    if opened:
        raise InvalidJudgeOutput("no complete JSON object (truncated or malformed)")
    raise InvalidJudgeOutput("no JSON object in the output")


# The prompts' schema lines show slots as "<one sentence>" and choices as "A" | "B" | "tie": weak models copy them.
_PLACEHOLDER = re.compile(r"^\s*<[^<>]*>\s*$")
_EXAMPLE_CHOICES = re.compile(r'"A"\s*\|\s*"B"')


def _validate(schema: type[BaseModel], text: str) -> BaseModel:
    if _EXAMPLE_CHOICES.search(text):
        raise InvalidJudgeOutput("the answer copies the prompt's example instead of choosing")
    try:
        found = schema.model_validate(first_json_object(text))
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "object"
        raise InvalidJudgeOutput(f"field {where!r}: {first['msg']}") from None
    rationale = getattr(found, "rationale", "")
    if _PLACEHOLDER.match(rationale):
        raise InvalidJudgeOutput(f"field 'rationale': {rationale.strip()!r} is the prompt's placeholder, not a reason")
    return found


def parse_rating(text: str, low: int, high: int) -> Rating:
    """{"score": int in [low, high], "rationale": str}."""
    found = _validate(_RatingSchema, text)
    if not low <= found.score <= high:
        raise InvalidJudgeOutput(f"field 'score': {found.score} is outside {low}..{high}")
    return Rating(score=found.score, rationale=found.rationale.strip())


def parse_preference(text: str) -> Preference:
    """{"winner": "A" | "B" | "tie", "rationale": str}."""
    found = _validate(_PreferenceSchema, text)
    return Preference(winner=found.winner, rationale=found.rationale.strip())
