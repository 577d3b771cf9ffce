"""`evalkit audit` on the demo set finds what the demo generator planted, and queues it in a real MLflow store."""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import mlflow
import pytest
from mlflow.genai import label_schemas, review_queues

from evalkit.audit.case_view import REASONS_TAG
from evalkit.audit.queues import CATEGORY, NOTE, VERDICT, bot_runs
from evalkit.tracking.store import using
from tests.data import PROJECT_ROOT

# What scripts/build_demo_dataset.py plants in bot_v1's replies, recognised from the text alone.
PLACEHOLDER = re.compile(r"\{[a-z_]+\}|\[[A-Z_]+\]")
PROMISES = ("I guarantee", "I promise", "You will definitely", "I can guarantee")
REFUSALS = ("I can help you with that myself", "Let me try to help you first")


def evalkit(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    return subprocess.run([sys.executable, "-m", "evalkit", *args], cwd=PROJECT_ROOT, env=env, capture_output=True,
                          text=True, timeout=600)


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("demo")
    done = evalkit("run", f"hydra.run.dir={root / 'run'}", f"tracker.store_dir={root / 'store'}",
                   "tracker.traces=none")
    assert done.returncode == 0, done.stderr
    return root


def audited(demo_run: Path, out: Path, *overrides: str) -> list[dict]:
    store = [] if "tracker=none" in overrides else [f"tracker.store_dir={demo_run / 'store'}"]
    done = evalkit("audit", f"run={demo_run / 'run'}", *store, f"hydra.run.dir={out}", *overrides)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in (out / "audit.jsonl").read_text().splitlines()]


def planted(case: dict) -> bool:
    reply = case["reply"] or ""
    return (case["error"] is not None or bool(PLACEHOLDER.search(reply)) or any(p in reply for p in PROMISES)
            or any(r in reply for r in REFUSALS))


def test_bot_v1s_planted_bad_replies_top_the_queue(demo_run: Path, tmp_path: Path):
    cases = audited(demo_run, tmp_path / "a", "bot=bot_v1", "tracker=none")
    assert len(cases) == 30 and {c["bot"] for c in cases} == {"bot_v1"}
    ranked = [c for c in cases if "calibration sample (random)" not in c["reasons"]]
    assert len(ranked) == 27  # the rest is the random calibration sample
    assert all(planted(c) for c in ranked), [c["reply"] for c in ranked if not planted(c)]
    # The 9 replies the recording lacks come first, then leaks, forbidden promises and refusals to transfer.
    assert [c["error"] is not None for c in ranked[:9]] == [True] * 9
    assert any(PLACEHOLDER.search(c["reply"] or "") for c in ranked)
    assert any(any(p in (c["reply"] or "") for p in PROMISES) for c in ranked)
    assert any(any(r in (c["reply"] or "") for r in REFUSALS) for c in ranked)
    rubric = [next(s["value"] for s in c["scores"] if s["name"] == "rubric") for c in ranked[9:]]
    assert rubric == sorted(rubric)  # more of the rubric's weight failed ranks higher
    leaks = [s["rationale"] for c in ranked for s in c["scores"]
             if s["passed"] is False and s["name"] == "rubric/no_placeholder_leak"]
    assert leaks and all(r.startswith("leaked ") for r in leaks)  # each failed criterion says why
    assert any("leaked {customer_name}" in r for r in leaks)

    # The same cases in the spreadsheet export and in the page.
    with (tmp_path / "a" / "audit.csv").open() as f:
        assert [row["case_id"] for row in csv.DictReader(f)] == [c["case_id"] for c in cases]
    page = (tmp_path / "a" / "audit.html").read_text()
    assert all(c["case_id"] in page for c in cases) and "<script src" not in page


def test_bot_v2_by_intent_surfaces_the_late_fee_regression(demo_run: Path, tmp_path: Path):
    cases = audited(demo_run, tmp_path / "b", "bot=bot_v2", "slices=[intent]", "tracker=none")
    ranked = [c for c in cases if "calibration sample (random)" not in c["reasons"]]
    assert ranked and all(c["slices"]["intent"] == "late_fee" for c in ranked)
    assert ranked[0]["reasons"][0].startswith("slice intent=late_fee: ")
    # Without slices the queue is not all late_fee: the slice is what surfaces it.
    plain = audited(demo_run, tmp_path / "c", "bot=bot_v2", "tracker=none")
    assert {c["slices"]["intent"] for c in plain} != {"late_fee"}


def test_filters_narrow_the_queue(demo_run: Path, tmp_path: Path):
    errors = audited(demo_run, tmp_path / "e", "bot=bot_v1", "errors=only", "n=5", "tracker=none")
    assert len(errors) == 5 and all(c["error"] for c in errors)
    refunds = audited(demo_run, tmp_path / "f", "+where.intent=refund", "errors=exclude", "n=4", "tracker=none")
    assert {c["bot"] for c in refunds} == {"bot_v1", "bot_v2", "retrieval"}  # every bot but the human reference
    assert all(c["slices"]["intent"] == "refund" and not c["error"] for c in refunds)
    chrf_only = audited(demo_run, tmp_path / "g", "bot=bot_v1", "rank_by=[chrf]", "n=10", "errors=exclude",
                        "tracker=none")
    assert all(r.startswith(("worst 10% by chrf", "missed handoff", "unnecessary handoff"))
               for c in chrf_only[:9] for r in c["reasons"])  # handoffs are no scorer's: they always count
    assert any(r.startswith("worst 10% by chrf") for c in chrf_only for r in c["reasons"])


def test_bad_input_is_one_line(demo_run: Path, tmp_path: Path):
    done = evalkit("audit", f"run={demo_run / 'run'}", "bot=bot_v9", "tracker=none", f"hydra.run.dir={tmp_path}")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"evalkit: error: {demo_run / 'run'}: no results for bot 'bot_v9' (it has: bot_v1, bot_v2, human, retrieval)"]
    done = evalkit("audit", f"run={demo_run / 'run'}", "slices=[flow]", f"tracker.store_dir={demo_run / 'store'}",
                   f"hydra.run.dir={tmp_path}")  # with MLflow in use too, bad input is the input's fault
    assert done.returncode == 2 and "no slice 'flow' in the run (it has: company, intent)" in done.stderr


def test_the_audit_queues_each_reviewer_the_traced_picks_in_mlflow(demo_run: Path, tmp_path: Path):
    # The run was logged without traces: the audit traces its picks into the bots' runs.
    cases = audited(demo_run, tmp_path / "q", "bot=bot_v1", "n=8", "reviewers=[ana,ben]", "queue=v1-check")
    parent = (demo_run / "run" / "mlflow_run_id").read_text().strip()
    with using(f"sqlite:///{demo_run / 'store' / 'mlflow.db'}"):
        client = mlflow.MlflowClient()
        experiment = client.get_run(parent).info.experiment_id
        runs = bot_runs(experiment, parent)
        for reviewer in ("ana", "ben"):
            queue = review_queues.get_review_queue(name=f"v1-check-{reviewer}", experiment_id=experiment)
            assert queue.users == [reviewer]
            items = {i.item_id for i in review_queues.list_review_queue_items(queue.queue_id)}
            assert items == {c["trace_id"] for c in cases}
        for case in cases:
            trace = mlflow.get_trace(case["trace_id"])
            assert trace.info.trace_metadata["mlflow.sourceRun"] == runs["bot_v1"]
            assert json.loads(trace.info.tags[REASONS_TAG]) == case["reasons"]
        schemas = {s.name: s for s in label_schemas.list_label_schemas(experiment_id=experiment)}
        assert schemas[VERDICT].input.options == ["good", "acceptable", "bad"]
        assert "missed handoff" in schemas[CATEGORY].input.options and NOTE in schemas
        logged = {a.path for a in client.list_artifacts(parent, "audit")}
        (folder,) = logged
        assert {a.path.rsplit("/", 1)[-1] for a in client.list_artifacts(parent, folder)} == {
            "audit.html", "audit.csv", "audit.jsonl"}
    # Auditing again reuses the traces instead of tracing the same cases twice.
    again = audited(demo_run, tmp_path / "r", "bot=bot_v1", "n=8")
    assert [c["trace_id"] for c in again] == [c["trace_id"] for c in cases]
    # The run named by its MLflow run id (its results fetched from the store) gives the same audit.
    by_id = evalkit("audit", f"run={parent}", "bot=bot_v1", "n=8", f"tracker.store_dir={demo_run / 'store'}",
                    f"hydra.run.dir={tmp_path / 's'}")
    assert by_id.returncode == 0, by_id.stderr
    fetched = [json.loads(line) for line in (tmp_path / "s" / "audit.jsonl").read_text().splitlines()]
    assert [(c["case_id"], c["trace_id"]) for c in fetched] == [(c["case_id"], c["trace_id"]) for c in cases]
