"""Bad input: the one exception type for anything the user must fix (a file, a record, a setting).

Everything else that goes wrong is a bug and stays a traceback. The CLI turns InvalidData into one line and exit
code 2; per-case failures (a bot that timed out, a judge that answered nonsense) are neither: they are data.
"""

from __future__ import annotations

from collections.abc import Sequence


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
