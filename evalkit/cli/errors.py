"""How every command ends: what its exit code means, and one line (never a traceback) for what the user can fix.

| code | meaning |
|---|---|
| 0 | done |
| 1 | the evaluation says no: a gate failed, or more replies failed than `fail_on_error_rate` allows |
| 2 | bad input: a file, record, field or setting, named in one line; nothing was run or logged |
| 3 | the MLflow store could not be used: everything is in the run directory, `evalkit sync <run dir>` logs it |
| 4 | the machine refused a write (a full disk, a read-only mount, permissions): the file is named; what was done is
kept, and the same command with `resume=<run dir>` continues |
"""

from __future__ import annotations

import errno
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from evalkit.errors import InvalidData, StorageFailed, os_reason
from evalkit.pipeline.publish import Outcome

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_TRACKING_FAILED = 3
EXIT_STORAGE_FAILED = 4
# What the machine answers when it will not store a file: full disk or quota, read-only, permissions, I/O error.
_REFUSALS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EIO, errno.EFBIG})


@contextmanager
def exit_on_bad_input(resumable: Path | None = None) -> Iterator[None]:
    """What the user can fix ends in one line and its own exit code, no traceback: bad input (file, record and field;
    exit 2) and a write the machine refused (the file; exit 4; with `resumable`, the run directory to resume).
    Anything else is a bug and keeps its traceback."""
    try:
        yield
    except InvalidData as err:
        print(f"evalkit: error: {err}", file=sys.stderr)
        sys.exit(EXIT_BAD_INPUT)
    except (StorageFailed, OSError) as err:
        if isinstance(err, OSError) and not (err.filename and err.errno in _REFUSALS):
            raise  # not the machine refusing a file the user can free or fix
        what = err if isinstance(err, StorageFailed) else f"{err.filename}: {os_reason(err)}"
        then = (f"what was done is kept in {resumable}: free space (or fix the cause) and resume with the same command "
                f"and resume={resumable}") if resumable else "free space (or fix the cause) and run it again"
        print(f"evalkit: error: {what}; {then}", file=sys.stderr)
        sys.exit(EXIT_STORAGE_FAILED)


def finish(outcome: Outcome, fail_on_error_rate: float | None) -> None:
    """After the results are printed: exit non-zero, in one line, when the bots failed or the store did."""
    failing = [f"{b.bot} {b.error_rate:.0%}" for b in outcome.summary.bots
               if fail_on_error_rate is not None and not b.replies_with_reference and b.error_rate > fail_on_error_rate]
    if failing:
        print(f"evalkit: error: replies failed beyond fail_on_error_rate={fail_on_error_rate:g}: {', '.join(failing)} "
              f"(errors are in {outcome.run_dir / 'results.jsonl'})", file=sys.stderr)
    exit_if_untracked(outcome.run_dir, outcome.tracking_error, EXIT_FAILED if failing else None)


def exit_if_untracked(run_dir: Path, tracking_error: str | None, code: int | None = None) -> None:
    """The store failed: say so in one line (the results are safe) and exit 3, unless another code comes first."""
    if tracking_error:
        print(f"evalkit: error: {tracking_error}; the run directory has everything: `evalkit sync {run_dir}` logs it "
              "later", file=sys.stderr)
    if code is not None:
        sys.exit(code)
    if tracking_error:
        sys.exit(EXIT_TRACKING_FAILED)
