"""Personal data planted in a copy of the real Twitter care data reaches nothing evalkit writes: not the run
directory, not the MLflow store and its artifacts, not the reply cache, not the console."""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.data import PROJECT_ROOT, TWITTER_DEV

pytestmark = [pytest.mark.slow, pytest.mark.shared_data]

# Luhn-valid cards, checksum-valid IBANs, real-format phones, SSNs, addresses, handles nobody's support account has.
PLANTED = {
    "email": ["maria.gonzalez1987@gmail.com", "j.smith+bank@outlook.co.uk"],
    "phone": ["+44 20 7946 0958", "(212) 555-0134"],
    "card": ["4539 1488 0343 6467", "5555-5555-5555-4444"],
    "iban": ["GB82 WEST 1234 5698 7654 32", "DE89370400440532013000"],
    "national_id": ["123-45-6789"],
    "ip": ["203.0.113.77"],
    "handle": ["@maria_g1987"],
}
VALUES = [v for values in PLANTED.values() for v in values]


def plant(source: Path, target: Path, conversations: int = 60) -> None:
    data = json.loads(source.read_text())[:conversations]
    rng = random.Random(0)
    for i, convo in enumerate(data):
        values = rng.sample(VALUES, 3)
        first = convo["dialogContent"][0]
        first["message"] += f" my details: {values[0]}, {values[1]}"
        # Agents quote them back too: the human reference and the retrieval bot's answers carry them.
        for tweet in convo["dialogContent"][1:]:
            if "agent" in tweet and i % 2 == 0:
                tweet["message"] += f" we have {values[2]} on file"
        convo["agentURL"]["url_utterance"] += f" (ref {values[0]})"
    target.write_text(json.dumps(data))


def forms(value: str) -> list[re.Pattern[str]]:
    """The value as written, and the ways a tool might rewrite it: lower case, its digits alone (as a number of its
    own: a page's bundled JavaScript holds "0123456789" without holding anyone's national id)."""
    digits = re.sub(r"\D", "", value)
    return [re.compile(re.escape(value)), re.compile(re.escape(value.lower())),
            *([re.compile(rf"(?<!\d){digits}(?!\d)")] if len(digits) >= 9 else [])]


def occurrences(paths: list[Path], texts: list[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    blobs = [(str(p), p.read_bytes().decode("utf-8", "replace")) for root in paths for p in
             (root.rglob("*") if root.is_dir() else [root]) if p.is_file()]
    blobs += [(f"console[{i}]", t) for i, t in enumerate(texts)]
    for value in VALUES:
        for form in forms(value):
            where = [name for name, blob in blobs if form.search(blob) or form.search(blob.replace("\\u0040", "@"))]
            if where:
                found.setdefault(value, []).extend(where)
    return found


def test_planted_values_reach_nothing_evalkit_writes(tmp_path: Path):
    data = tmp_path / "planted.json"
    plant(TWITTER_DEV, data)
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", "EVALKIT_CACHE_PATH": str(tmp_path / "cache.sqlite")}
    env.pop("MLFLOW_TRACKING_URI", None)
    runs = [["run", "experiment=twitter_care", f"dataset.path={data}", f"hydra.run.dir={tmp_path / 'run'}",
             f"tracker.store_dir={tmp_path / 'store'}"],
            ["rescore", f"run_dir={tmp_path / 'run'}", "scorers=[chrf,rubric]",
             f"hydra.run.dir={tmp_path / 'rescored'}", f"tracker.store_dir={tmp_path / 'store'}"]]
    console = []
    for args in runs:
        out = subprocess.run([sys.executable, "-m", "evalkit", *args], cwd=PROJECT_ROOT, env=env, capture_output=True,
                             text=True, timeout=600)
        assert out.returncode == 0, out.stderr
        console += [out.stdout, out.stderr]
    written = [tmp_path / "run", tmp_path / "rescored", tmp_path / "store", tmp_path / "cache.sqlite"]
    assert occurrences(written, console) == {}
    # The values were there to find: the same scan sees them in the planted input.
    assert set(occurrences([data], [])) == set(VALUES)
    report = (tmp_path / "run" / "report.md").read_text()
    assert "<EMAIL_1>" in (tmp_path / "run" / "results.jsonl").read_text() and "<HANDLE_" not in report.split("\n")[0]


def test_redaction_off_is_explicit_and_recorded(tmp_path: Path):
    data = tmp_path / "planted.json"
    plant(TWITTER_DEV, data, conversations=5)
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", "EVALKIT_CACHE_PATH": str(tmp_path / "cache.sqlite")}
    env.pop("MLFLOW_TRACKING_URI", None)
    out = subprocess.run([sys.executable, "-m", "evalkit", "run", "experiment=twitter_care", f"dataset.path={data}",
                          "redaction=off", f"hydra.run.dir={tmp_path / 'run'}", "tracker=none"], cwd=PROJECT_ROOT,
                         env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    run = json.loads((tmp_path / "run" / "tracking.json").read_text())
    assert run["params"]["redaction.enabled"] is False and run["tags"]["evalkit.redaction"] == "off"
    assert occurrences([tmp_path / "run" / "results.jsonl"], [])  # off means off
