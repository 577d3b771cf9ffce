"""How every command answers bad input."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from evalkit.errors import InvalidData

EXIT_BAD_INPUT = 2


@contextmanager
def exit_on_bad_input() -> Iterator[None]:
    """Bad input is the user's to fix: one line naming file, record and field, exit code 2, no traceback. Anything
    else is a bug and keeps its traceback."""
    try:
        yield
    except InvalidData as err:
        print(f"evalkit: error: {err}", file=sys.stderr)
        sys.exit(EXIT_BAD_INPUT)
