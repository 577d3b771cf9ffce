"""A JSON document read a block at a time: the elements of its arrays one by one, so a file of 100k conversations
is never in memory whole, yet it is refused exactly as parsing it whole would refuse it.

Ahead of the parser, every block is scanned over its raw bytes (numpy, like evalkit.loaders.nesting): unescaped
quotes tell strings apart, brackets outside strings give the depth (from the document's root, refused beyond
max_depth before any parser sees it) and where each value ends: the next `,`, `]` or `}` at its container's depth.
An element is parsed alone (StrictJson, the json module's C scanner) once the scan has found its end, and the
container's own syntax is checked here with the json module's messages, so an error names the line and column
json.loads would name.

Problems rank as the whole-document parse ranks them: nesting too deep anywhere, then bytes that are no UTF-8
anywhere, then the first syntax error, then a format's own (ABCD's object of splits). One found mid-file is raised
once the rest of the file is known to hold nothing that outranks it; a record a format refuses is not this
module's business (evalkit.loaders.passes makes it wait for the rest of the document under on_error=raise).
"""

from __future__ import annotations

import bisect
import codecs
import json
import re
from collections.abc import Iterator
from json.decoder import scanstring
from typing import Any, NoReturn

import numpy as np

from evalkit.errors import InvalidData
from evalkit.loaders.source import SourceFile
from evalkit.loaders.strict_json import JsonRefused, StrictJson

BLOCK_SIZE = 4 << 20  # bytes read at a time (tests make it small to cut elements and characters across blocks)
FORMAT_PROBLEM = 3  # the first rank a format's own problems may take: below every JSON problem
_DEPTH, _UTF8, _SYNTAX = 0, 1, 2
_WHITESPACE = " \t\n\r"  # JSON's whitespace (str.isspace would take more)
_NOT_WHITESPACE = re.compile(rb"[^ \t\n\r]")
_MARGIN = 8  # an error this close to where a cut-off text ends may be the cut's, not the file's (\\uXXXX is 6)
_FIRST_TRY = 4  # a value still open after this many blocks is parsed as far as it goes: a broken file fails early
_QUOTE, _BACKSLASH = ord('"'), ord("\\")
_STEP = np.zeros(256, dtype=np.int8)
_STEP[[ord("["), ord("{")]] = 1
_STEP[[ord("]"), ord("}")]] = -1
_STRUCTURAL = np.zeros(256, dtype=bool)
_STRUCTURAL[[ord(c) for c in "[]{},"]] = True


class JsonStream:
    """One document, from its start: `first()` tells what it holds; `elements()` yields an array's elements,
    `members()` an object's keys (each value then read with `elements()` or `value()`); `end()` checks what follows
    and raises the worst problem noted. Every problem is InvalidData naming the file, line and column."""

    def __init__(self, source: SourceFile, file: str, parser: StrictJson):
        self._source, self._file, self._parser, self._max_depth = source, file, parser, parser.max_depth
        source.skip_bom()
        self._window = b""  # the document from byte _base on: the parse position and what the scan read ahead
        self._base = 0  # offsets count from the document's start, after the BOM, as the whole-file parse did
        self._pos = 0  # the parse position, in the window
        self._level = 0  # containers open at the parse position
        self._eof = False
        # What the window has cut off, for messages: newlines before it, characters before it, and the character
        # index just after its last newline (columns count characters, as the json module's do).
        self._lines = self._chars = self._line_start = 0
        # The scan: how far into the window, its state there, and per scanned block the positions of `,` `]` `}`
        # outside strings with the depth before each (and, per depth asked for, those at that depth).
        self._scanned, self._in_string, self._depth = 0, False, 0
        self._ends: list[_Ends] = []
        self._undecoded = b""  # the bytes of a character cut by a block's end, validated with the next block
        self._problems: list[tuple[int, str]] = []
        self._draining = False  # a problem was found: only reading on for one that outranks it
        self._more()

    # --- what the document holds ----------------------------------------------------------------------------------

    def first(self) -> str:
        """The document's first character after whitespace ('' when there is none)."""
        self._skip_whitespace()
        return self._peek()

    def elements(self) -> Iterator[tuple[Any, bool]]:
        """Each element of the array at the parse position, and whether it may hold refused values (see
        strict_json.first_flaw). After the last, the position is past the closing bracket."""
        self._pos += 1  # the '['
        self._level += 1
        self._skip_whitespace()
        if self._peek() == "]":
            self._pos += 1
            self._level -= 1
            return
        while True:
            yield self._value()
            if self._closed_after_item("]"):
                return

    def members(self) -> Iterator[str]:
        """Each key of the object at the parse position; after each, the caller reads its value (`elements()` when
        `first()` is '[', else `value()`). After the last, the position is past the closing brace."""
        self._pos += 1  # the '{'
        self._level += 1
        self._skip_whitespace()
        if self._peek() == "}":
            self._pos += 1
            self._level -= 1
            return
        while True:
            if self._peek() != '"':
                self._syntax("Expecting property name enclosed in double quotes")
            key = self._key()
            self._skip_whitespace()
            if self._peek() != ":":
                self._syntax("Expecting ':' delimiter")
            self._pos += 1
            self._skip_whitespace()
            yield key
            self._skip_whitespace()
            if self._closed_after_item("}"):
                return

    def _closed_after_item(self, closer: str) -> bool:
        """After an element or member: past the container's closing bracket (True), or past the comma and the
        whitespace before the next item (False); anything else is the syntax error json names."""
        nxt = self._peek()
        if nxt == closer:
            self._pos += 1
            self._level -= 1
            return True
        if nxt != ",":
            self._syntax("Expecting ',' delimiter")
        self._pos += 1
        self._skip_whitespace()
        return False

    def value(self) -> tuple[Any, bool]:
        """The whole value at the parse position (inside a container), and whether it may hold refused values."""
        return self._value()

    def note(self, rank: int, problem: str) -> None:
        """A format's own problem (rank FORMAT_PROBLEM or more): raised by `end()` unless a worse one comes first."""
        self._problems.append((rank, problem))

    def end(self) -> None:
        """After the document's value: only whitespace may follow. Raises the worst problem noted."""
        self._skip_whitespace()
        if self._peek():
            self._syntax("Extra data")
        if self._problems:
            raise self._error()

    # --- values ---------------------------------------------------------------------------------------------------

    def _value(self) -> tuple[Any, bool]:
        """Parse the value at the parse position; the position moves to the `,` or bracket after it."""
        end = self._value_end()
        start = self._pos
        text = self._text(start, len(self._window) if end is None else end)
        value, stop, suspect = self._parse(text, start)
        rest = text[stop:]
        if extra := len(rest) - len(rest.lstrip(_WHITESPACE)):
            stop += extra
        if stop < len(text):  # the scan ends the value later than the parser does: what lies between is no JSON
            self._syntax("Expecting ',' delimiter", start, text, stop)
        self._pos = len(self._window) if end is None else end
        return value, suspect

    def _value_end(self) -> int | None:
        """Where the value at the parse position ends (its container's next `,` or closing bracket), reading as
        much as it takes; None when the document ends first. A value still open after a few blocks is parsed as far
        as it goes, then at each doubling: a file broken early (a stray quote makes strings of everything after it)
        is refused early, not read into memory to its end."""
        try_at = _FIRST_TRY * BLOCK_SIZE
        while True:
            end = self._end_at(self._base + self._pos, self._level)
            if end is not None:
                return end - self._base
            if self._eof:
                return None
            if self._scanned - self._pos >= try_at:
                self._try_parse()
                try_at *= 2
            self._more()

    def _try_parse(self) -> None:
        """Parse a value the scan has not seen end: an error well inside what has been read is the file's."""
        text = self._text(self._pos, self._scanned, final=False)
        try:
            _, stop, _ = self._parser.leading_value(text)
        except json.JSONDecodeError as err:
            if err.pos < len(text) - _MARGIN and not err.msg.startswith("Unterminated string"):
                self._syntax(err.msg, self._pos, text, err.pos)
            return
        except JsonRefused:
            return  # a number of too many digits may only look so, cut off
        rest = text[stop:].lstrip(_WHITESPACE)
        if rest:  # a whole value followed by what the scan would have ended it with, were it `,` or a bracket
            self._syntax("Expecting ',' delimiter", self._pos, text, len(text) - len(rest))

    def _parse(self, text: str, start: int) -> tuple[Any, int, bool]:
        try:
            return self._parser.leading_value(text)
        except json.JSONDecodeError as err:
            self._syntax(err.msg, start, text, err.pos)
        except JsonRefused as err:
            self._fail(_SYNTAX, err.problem)

    def _key(self) -> str:
        """The object key at the parse position (a string: its quote is there), read as far as it takes."""
        size = 256
        while True:
            stop = min(self._scanned, self._pos + size)
            text = self._text(self._pos, stop, final=self._eof and stop == len(self._window))
            try:
                key, end = scanstring(text, 1, True)
            except json.JSONDecodeError as err:
                cut = stop < len(self._window) or not self._eof
                if cut and (err.pos >= len(text) - _MARGIN or err.msg.startswith("Unterminated string")):
                    if stop == self._scanned:
                        self._more()
                    size *= 2
                    continue
                self._syntax(err.msg, self._pos, text, err.pos)
            self._pos += len(text[:end].encode("utf-8"))
            return key

    def _text(self, start: int, stop: int, final: bool = True) -> str:
        """The window's bytes as text (validated as they were read); a character cut by `stop` is left out when not
        final."""
        text, _ = codecs.utf_8_decode(self._window[start:stop], "strict", final)
        return text

    # --- reading and scanning -------------------------------------------------------------------------------------

    def _more(self) -> None:
        """Read the next block into the window (dropping what was parsed) and scan it; at the end, scan the rest."""
        self._trim()
        block = self._source.read(BLOCK_SIZE)
        self._eof = not block
        self._window += block
        self._scan(final=self._eof)  # first: nesting too deep outranks bytes that are no UTF-8
        if not any(rank == _UTF8 for rank, _ in self._problems):
            self._check_utf8(block, final=self._eof)

    def _trim(self) -> None:
        """Drop the window's bytes before the parse position, keeping count of their lines and characters."""
        cut = min(self._pos, self._scanned)
        if not cut:
            return
        window = self._window
        newlines = window.count(b"\n", 0, cut)
        if newlines:
            last = window.rfind(b"\n", 0, cut)
            self._line_start = self._chars + _characters(window, last + 1)
        self._lines += newlines
        self._chars += _characters(window, cut)
        self._window = window[cut:]
        self._base += cut
        self._pos -= cut
        self._scanned -= cut
        self._ends = [ends for ends in self._ends if ends.last >= self._base]

    def _check_utf8(self, block: bytes, final: bool) -> None:
        """Validate the block just read (a character its end cuts is validated with the next)."""
        data = self._undecoded + block
        try:
            _, used = codecs.utf_8_decode(data, "strict", final)
        except UnicodeDecodeError as err:
            at = self._base + len(self._window) - len(data) + err.start
            self._undecoded = b""
            self._note_utf8(f"not valid UTF-8 (byte 0x{data[err.start]:02x} at byte {at + 1})")
            return
        self._undecoded = data[used:]

    def _note_utf8(self, problem: str) -> None:
        self._problems.append((_UTF8, problem))
        if not self._draining:
            self._drain()

    def _drain(self) -> NoReturn:
        """After a problem: read and scan the rest of the file for one that outranks it, then raise the worst."""
        self._draining = True
        while not self._eof:
            self._pos = self._scanned
            self._more()
        raise self._error()

    def _scan(self, final: bool) -> None:
        """Scan the window's unscanned bytes for strings, depth and the ends of values. A run of backslashes at a
        block's end is kept for the next block, whose first byte it may escape."""
        start, stop = self._scanned, len(self._window)
        window = self._window
        if not final:
            while stop > start and window[stop - 1] == _BACKSLASH:
                stop -= 1
        if stop == start:
            return
        data = np.frombuffer(window, dtype=np.uint8, count=stop - start, offset=start)
        quotes = np.flatnonzero(data == _QUOTE)
        if quotes.size and window.find(b"\\", start, stop) >= 0:
            quotes = _unescaped(data, quotes)
        marks = np.flatnonzero(_STRUCTURAL[data])
        if marks.size:
            marks = marks[((np.searchsorted(quotes, marks) + self._in_string) & 1) == 0]  # outside strings
        if marks.size:
            steps = _STEP[data[marks]].astype(np.int64)
            after = self._depth + np.cumsum(steps)
            if int(after.max()) > self._max_depth:
                deep = start + int(marks[np.argmax(after > self._max_depth)])
                line = self._lines + window.count(b"\n", 0, deep) + 1
                where = f" (line {line})" if line > 1 else ""
                self._problems.append((_DEPTH, f"nested more than max_depth={self._max_depth} levels deep{where}; "
                                               "refused unparsed"))
                raise self._error()  # nothing outranks it
            ends = steps <= 0
            if ends.any():
                self._ends.append(_Ends(self._base + start + marks[ends], (after - steps)[ends]))
            self._depth = int(after[-1])
        self._in_string = bool((self._in_string + quotes.size) & 1)
        self._scanned = stop

    def _end_at(self, position: int, depth: int) -> int | None:
        for ends in self._ends:
            if ends.last >= position and (found := ends.at(position, depth)) is not None:
                return found
        return None

    def _skip_whitespace(self) -> None:
        while True:
            found = _NOT_WHITESPACE.search(self._window, self._pos)
            self._pos = len(self._window) if found is None else found.start()
            if found is not None or self._eof:
                return
            self._more()

    def _peek(self) -> str:
        if self._pos >= len(self._window) and not self._eof:
            self._more()
        return chr(self._window[self._pos]) if self._pos < len(self._window) else ""

    # --- problems -------------------------------------------------------------------------------------------------

    def _syntax(self, message: str, start: int | None = None, text: str = "", at: int = 0) -> NoReturn:
        """A syntax error at `at` characters into `text`, which starts at window byte `start` (the parse position
        when not given)."""
        self._fail(_SYNTAX, f"not valid JSON at {self._where(self._pos if start is None else start, text, at)}: "
                            f"{message}")

    def _fail(self, rank: int, problem: str) -> NoReturn:
        self._problems.append((rank, problem))
        self._drain()

    def _where(self, start: int, text: str, at: int) -> str:
        window = self._window
        line = self._lines + window.count(b"\n", 0, start) + 1
        newline = window.rfind(b"\n", 0, start)
        if newline >= 0:
            column = _characters(window, start, newline + 1) + 1
        else:
            column = self._chars + _characters(window, start) - self._line_start + 1
        if inside := text.count("\n", 0, at):
            return f"line {line + inside}, column {at - text.rfind(chr(10), 0, at)}"
        return f"line {line}, column {column + at}"

    def _error(self) -> InvalidData:
        worst = min(self._problems, key=lambda p: p[0])  # min keeps the first of the worst rank
        return InvalidData(f"{self._file}: {worst[1]}")


class _Ends:
    """Where values end in one scanned block: the positions of `,` `]` `}` outside strings, and the depth before
    each. Asked per element, so the positions at a depth become a list once, then bisected."""

    def __init__(self, positions: np.ndarray, depths: np.ndarray):
        self._positions, self._depths = positions, depths
        self.last = int(positions[-1])
        self._at_depth: dict[int, list[int]] = {}

    def at(self, position: int, depth: int) -> int | None:
        """The first end at `depth` from `position` on, in this block."""
        if (found := self._at_depth.get(depth)) is None:
            found = self._at_depth[depth] = self._positions[self._depths == depth].tolist()
        k = bisect.bisect_left(found, position)
        return found[k] if k < len(found) else None


def _unescaped(data: np.ndarray, quotes: np.ndarray) -> np.ndarray:
    """The quotes not escaped: a quote after an odd run of backslashes is part of its string."""
    after_slash = quotes[(quotes > 0) & (data[quotes - 1] == _BACKSLASH)]
    if not after_slash.size:
        return quotes
    slashes = np.flatnonzero(data == _BACKSLASH)
    run = np.zeros(slashes.size, dtype=np.int64)
    breaks = np.flatnonzero(np.diff(slashes) != 1) + 1
    run[breaks] = breaks
    run_start = slashes[np.maximum.accumulate(run)]  # where each backslash's run begins
    lengths = after_slash - run_start[np.searchsorted(slashes, after_slash - 1)]
    return np.setdiff1d(quotes, after_slash[lengths % 2 == 1], assume_unique=True)


def _characters(data: bytes, stop: int, start: int = 0) -> int:
    """Characters in data[start:stop] (valid UTF-8): every byte but continuation bytes starts one."""
    if stop <= start:
        return 0
    raw = np.frombuffer(data, dtype=np.uint8, count=stop - start, offset=start)
    return stop - start - int(np.count_nonzero((raw & 0xC0) == 0x80))
