"""MLflow's own UI (a real `mlflow server` on 127.0.0.1, in Chromium) shows an audited trace with its assessments
and the reviewer's verdict, and the review queue with its items."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from evalkit.audit.queues import record_verdict
from evalkit.audit.run import audit
from evalkit.audit.selection import Criteria
from evalkit.audit.source import load_run
from evalkit.loaders.table import TableLoader
from evalkit.pipeline.evaluate import Evaluation, evaluate
from evalkit.scorers.overlap import ChrF
from evalkit.summaries.run import StatsSettings
from evalkit.testing import EchoBot
from evalkit.tracking.runs import MlflowTracker
from tests.audit.test_review import CATEGORIES
from tests.mlflow_server import mlflow_server

pytestmark = pytest.mark.slow


def has_content(path: Path) -> bool:
    shot = Image.open(path).convert("L")
    low, high = shot.getextrema()
    return shot.size == (1280, 800) and high - low > 100


def test_mlflow_ui_shows_the_audited_trace_and_the_review_queue(visit, tmp_path: Path):
    (tmp_path / "server").mkdir()
    with mlflow_server(tmp_path / "server") as url:
        tracker = MlflowTracker(tracking_uri=url, traces="none")
        outcome = evaluate(Evaluation(dataset=TableLoader(str(write(tmp_path)), name="mini"), bots=[EchoBot()],
                                      scorers=[ChrF()], tracker=tracker, stats=StatsSettings(n_resamples=20)),
                           tmp_path / "run")
        with tracker.active():
            done = audit(load_run(str(outcome.run_dir), url), Criteria(bot="echo", n=3), tmp_path / "audit",
                         ["ana"], CATEGORIES, "ui-check")
            first = next(v for v in done.views if v.reply and v.scores)
            record_verdict(first.trace_id, "ana", "bad", ["off-topic"], "answers another question")
            experiment = tracker.experiment_id()

        page = visit.page
        page.goto(f"{url}/#/experiments/{experiment}/traces?selectedEvaluationId={first.trace_id}")
        page.get_by_text("answers another question").first.wait_for(timeout=60_000)
        body = page.inner_text("body")
        assert first.reply in body and "chrf" in body and "verdict" in body
        page.screenshot(path=str(tmp_path / "trace.png"))

        page.goto(f"{url}/#/experiments/{experiment}/review-queue")
        page.get_by_text("ui-check-ana").first.wait_for(timeout=60_000)
        page.get_by_text("ui-check-ana").first.click()
        page.get_by_text(first.reply).first.wait_for(timeout=60_000)  # the queue's items, by request and response
        body = page.inner_text("body")
        assert f"All ({len(done.views)})" in body and "3 questions" in body  # verdict, failure category, note
        asked = [next(t["text"] for t in reversed(v.context) if t["role"] == "customer") for v in done.views]
        assert all(text in body for text in asked)
        page.screenshot(path=str(tmp_path / "queue.png"))
    assert has_content(tmp_path / "trace.png") and has_content(tmp_path / "queue.png")
    assert visit.refused == []


def write(tmp_path: Path) -> Path:
    from tests.data import write_transcripts

    return write_transcripts(tmp_path / "t.jsonl")
