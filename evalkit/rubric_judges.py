"""The rule and classifier judges rubric criteria use (registered by type name in evalkit.rubric.JUDGES).

Each is built from a criterion's YAML parameters, so a typo in a parameter name is a TypeError at load time and
a bad pattern is a re.error: evalkit.rubric turns both into one-line errors naming the file and criterion.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from evalkit.bots.base import Reply
from evalkit.classifiers.data import context_text
from evalkit.classifiers.loading import LazyClassifier
from evalkit.replay import Case
from evalkit.rubric import Verdict

# Template slots a bot should have filled: {customer_name}, {{order}}, [ORDER_ID], <ACCOUNT_NUMBER>.
DEFAULT_PLACEHOLDERS = (r"\{\{?\s*[A-Za-z_][A-Za-z0-9_]*\s*\}?\}", r"\[[A-Z][A-Z0-9_]{2,}\]", r"<[A-Z][A-Z0-9_]{2,}>")
# Commitments a support agent may not make: guaranteed outcomes and fixed times the agent does not control.
DEFAULT_PROMISES = (
    r"\bI (?:can )?(?:guarantee|promise)\b",
    r"\b(?:guaranteed|definitely|certainly) (?:be )?(?:refunded|reversed|waived|approved|removed)\b",
    r"\bwill (?:definitely|certainly|100%) (?:be|get|receive)\b",
    r"\bthis will be (?:fixed|resolved|sorted) (?:today|right away|immediately)\b",
)


def _compile(patterns: Sequence[str] | str, ignore_case: bool) -> list[re.Pattern[str]]:
    if isinstance(patterns, str):
        patterns = [patterns]
    return [re.compile(p, re.IGNORECASE if ignore_case else 0) for p in patterns]


def _found(patterns: Sequence[re.Pattern[str]], text: str) -> str | None:
    for pattern in patterns:
        match = pattern.search(text)
        if match:
            return match.group(0)
    return None


def _forbid(patterns: Sequence[re.Pattern[str]], replies: Sequence[Reply], describe: Callable[[str], str]
            ) -> list[Verdict]:
    """Fail each reply in which one of the patterns occurs, saying what was found."""
    verdicts = []
    for reply in replies:
        hit = _found(patterns, reply.text or "")
        verdicts.append(Verdict(hit is None, describe(hit) if hit else None))
    return verdicts


class RegexJudge:
    """Pass when the pattern matches (must_match: true) or when it does not (must_match: false)."""

    def __init__(self, pattern: str | list[str], must_match: bool = True, ignore_case: bool = True):
        self.patterns = _compile(pattern, ignore_case)
        self.must_match = must_match

    def judge(self, cases: Sequence[Case], replies: Sequence[Reply]) -> list[Verdict]:
        if not self.must_match:
            return _forbid(self.patterns, replies, lambda hit: f"matched {hit!r}")
        return [Verdict(True) if _found(self.patterns, reply.text or "") else Verdict(False, "pattern not found")
                for reply in replies]


class LengthJudge:
    def __init__(self, min_words: int | None = None, max_words: int | None = None, min_chars: int | None = None,
                 max_chars: int | None = None):
        if all(v is None for v in (min_words, max_words, min_chars, max_chars)):
            raise ValueError("a length judge needs at least one of min_words, max_words, min_chars, max_chars")
        self.bounds = {"words": (min_words, max_words), "chars": (min_chars, max_chars)}

    def judge(self, cases: Sequence[Case], replies: Sequence[Reply]) -> list[Verdict]:
        out = []
        for reply in replies:
            text = reply.text or ""
            sizes = {"words": len(text.split()), "chars": len(text)}
            reason = None
            for unit, (low, high) in self.bounds.items():
                if low is not None and sizes[unit] < low:
                    reason = f"{sizes[unit]} {unit} < {low}"
                elif high is not None and sizes[unit] > high:
                    reason = f"{sizes[unit]} {unit} > {high}"
            out.append(Verdict(reason is None, reason))
        return out


class PhrasesJudge:
    """required: at least one of them must appear (all of them with require_all); forbidden: none may."""

    def __init__(self, required: list[str] | None = None, forbidden: list[str] | None = None,
                 require_all: bool = False):
        if not required and not forbidden:
            raise ValueError("a phrases judge needs `required` or `forbidden` phrases")
        self.required = [p.lower() for p in required or []]
        self.forbidden = [p.lower() for p in forbidden or []]
        self.require_all = require_all

    def judge(self, cases: Sequence[Case], replies: Sequence[Reply]) -> list[Verdict]:
        out = []
        for reply in replies:
            text = (reply.text or "").lower()
            banned = [p for p in self.forbidden if p in text]
            present = [p for p in self.required if p in text]
            if banned:
                out.append(Verdict(False, f"says {banned[0]!r}"))
            elif self.required and (len(present) < len(self.required) if self.require_all else not present):
                missing = [p for p in self.required if p not in text]
                out.append(Verdict(False, f"missing {missing[0]!r}"))
            else:
                out.append(Verdict(True))
        return out


class PlaceholderJudge:
    """Fails on unfilled template slots such as {customer_name} or [ORDER_ID]."""

    def __init__(self, patterns: list[str] | None = None):
        self.patterns = _compile(patterns or DEFAULT_PLACEHOLDERS, ignore_case=False)

    def judge(self, cases: Sequence[Case], replies: Sequence[Reply]) -> list[Verdict]:
        return _forbid(self.patterns, replies, lambda hit: f"leaked {hit}")


class PromiseJudge:
    """Fails on promises the policy forbids (guaranteed refunds, fixed resolution times)."""

    def __init__(self, patterns: list[str] | None = None, extra_patterns: list[str] | None = None):
        self.patterns = _compile([*(patterns or DEFAULT_PROMISES), *(extra_patterns or [])], ignore_case=True)

    def judge(self, cases: Sequence[Case], replies: Sequence[Reply]) -> list[Verdict]:
        return _forbid(self.patterns, replies, lambda hit: f"promised {hit!r}")


class ClassifierJudge:
    """Pass when P(positive) from a trained classifier is at least `threshold` (or below it, pass_below: true)."""

    def __init__(self, model: str, threshold: float = 0.5, positive: str = "yes", input: str = "pair",
                 context_turns: int | None = None, pass_below: bool = False, tracking_uri: str | None = None):
        if not 0.0 <= float(threshold) <= 1.0:
            raise ValueError(f"threshold must be within 0..1, got {threshold}")
        if input not in ("pair", "reply"):
            raise ValueError(f"input must be 'pair' or 'reply', not {input!r}")
        self.classifier = LazyClassifier(model, tracking_uri)
        self.threshold = float(threshold)
        self.positive = positive
        self.input = input
        self.context_turns = context_turns
        self.pass_below = pass_below

    def judge(self, cases: Sequence[Case], replies: Sequence[Reply]) -> list[Verdict]:
        contexts = [context_text(c.context, self.context_turns) for c in cases] if self.input == "pair" else None
        proba, _ = self.classifier.positive_proba(self.positive, [r.text or "" for r in replies], contexts)
        out = []
        for p in proba:
            passed = bool(p < self.threshold) if self.pass_below else bool(p >= self.threshold)
            out.append(Verdict(passed, None if passed else f"P({self.positive})={p:.2f}"))
        return out
