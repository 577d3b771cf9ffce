"""How deep JSON text nests, read from the raw bytes before any parser sees them.

Python's json recurses once per level (RecursionError near 1,000) and pyarrow's JSON reader has segfaulted on
100,000 levels: a limit is only a limit if it is checked before parsing. Brackets inside strings do not nest, so
strings are blanked first; an unterminated string or a stray backslash can make the count too high, never too low,
and such text is not JSON anyway.
"""

from __future__ import annotations

import re

import numpy as np

# A JSON string up to its closing quote, or up to where it breaks off (newline, end): the optional closing quote
# keeps every match linear, so a hostile line of escaped quotes cannot make the scan quadratic.
_STRING = re.compile(rb'"(?:[^"\\\n]|\\.)*"?')
_STEP = np.zeros(256, dtype=np.int8)
_STEP[[ord("["), ord("{")]] = 1
_STEP[[ord("]"), ord("}")]] = -1


def line_too_deep(text: bytes | str, max_depth: int) -> int | None:
    """The 1-based line where brackets first nest deeper than max_depth, or None when they never do."""
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    if data.count(b"[") + data.count(b"{") <= max_depth:
        return None  # the fast path for nearly every record: text cannot nest deeper than it has openers
    blanked = _STRING.sub(b'""', data)  # strings never span lines, so line numbers survive the blanking
    steps = _STEP[np.frombuffer(blanked, dtype=np.uint8)]
    where = np.flatnonzero(steps)
    depth = np.cumsum(steps[where], dtype=np.int64)
    over = np.flatnonzero(depth > max_depth)
    if not over.size:
        return None
    return blanked.count(b"\n", 0, int(where[over[0]])) + 1
