"""Files are written whole or not at all, and a refused write names its file. The refusal is real: the process's
file-size limit (RLIMIT_FSIZE) makes the kernel answer EFBIG, as a full disk answers ENOSPC."""

from __future__ import annotations

import resource
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from evalkit.errors import StorageFailed
from evalkit.files import write_text
from evalkit.reply import Reply
from evalkit.results import Record, ResultsLog


@contextmanager
def files_limited_to(size: int) -> Iterator[None]:
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))


def record(i: int, text: str = "a reply") -> Record:
    return Record(bot="bot", case_id=f"c:{i}", transcript_id="c", turn_index=i, slices={}, context=(),
                  reference="ref", reply=Reply(text=text))


def test_a_refused_write_keeps_the_old_file_and_names_the_new_one(tmp_path: Path):
    report = write_text(tmp_path / "report.md", "the old report\n")
    with files_limited_to(10_000), pytest.raises(StorageFailed, match=r"cannot write .*report\.md: File too large"):
        write_text(report, "x" * 20_000)
    assert report.read_text() == "the old report\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.md"]  # no partial file left beside it


def test_a_refused_append_leaves_the_log_as_it_was(tmp_path: Path):
    log = ResultsLog(tmp_path / "results.jsonl")
    log.append([record(0), record(1)])
    before = log.path.read_bytes()
    with files_limited_to(len(before) + 1_000), pytest.raises(StorageFailed, match=r"results\.jsonl: File too large"):
        log.append([record(2, "y" * 5_000)])
    assert log.path.read_bytes() == before  # whole lines only: no cut last line for a resume to repair
    assert [r.case_id for r in ResultsLog(log.path)] == ["c:0", "c:1"]
