"""`evalkit audit pull`: two reviewers' verdicts, entered through MLflow's own API as human feedback, come back with
kappa and alpha equal to a hand computation, and export as labelled data that `evalkit train` learns from."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import mlflow
from mlflow.entities import AssessmentSource

from evalkit.audit.run import audit
from evalkit.audit.selection import Criteria
from evalkit.audit.source import load_run
from evalkit.loaders.table import TableLoader
from evalkit.pipeline.evaluate import Evaluation, evaluate
from evalkit.results import ResultsLog
from evalkit.scorers.overlap import ChrF
from evalkit.summaries.run import StatsSettings
from evalkit.testing import EchoBot
from evalkit.tracking.runs import MlflowTracker
from tests.audit.test_review import CATEGORIES
from tests.data import PROJECT_ROOT, write_transcripts

ANA = ["bad", "good", "bad", "acceptable", "good", "bad"]
BEN = ["bad", "good", "acceptable", "acceptable", "bad", "bad"]


def evalkit(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "COLUMNS": "160"}
    return subprocess.run([sys.executable, "-m", "evalkit", *args], env=env, cwd=PROJECT_ROOT, capture_output=True,
                          text=True, timeout=600)


def hand_kappa(a: list, b: list) -> float:
    n = len(a)
    observed = sum(x == y for x, y in zip(a, b, strict=True)) / n
    ca, cb = Counter(a), Counter(b)
    expected = sum(ca[k] * cb[k] for k in set(a) | set(b)) / n ** 2
    return (observed - expected) / (1 - expected)


def hand_ordinal_alpha(units: list[list[int]]) -> float:
    """Krippendorff's alpha from the coincidence matrix, ordinal distance (each unit: its pairable values)."""
    values = sorted({v for u in units for v in u})
    coincidence = {(c, k): 0.0 for c in values for k in values}
    for u in units:
        for i, j in ((i, j) for i in range(len(u)) for j in range(len(u)) if i != j):
            coincidence[(u[i], u[j])] += 1 / (len(u) - 1)
    totals = {c: sum(coincidence[(c, k)] for k in values) for c in values}
    n = sum(totals.values())

    def delta(c: int, k: int) -> float:
        lo, hi = sorted((c, k))
        return (sum(totals[g] for g in values if lo <= g <= hi) - (totals[c] + totals[k]) / 2) ** 2

    observed = sum(coincidence[(c, k)] * delta(c, k) for c in values for k in values)
    expected = sum(totals[c] * totals[k] * delta(c, k) for c in values for k in values) / (n - 1)
    return 1 - observed / expected


def test_pulled_verdicts_give_the_hand_computed_kappa_and_alpha_and_train_a_classifier(tmp_path: Path):
    tracker = MlflowTracker(store_dir=str(tmp_path / "store"), traces="none")
    outcome = evaluate(Evaluation(dataset=TableLoader(str(write_transcripts(tmp_path / "t.jsonl")), name="mini"),
                                  bots=[EchoBot()], scorers=[ChrF()], tracker=tracker,
                                  stats=StatsSettings(n_resamples=20)), tmp_path / "run")
    with tracker.active():
        views = audit(load_run(str(outcome.run_dir), tracker.resolved_uri()), Criteria(bot="echo", n=6),
                      tmp_path / "audit", ["ana", "ben"], CATEGORIES, "q").views
        assert len(views) == 6
        # Reviewers answer in MLflow (as its review UI does): Feedback named by the label schemas, HUMAN source.
        for reviewer, answers in (("ana", ANA), ("ben", BEN)):
            for view, verdict in zip(views, answers, strict=True):
                source = AssessmentSource(source_type="HUMAN", source_id=reviewer)
                mlflow.log_feedback(trace_id=view.trace_id, name="verdict", value=verdict, source=source)
                mlflow.log_feedback(trace_id=view.trace_id, name="failure_category", source=source,
                                    value=["off-topic"] if verdict == "bad" else [])
        mlflow.log_feedback(trace_id=views[0].trace_id, name="verdict", value="bad",  # a machine's, not a reviewer's
                            source=AssessmentSource(source_type="LLM_JUDGE", source_id="judge"))

    chrf = {r.case_id: r.scores.get("chrf") for r in ResultsLog(outcome.run_dir / "results.jsonl") if r.bot == "echo"}
    threshold = sorted(v for v in chrf.values() if v is not None)[2]
    done = evalkit("audit", "pull", f"run={outcome.run_dir}", f"tracker.store_dir={tmp_path / 'store'}",
                   f"+thresholds.chrf={threshold}", f"hydra.run.dir={tmp_path / 'pull'}", "stats.n_resamples=200")
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "pull" / "agreement.json").read_text())
    assert report["verdicts"] == 12 and report["cases"] == 6 and report["reviewers"] == ["ana", "ben"]

    (pair,) = report["pairs"]
    assert abs(pair["kappa"]["value"] - hand_kappa(ANA, BEN)) < 1e-12
    assert pair["kappa"]["low"] <= pair["kappa"]["value"] <= pair["kappa"]["high"]
    order = {"bad": 0, "acceptable": 1, "good": 2}
    alpha = hand_ordinal_alpha([[order[a], order[b]] for a, b in zip(ANA, BEN, strict=True)])
    assert abs(report["alpha"]["value"] - alpha) < 1e-9

    # QA vs chrF: every verdict against chrF's pass/fail at the threshold; the error record has no chrF.
    rows = [(verdict != "bad", chrf[v.case_id] >= threshold) for answers in (ANA, BEN)
            for v, verdict in zip(views, answers, strict=True) if chrf[v.case_id] is not None]
    (scorer,) = [s for s in report["scorers"] if s["scorer"] == "chrf"]
    assert scorer["kappa"]["n"] == len(rows)
    assert abs(scorer["kappa"]["value"] - hand_kappa(*map(list, zip(*rows, strict=True)))) < 1e-12
    assert scorer["agreement"]["value"] == sum(q == m for q, m in rows) / len(rows)
    assert scorer["confusion"] == [[sum(q and m for q, m in rows), sum(q and not m for q, m in rows)],
                                   [sum(not q and m for q, m in rows), sum(not q and not m for q, m in rows)]]
    assert len(report["disagreements"]) == sum(not q and m for q, m in rows)
    assert sum(n for *_, n in report["categories"]) == ANA.count("bad") + BEN.count("bad")
    assert "Krippendorff's alpha (ordinal)" in done.stdout and "QA vs scorers" in done.stdout

    with tracker.active():
        (logged,) = mlflow.search_runs(search_all_experiments=True, output_format="list",
                                       filter_string=f"tags.`evalkit.audited_run_id` = '{outcome.run_id}'")
    assert abs(logged.data.metrics["reviewers/ana_vs_ben/kappa"] - hand_kappa(ANA, BEN)) < 1e-12

    # The verdicts as labelled data: `evalkit train recipe=qa_verdicts` learns reply quality from them.
    examples = [json.loads(line) for line in (tmp_path / "pull" / "verdicts.jsonl").read_text().splitlines()]
    assert {e["label"] for e in examples} == {"good", "acceptable", "bad"} and all(e["text"] for e in examples)
    trained = evalkit("train", "recipe=qa_verdicts", f"recipe.data.path={tmp_path / 'pull' / 'verdicts.jsonl'}",
                      "recipe.folds=2", f"tracker.store_dir={tmp_path / 'store'}",
                      f"hydra.run.dir={tmp_path / 'train'}")
    assert trained.returncode == 0, trained.stderr
    assert "qa_verdicts: " in trained.stdout and "examples" in trained.stdout

    # ... and as a rated set `evalkit validate` reads: one candidate per case, rated by both reviewers.
    items = [json.loads(line) for line in (tmp_path / "pull" / "rated.jsonl").read_text().splitlines()]
    ratings = {i["id"]: i["candidates"][0]["ratings"]["verdict"] for i in items}
    assert all(set(r) == {"ana", "ben"} for r in ratings.values())
    from evalkit.validity.rated import load_rated

    loaded = load_rated(str(tmp_path / "pull" / "rated.jsonl"))
    assert len(loaded.items) == len(items)
