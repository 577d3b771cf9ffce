"""`evalkit review`, driven through stdin: verdicts land in MLflow as human Feedback from the reviewer."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import mlflow
from mlflow.genai import review_queues

from evalkit.audit.queues import CATEGORY, NOTE, VERDICT
from evalkit.audit.run import audit
from evalkit.audit.selection import Criteria
from evalkit.audit.source import load_run
from evalkit.loaders.table import TableLoader
from evalkit.pipeline.evaluate import Evaluation, evaluate
from evalkit.scorers.overlap import ChrF
from evalkit.summaries.run import StatsSettings
from evalkit.testing import EchoBot
from evalkit.tracking.runs import MlflowTracker
from tests.data import PROJECT_ROOT, write_transcripts

CATEGORIES = ["wrong policy", "wrong facts", "off-topic", "tone", "missed handoff", "unnecessary handoff",
              "placeholder or PII leak", "incomplete", "no reply"]


def queued(tmp_path: Path, n: int = 3) -> tuple[MlflowTracker, list]:
    """An EchoBot run logged without traces, audited into queue q-ana."""
    tracker = MlflowTracker(store_dir=str(tmp_path / "store"), traces="none")
    outcome = evaluate(Evaluation(dataset=TableLoader(str(write_transcripts(tmp_path / "t.jsonl")), name="mini"),
                                  bots=[EchoBot()], scorers=[ChrF()], tracker=tracker,
                                  stats=StatsSettings(n_resamples=20)), tmp_path / "run")
    with tracker.active():
        done = audit(load_run(str(outcome.run_dir), tracker.resolved_uri()), Criteria(bot="echo", n=n),
                     tmp_path / "audit", ["ana"], CATEGORIES, "q")
    return tracker, list(done.views)


def review(tmp_path: Path, answers: str, reviewer: str = "ana") -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "COLUMNS": "100"}
    return subprocess.run([sys.executable, "-m", "evalkit", "review", "queue=q-ana", f"reviewer={reviewer}",
                           f"tracker.store_dir={tmp_path / 'store'}", f"hydra.run.dir={tmp_path / 'review'}"],
                          input=answers, env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)


def human(trace_id: str) -> dict[str, object]:
    found = {}
    for a in mlflow.get_trace(trace_id).info.assessments:
        if a.source.source_type == "HUMAN" and a.feedback is not None:
            found[a.name] = (a.source.source_id, a.value)
    return found


def test_review_writes_each_verdict_to_mlflow_as_the_reviewers_feedback(tmp_path: Path):
    tracker, views = queued(tmp_path)
    # bad with two categories and a note; a typo re-asked, then good; then quit before the third.
    done = review(tmp_path, "b\n7,3\nleaks a slot\nx\ng\n\nq\n")
    assert done.returncode == 0, done.stderr
    assert f"#1 echo · {views[0].case_id}" in done.stdout  # the same case view as the audit's
    assert "'x' is not a verdict" in done.stdout
    assert "2 verdicts by ana written to MLflow; 1 cases of q-ana left" in done.stdout
    with tracker.active():
        first, second, third = (human(v.trace_id) for v in views)
        assert first == {VERDICT: ("ana", "bad"), CATEGORY: ("ana", ["placeholder or PII leak", "off-topic"]),
                         NOTE: ("ana", "leaks a slot")}
        assert second == {VERDICT: ("ana", "good"), CATEGORY: ("ana", [])}
        assert third == {}
        queue = review_queues.get_review_queue(name="q-ana", experiment_id=tracker.experiment_id())
        pending = [i.item_id for i in review_queues.list_review_queue_items(queue.queue_id, status="pending")]
    assert pending == [views[2].trace_id]  # answered items are complete: the next session starts at the third
    again = review(tmp_path, "a\n8\n\n")
    assert f"#3 echo · {views[2].case_id}" in again.stdout and "1 verdicts by ana" in again.stdout


def test_a_reviewer_not_on_the_queue_is_refused_in_one_line(tmp_path: Path):
    queued(tmp_path, n=1)
    done = review(tmp_path, "", reviewer="zoe")
    assert done.returncode == 2
    assert done.stderr.strip() == "evalkit: error: reviewer: 'zoe' is not assigned to queue 'q-ana' (it is for ana)"
