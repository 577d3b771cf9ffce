"""A write the machine refuses ends a run with one line naming the file and exit code 4, keeps what was done, and the
run resumes to the results of an uninterrupted one. The refusal is the kernel's: a file-size limit (RLIMIT_FSIZE)
makes writes fail with EFBIG, where a full disk fails them with ENOSPC; both reach evalkit as an OSError."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from tests.data import PROJECT_ROOT

pytestmark = pytest.mark.slow

SMALL = ("bots=[bot_v1]", "scorers=[chrf,token_f1]")  # the human row and one bot: a results log of ~650 KB


def evalkit(*args: str, file_size_limit: int | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}

    def limit() -> None:
        if file_size_limit is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_size_limit, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))

    return subprocess.run([sys.executable, "-m", "evalkit", "run", "tracker=none", "cache=off", *args],
                          cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300, preexec_fn=limit)


def replies(run_dir: Path) -> dict[tuple[str, str], tuple[str, dict]]:
    rows = (json.loads(line) for line in (run_dir / "results.jsonl").read_text().splitlines())
    return {(r["bot"], r["case_id"]): (r["reply"]["text"], r["scores"]) for r in rows}


def test_a_full_disk_is_one_line_and_the_run_resumes(tmp_path: Path):
    run_dir = tmp_path / "run"
    refused = evalkit(f"hydra.run.dir={run_dir}", *SMALL, file_size_limit=300_000)
    assert refused.returncode == 4, refused.stderr
    assert refused.stderr.strip().splitlines() == [
        f"evalkit: error: cannot write {run_dir / 'results.jsonl'}: File too large; what was done is kept in "
        f"{run_dir}: free space (or fix the cause) and resume with the same command and resume={run_dir}"]
    log = (run_dir / "results.jsonl").read_bytes()
    assert log.endswith(b"\n") and 0 < len(log) <= 300_000  # whole lines: the refused batch was cut back off
    kept = replies(run_dir)

    resumed = evalkit(f"resume={run_dir}", *SMALL)
    assert resumed.returncode == 0, resumed.stderr
    whole = evalkit(f"hydra.run.dir={tmp_path / 'uninterrupted'}", *SMALL)
    assert replies(run_dir) == replies(tmp_path / "uninterrupted")
    assert kept.items() <= replies(run_dir).items()
    summary, expected = (json.loads((d / "summary.json").read_text()) for d in (run_dir, tmp_path / "uninterrupted"))
    assert summary["scores"] == expected["scores"] and whole.returncode == 0


def test_a_refused_report_names_the_report_and_a_resume_writes_it(tmp_path: Path):
    run_dir = tmp_path / "run"
    (run_dir / "report.md").mkdir(parents=True)  # the OS refuses to put a file where a directory is
    out = evalkit(f"hydra.run.dir={run_dir}", *SMALL, "shard=1/8")
    assert out.returncode == 4, out.stderr
    assert out.stderr.strip().splitlines() == [
        f"evalkit: error: cannot write {run_dir / 'report.md'}: Is a directory; what was done is kept in {run_dir}: "
        f"free space (or fix the cause) and resume with the same command and resume={run_dir}"]
    assert (run_dir / "summary.json").exists() and not list(run_dir.glob(".*partial"))

    (run_dir / "report.md").rmdir()
    resumed = evalkit(f"resume={run_dir}", *SMALL, "shard=1/8")
    assert resumed.returncode == 0, resumed.stderr
    assert "bot_v1" in (run_dir / "report.md").read_text()
