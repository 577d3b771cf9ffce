"""How every command answers bad input."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from evalkit.transcript import InvalidData


@contextmanager
def exit_on_bad_input(*also: type[Exception]) -> Iterator[None]:
    """Bad input is the user's to fix: one line naming file, record and field, exit code 2, no traceback."""
    try:
        yield
    except (InvalidData, FileNotFoundError, *also) as err:
        print(f"evalkit: error: {err}", file=sys.stderr)
        sys.exit(2)
