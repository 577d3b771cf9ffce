"""Writing the files a run leaves behind: each one whole or not at all, and named when the machine refuses it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from evalkit.errors import StorageFailed, os_reason


@contextmanager
def writing(path: str | Path) -> Iterator[None]:
    """Name the file an OSError is about: a write() that fails for want of space says only "[Errno 28]"."""
    try:
        yield
    except OSError as err:
        raise StorageFailed(path, os_reason(err)) from err


def write_text(path: Path, text: str) -> Path:
    """Replace the file with the text through a temporary file beside it: a full disk leaves the old file (or none),
    never half of the new one."""
    staged = path.with_name(f".{path.name}.partial")
    with writing(path):
        try:
            staged.write_text(text, encoding="utf-8")
            os.replace(staged, path)
        except OSError:
            with suppress(OSError):
                staged.unlink()
            raise
    return path
