"""Malformed input, generated: every loader, every format, over a thousand ways to be wrong.

What must hold for each (tests/loaders/malformed.py makes them, seeded): nothing but InvalidData escapes a loader
(no traceback, no crash); its message is one line and names the file; a record that breaks the schema never
loads, and the error (or the skip) names that record and field; what does load keeps the schema's invariants.
Loads run in this process; the 100,000-deep cases, which once segfaulted a parser, run in a process of their own.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import traceback
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from tests.data import PROJECT_ROOT
from tests.loaders.malformed import MAX_TURN_CHARS, Case, all_cases, deep_cases, outcome, place

CASES = all_cases()
FORMATS = [("table", ".jsonl"), ("table", ".json"), ("table", ".csv"), ("table", ".parquet"),
           ("twitter_care", ".json"), ("abcd", ".json")]
ROLES = ("customer", "agent", "system")
_INVISIBLE_NAMES = ("VARIATION SELECTOR", "HANGUL FILLER", "HANGUL CHOSEONG FILLER", "HANGUL JUNGSEONG FILLER",
                    "HALFWIDTH HANGUL FILLER", "COMBINING GRAPHEME JOINER", "MONGOLIAN FREE VARIATION",
                    "KHMER VOWEL INHERENT", "TAG ")


def test_the_generator_makes_over_a_thousand_malformed_inputs_for_every_loader_and_format():
    malformed = [c for c in CASES if c.expect != "valid"]
    assert len(malformed) >= 1000
    by_format = {f: sum((c.loader, c.suffix) == f for c in malformed) for f in FORMATS}
    assert min(by_format.values()) >= 60, by_format
    assert all_cases() == CASES  # seeded: the same inputs every run


@pytest.mark.parametrize(("loader", "suffix"), FORMATS, ids=lambda v: v)
def test_malformed_input_is_one_line_naming_file_record_and_field(tmp_path: Path, loader: str, suffix: str):
    failures: list[str] = []
    for n, case in enumerate(c for c in CASES if (c.loader, c.suffix) == (loader, suffix)):
        path = place(case, tmp_path, n)
        for on_error in ("raise", "skip"):
            try:
                result = outcome(case, path, on_error)
            except Exception:  # the point of the test: nothing but InvalidData may leave a loader
                failures.append(f"{case.label} [{on_error}]: {traceback.format_exc(limit=-2)}")
                continue
            failures += [f"{case.label} [{on_error}]: {p}" for p in problems(case, str(path), on_error, result)]
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(failures[:30])


def test_100_000_deep_nesting_is_refused_before_any_parser_runs(tmp_path: Path):
    out = subprocess.run([sys.executable, "-m", "tests.loaders.malformed", str(tmp_path)], cwd=PROJECT_ROOT,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, f"exit {out.returncode} (a crash is negative): {out.stderr[-2000:]}"
    results = [json.loads(line) for line in out.stdout.splitlines()]
    cases = list(deep_cases())
    assert len(results) == 2 * len(cases)
    failures = []
    for n, case in enumerate(cases):
        for result in results[2 * n: 2 * n + 2]:
            path = str(tmp_path / f"case{n}{case.suffix}")
            failures += [f"{case.label} [{result['on_error']}]: {p}"
                         for p in problems(case, path, result["on_error"], result)]
    assert not failures, "\n".join(failures)


def problems(case: Case, path: str, on_error: str, result: dict[str, Any]) -> list[str]:
    """What is wrong with a load's outcome for this case (nothing, when all is well)."""
    found: list[str] = []
    error, message = result["error"], result.get("message", "")
    if error:
        if len(message.splitlines()) != 1 or "\r" in message or "\n" in message:
            found.append(f"message is not one line: {message[:300]!r}")
        if path not in message:
            found.append(f"message does not name the file: {message[:300]!r}")
        if error == "InvalidRecord" and not re.match(rf"{re.escape(path)}: record \d+( \(id .+\))?, field .+: .+",
                                                     message, re.S):
            found.append(f"message not in the record style: {message[:300]!r}")
        if case.problem and case.problem not in message:
            found.append(f"message does not say {case.problem!r}: {message[:300]!r}")
    else:
        found += invariants_broken(result.get("dataset"))
    expect = case.expect
    if expect == "valid":
        if error or result["ids"] != list(case.good) or result["skipped"]:
            found.append(f"a valid file did not load as written: {result_text(result)}")
    elif expect == "file":
        if error != "InvalidData":
            found.append(f"expected a file-level error, got {result_text(result)}")
    elif expect == "all" and on_error == "skip":
        if error != "InvalidData":
            found.append(f"every record is invalid, yet: {result_text(result)}")
    elif expect in ("record", "all") and on_error == "raise":
        if error != "InvalidRecord" or result["index"] != case.bad_index or (
                case.field is not None and result["field"] != case.field):
            found.append(f"expected record {case.bad_index} field {case.field!r}, got {result_text(result)}")
    elif expect == "record":  # skip: the bad record is skipped and counted, the others load
        skipped = [(index, field) for index, field, _ in result.get("skipped", [])]
        if error or result["ids"] != list(case.good) or [i for i, _ in skipped] != [case.bad_index] or (
                case.field is not None and skipped[0][1] != case.field):
            found.append(f"expected record {case.bad_index} ({case.field!r}) skipped and {case.good} loaded, got "
                         f"{result_text(result)}")
    return found


def result_text(result: dict[str, Any]) -> str:
    shown = {k: v for k, v in result.items() if k != "dataset"}
    return json.dumps(shown, default=str)[:400]


def invisible(c: str) -> bool:
    """Told from unicodedata, independently of the loaders' own table."""
    return c.isspace() or unicodedata.category(c) in ("Cc", "Cf") or unicodedata.name(c, "").startswith(
        _INVISIBLE_NAMES)


def invariants_broken(dataset: Any) -> list[str]:
    """What a loaded dataset may never hold, however its file was mangled."""
    if dataset is None:
        return []
    found = []
    ids = [t.id for t in dataset.transcripts]
    if len(set(ids)) != len(ids):
        found.append(f"duplicate ids loaded: {ids}")
    for t in dataset.transcripts:
        if not isinstance(t.id, str) or all(invisible(c) for c in t.id):
            found.append(f"id {t.id!r} is no visible string")
        if not t.turns or not any(turn.role == "agent" for turn in t.turns):
            found.append(f"{t.id!r} has no agent turn")
        for turn in t.turns:
            if turn.role not in ROLES or not isinstance(turn.text, str) or len(turn.text) > MAX_TURN_CHARS or all(
                    invisible(c) for c in turn.text):
                found.append(f"{t.id!r} holds a turn that breaks the schema: {turn!r}"[:300])
            for flag in ("handoff", "asks_for_human"):
                if flag in turn.meta and not isinstance(turn.meta[flag], bool):
                    found.append(f"{t.id!r}: {flag} is {turn.meta[flag]!r}")
        try:  # what the results log and MLflow will do with it: no lone surrogate, no NaN may survive
            json.dumps({"id": t.id, "turns": [[u.role, u.text, dict(u.meta)] for u in t.turns], "meta": dict(t.meta)},
                       ensure_ascii=False, allow_nan=False, default=str).encode("utf-8")
        except (UnicodeEncodeError, ValueError) as err:
            found.append(f"{t.id!r} cannot be written: {err}"[:300])
    return found
