"""What the user must fix, as exception types: bad input (a file, a record, a setting), and a machine that refuses
to store a file (a full disk, a read-only mount, a permission).

Everything else that goes wrong is a bug and stays a traceback. The CLI turns each of these into one line and its
own exit code; per-case failures (a bot that timed out, a judge that answered nonsense) are neither: they are data.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path


class InvalidData(ValueError):
    """Input evalkit cannot use; the message says which file (or setting) and where, in one line."""


class InvalidRecord(InvalidData):
    """One source record that cannot become a transcript (or reply); names file, record and field."""

    def __init__(self, file: str, index: int, record_id: str | None, field_name: str, problem: str):
        self.file, self.index, self.record_id, self.field, self.problem = file, index, record_id, field_name, problem
        where = f"record {index}" + (f" (id {record_id!r})" if record_id is not None else "")
        super().__init__(f"{file}: {where}, field {field_name!r}: {problem}")


def check_choice(setting: str, value: object, choices: Sequence[object]) -> None:
    """A setting that takes one of a few values: anything else is one line naming the setting and the choices."""
    if value not in choices:
        raise InvalidData(f"{setting} must be one of {', '.join(map(str, choices))}, not {value!r}")


class StorageFailed(Exception):
    """The operating system refused to write a file: which file, and its reason (ENOSPC: "No space left on device")."""

    def __init__(self, path: str | Path, reason: str):
        self.path, self.reason = Path(path), reason
        super().__init__(f"cannot write {path}: {reason}")


def os_reason(err: OSError) -> str:
    return err.strerror or (os.strerror(err.errno) if err.errno else str(err))

