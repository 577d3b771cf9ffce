"""Rule checks for rubric criteria: each is a scorer whose value is 1.0 (the reply passes) or 0.0 (it fails, and the
rationale says why). A rubric criterion names one as its `check`, like any other scorer (configs/rubric/).

A bad pattern is an error when the check is built, so a typo in a rubric stops the run before any bot is called.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from evalkit.contract import Scorer
from evalkit.errors import InvalidData
from evalkit.replay import Case
from evalkit.reply import Reply, Score
from evalkit.textnorm import REDACTED

# Template slots a bot should have filled: {customer_name}, {{order}}, [ORDER_ID], <ACCOUNT_NUMBER>; not the
# placeholders redaction wrote for personal data (<EMAIL_1>), which stand for text that was there.
DEFAULT_PLACEHOLDERS = (r"\{\{?\s*[A-Za-z_][A-Za-z0-9_]*\s*\}?\}", r"\[[A-Z][A-Z0-9_]{2,}\]",
                        rf"<(?!{REDACTED[1:]})[A-Z][A-Z0-9_]{{2,}}>")
# Commitments a support agent may not make: guaranteed outcomes and fixed times the agent does not control.
DEFAULT_PROMISES = (
    r"\bI (?:can )?(?:guarantee|promise)\b",
    r"\b(?:guaranteed|definitely|certainly) (?:be )?(?:refunded|reversed|waived|approved|removed)\b",
    r"\bwill (?:definitely|certainly|100%) (?:be|get|receive)\b",
    r"\bthis will be (?:fixed|resolved|sorted) (?:today|right away|immediately)\b",
)


def _compile(name: str, patterns: Sequence[str] | str, ignore_case: bool) -> list[re.Pattern[str]]:
    if isinstance(patterns, str):
        patterns = [patterns]
    try:
        return [re.compile(p, re.IGNORECASE if ignore_case else 0) for p in patterns]
    except re.error as err:
        raise InvalidData(f"check {name!r}: bad regex {err.pattern!r}: {err}") from None


def _found(patterns: Sequence[re.Pattern[str]], text: str) -> str | None:
    for pattern in patterns:
        match = pattern.search(text)
        if match:
            return match.group(0)
    return None


def _verdict(failure: str | None) -> Score:
    return Score(1.0) if failure is None else Score(0.0, rationale=failure)


class _Rule(Scorer):
    needs_reference = False
    parity = False  # a check for known failures, not a yardstick: logged human replies pass it as written
    scale = (0.0, 1.0)

    def __init__(self, name: str):
        self.name = name

    def score(self, cases: Sequence[Case], replies: Sequence[Reply]) -> list[Score]:
        return [_verdict(self.failure(reply.text or "")) for reply in replies]

    def failure(self, text: str) -> str | None:
        """Why the reply fails this rule, or None when it passes."""
        raise NotImplementedError


class _Forbidden(_Rule):
    """Fails each reply in which one of the patterns occurs, saying what was found."""

    def __init__(self, name: str, patterns: Sequence[str] | str, ignore_case: bool, describe: Callable[[str], str]):
        super().__init__(name)
        self.patterns = _compile(name, patterns, ignore_case)
        self.describe = describe

    def failure(self, text: str) -> str | None:
        hit = _found(self.patterns, text)
        return self.describe(hit) if hit else None


class Regex(_Rule):
    """Pass when the pattern matches (must_match: true) or when it does not (must_match: false)."""

    def __init__(self, pattern: str | list[str], name: str = "regex", must_match: bool = True,
                 ignore_case: bool = True):
        super().__init__(name)
        self.patterns = _compile(name, pattern, ignore_case)
        self.must_match = must_match

    def failure(self, text: str) -> str | None:
        hit = _found(self.patterns, text)
        if self.must_match:
            return None if hit else "pattern not found"
        return f"matched {hit!r}" if hit else None


class Length(_Rule):
    def __init__(self, name: str = "length", min_words: int | None = None, max_words: int | None = None,
                 min_chars: int | None = None, max_chars: int | None = None):
        if all(v is None for v in (min_words, max_words, min_chars, max_chars)):
            raise InvalidData(f"check {name!r}: a length check needs at least one of min_words, max_words, "
                              "min_chars, max_chars")
        super().__init__(name)
        self.bounds = {"words": (min_words, max_words), "chars": (min_chars, max_chars)}

    def failure(self, text: str) -> str | None:
        sizes = {"words": len(text.split()), "chars": len(text)}
        reason = None
        for unit, (low, high) in self.bounds.items():
            if low is not None and sizes[unit] < low:
                reason = f"{sizes[unit]} {unit} < {low}"
            elif high is not None and sizes[unit] > high:
                reason = f"{sizes[unit]} {unit} > {high}"
        return reason


class Phrases(_Rule):
    """required: at least one of them must appear (all of them with require_all); forbidden: none may."""

    def __init__(self, name: str = "phrases", required: list[str] | None = None, forbidden: list[str] | None = None,
                 require_all: bool = False):
        if not required and not forbidden:
            raise InvalidData(f"check {name!r}: a phrases check needs `required` or `forbidden` phrases")
        super().__init__(name)
        self.required = [p.lower() for p in required or []]
        self.forbidden = [p.lower() for p in forbidden or []]
        self.require_all = require_all

    def failure(self, text: str) -> str | None:
        text = text.lower()
        banned = [p for p in self.forbidden if p in text]
        if banned:
            return f"says {banned[0]!r}"
        present = [p for p in self.required if p in text]
        if self.required and (len(present) < len(self.required) if self.require_all else not present):
            return f"missing {next(p for p in self.required if p not in text)!r}"
        return None


class Placeholder(_Forbidden):
    """Fails on unfilled template slots such as {customer_name} or [ORDER_ID]."""

    def __init__(self, name: str = "placeholder", patterns: list[str] | None = None):
        super().__init__(name, patterns or DEFAULT_PLACEHOLDERS, False, lambda hit: f"leaked {hit}")


class Promise(_Forbidden):
    """Fails on promises the policy forbids (guaranteed refunds, fixed resolution times)."""

    def __init__(self, name: str = "promise", patterns: list[str] | None = None,
                 extra_patterns: list[str] | None = None):
        super().__init__(name, [*(patterns or DEFAULT_PROMISES), *(extra_patterns or [])], True,
                         lambda hit: f"promised {hit!r}")
