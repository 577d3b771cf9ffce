"""How every report writes numbers and quotes: one formatter for the console, markdown and HTML alike."""

from __future__ import annotations

import math


def missing(value: float | int | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def num(value: float | int | None, digits: int = 3) -> str:
    """A fixed number of decimals; "–" for a number that does not exist (no scores, an empty slice)."""
    return "–" if missing(value) else f"{value:.{digits}f}"


def signed(value: float | None, digits: int = 3) -> str:
    return "–" if missing(value) else f"{value:+.{digits}f}"


def significant(value: float, digits: int = 3) -> int:
    """Decimals that give `digits` significant digits: chrF (0–100) and ROUGE (0–1) columns stay equally narrow."""
    if missing(value) or value == 0:
        return digits
    return max(0, digits - 1 - math.floor(math.log10(abs(value))))


def ci(mean: float | None, low: float | None, high: float | None, digits: int | None = 3,
       sign: bool = False) -> str:
    """"mean [low, high]"; the mean alone when there is no interval; "–" without a mean.
    digits=None: three significant digits of the mean, for every part."""
    if missing(mean):
        return "–"
    places = significant(mean) if digits is None else digits
    fmt = signed if sign else num
    return fmt(mean, places) if missing(low) else f"{fmt(mean, places)} [{fmt(low, places)}, {fmt(high, places)}]"


def pvalue(p: float) -> str:
    return "–" if missing(p) else (f"{p:.1e}" if p < 1e-3 else f"{p:.3f}")


def percent(ratio: float | None) -> str:
    return "–" if missing(ratio) else f"{ratio * 100:.0f}%"


def quote(text: str, limit: int = 240) -> str:
    """One line of at most `limit` characters: whitespace folded, the cut marked."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
