"""JSON as evalkit accepts it: stricter than the json module, and every refusal says where it is.

The json module lets through what is not JSON or not text: NaN and Infinity, numbers too large to be finite, an
object holding one key twice (the last silently wins), and `\\ud800`-style escapes that decode to lone surrogates,
which load fine and crash much later when a result is written. The decoder's hooks mark such values; a walk over
a marked value then names the field. Nesting is bounded before the parser runs (evalkit.loaders.nesting).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

from evalkit.loaders.nesting import line_too_deep

_SURROGATE = re.compile("[\ud800-\udfff]")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")  # a valid pair decodes to one character; only a lone one stays
SURROGATE_PROBLEM = "holds a lone surrogate (an unpaired \\ud800-\\udfff escape): not valid Unicode text"


class JsonRefused(Exception):
    """JSON text, or a value in it, that evalkit refuses. `field` is the path inside the value ('' for the text
    itself); `value` is what was parsed, when parsing got that far (so the record's id can still be named)."""

    def __init__(self, problem: str, field: str = "", value: Any = None):
        super().__init__(problem)
        self.problem, self.field, self.value = problem, field, value


@dataclass(frozen=True)
class _Refused:
    """A value the json module accepts and evalkit does not; left in place for first_flaw to find and name."""

    problem: str


class _Duplicated(dict):
    """An object that held one key twice."""

    def __init__(self, pairs: dict[str, Any], key: str):
        super().__init__(pairs)
        self.key = key


def has_surrogate(text: str) -> bool:
    return not text.isascii() and _SURROGATE.search(text) is not None


class StrictJson:
    """The parser of one load. Its hooks mark refused values, so only a marked value (or text with a surrogate
    escape) pays for the walk that finds them: the common case stays at the json module's speed."""

    def __init__(self, max_depth: int):
        self.max_depth = max_depth
        self._marked = False
        self._decoder = json.JSONDecoder(object_pairs_hook=self._object, parse_constant=self._constant,
                                         parse_float=self._float)

    def value(self, text: bytes | str, path: str = "") -> Any:
        """One value (a JSONL line, a CSV cell): JsonRefused names the first refused field under `path`."""
        value, suspect = self._parse(text, lines=False)
        if suspect and (flaw := first_flaw(value, path)):
            raise JsonRefused(flaw[1], flaw[0], value)
        return value

    def document(self, text: bytes | str) -> tuple[Any, bool]:
        """The parsed text, and whether it may hold refused values (first_flaw finds them, per record)."""
        return self._parse(text, lines=True)

    def leading_value(self, text: str) -> tuple[Any, int, bool]:
        """The value text starts with (an element a stream cut out of a document, its nesting already bounded),
        where it ends, and whether it may hold refused values. json.JSONDecodeError says where the text stops being
        JSON, in the text's own characters: the caller knows where the text is in its file."""
        self._marked = False
        try:
            value, end = self._decoder.scan_once(text, 0)
        except StopIteration as err:
            raise json.JSONDecodeError("Expecting value", text, err.value) from None
        except json.JSONDecodeError:
            raise
        except ValueError as err:  # an integer of more digits than Python converts (sys.get_int_max_str_digits)
            raise JsonRefused(f"not valid JSON: {err}") from None
        return value, end, self._marked or ("\\u" in text and _SURROGATE_ESCAPE.search(text, 0, end) is not None)

    def _parse(self, text: bytes | str, lines: bool) -> tuple[Any, bool]:
        line = line_too_deep(text, self.max_depth)
        if line is not None:
            where = f" (line {line})" if line > 1 else ""
            raise JsonRefused(f"nested more than max_depth={self.max_depth} levels deep{where}; refused unparsed")
        if isinstance(text, bytes):
            try:
                text = text.decode("utf-8")
            except UnicodeDecodeError as err:
                raise JsonRefused(f"not valid UTF-8 (byte 0x{text[err.start]:02x} at byte {err.start + 1})") from None
        if text.startswith("\ufeff"):
            raise JsonRefused("starts with a byte order mark (BOM) inside the file")
        self._marked = False
        try:
            value = self._decoder.decode(text)
        except json.JSONDecodeError as err:
            where = f"line {err.lineno}, column {err.colno}" if lines or "\n" in text else f"column {err.colno}"
            raise JsonRefused(f"not valid JSON at {where}: {err.msg}") from None
        except ValueError as err:  # an integer of more digits than Python converts (sys.get_int_max_str_digits)
            raise JsonRefused(f"not valid JSON: {err}") from None
        if isinstance(value, _Refused):  # the whole text is NaN or the like: there is no field to name
            raise JsonRefused(value.problem)
        return value, self._marked or ("\\u" in text and _SURROGATE_ESCAPE.search(text) is not None)

    def _object(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = dict(pairs)
        if len(obj) == len(pairs):
            return obj
        self._marked = True
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                break
            seen.add(key)
        return _Duplicated(obj, key)

    def _constant(self, name: str) -> _Refused:
        self._marked = True
        return _Refused(f"{name} is not valid JSON (numbers must be finite)")

    def _float(self, literal: str) -> float | _Refused:
        number = float(literal)
        if math.isfinite(number):
            return number
        self._marked = True
        return _Refused(f"number {literal[:20]} is too large to be finite")


def own_flaw(obj: dict[str, Any]) -> str | None:
    """What is wrong with an object itself, not its values: a key held twice, or a key that is no valid text."""
    if isinstance(obj, _Duplicated):
        return key_twice(obj.key)
    return next((key_not_text(k) for k in obj if has_surrogate(k)), None)


def key_twice(key: str) -> str:
    return f"holds the key {key[:40]!r} twice (which one is meant would be a guess)"


def key_not_text(key: str) -> str:
    return f"key {key[:40]!r} {SURROGATE_PROBLEM}"


def first_flaw(value: Any, path: str = "") -> tuple[str, str] | None:
    """(field path, problem) of the first refused value inside `value`, or None when it has none."""
    if isinstance(value, str):
        return (path, SURROGATE_PROBLEM) if has_surrogate(value) else None
    if isinstance(value, _Refused):
        return path, value.problem
    if isinstance(value, dict):
        if isinstance(value, _Duplicated):
            return path, own_flaw(value) or ""
        for key, item in value.items():
            inner = f"{path}.{key}" if path else key
            if has_surrogate(key):
                return inner, f"key {SURROGATE_PROBLEM}"
            if flaw := first_flaw(item, inner):
                return flaw
    elif isinstance(value, list):
        for i, item in enumerate(value):
            if flaw := first_flaw(item, f"{path}[{i}]"):
                return flaw
    return None
