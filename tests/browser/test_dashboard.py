"""Acceptance: three evaluations of three bot versions (bot_v1, bot_v2, the retrieval baseline) on the demo set give a
dashboard whose trend and per-intent gap are the MLflow metrics and tables they come from, whose headline names
bot_v2's late_fee regression and its missed handoffs, and which renders in Chromium offline at laptop width. The
runs' report.html and the comparison's render too."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from mlflow import MlflowClient

from evalkit.cli.config import CONFIG_DIR, build
from evalkit.pipeline.evaluate import evaluate
from evalkit.tracking.store import embedded_uri, using
from tests.browser.pages import charts, inked_share, overflows, trace
from tests.data import PROJECT_ROOT

pytestmark = pytest.mark.slow

BOTS = ("bot_v1", "bot_v2", "retrieval")


def evalkit(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", "HF_DATASETS_OFFLINE": "1", "COLUMNS": "100"}
    return subprocess.run([sys.executable, "-m", "evalkit", *args], cwd=PROJECT_ROOT, env=env, capture_output=True,
                          text=True, timeout=300)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One embedded store holding three evaluations, one bot version each, run one after the other."""
    root = tmp_path_factory.mktemp("versions")
    for bot in BOTS:
        with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
            cfg = compose("run", overrides=[f"tracker.store_dir={root}", f"bots=[human,{bot}]", "cache=off",
                                            "stats.n_resamples=300"])
        evaluate(build(cfg), root / f"run_{bot}")
    return root


@pytest.fixture(scope="module")
def dashboard(store: Path) -> Path:
    out = evalkit("dashboard", f"tracker.store_dir={store}", f"hydra.run.dir={store / 'dashboard'}")
    assert out.returncode == 0, out.stderr
    assert all(bot in out.stdout for bot in BOTS) and "dashboard:" in out.stdout
    return store / "dashboard" / "dashboard.html"


def bot_runs(store: Path) -> list:
    client = MlflowClient(embedded_uri(store))
    experiment = client.get_experiment_by_name("evalkit").experiment_id
    runs = client.search_runs([experiment], "tags.`evalkit.bot` != 'human'", order_by=["attributes.start_time ASC"])
    return [r for r in runs if r.data.tags.get("evalkit.bot") in BOTS]


def slices(store: Path, run) -> list[dict]:
    client = MlflowClient(embedded_uri(store))
    with using(embedded_uri(store)):
        table = client.load_table(run.info.experiment_id, "slices.json", run_ids=[run.info.run_id])
    return table.to_dict("records")


def same(shown: float | None, stored: float) -> bool:
    return (shown is None and math.isnan(stored)) or (shown is not None and math.isclose(shown, stored,
                                                                                          rel_tol=1e-9))


def test_dashboard_of_three_versions_shows_the_mlflow_numbers(dashboard: Path, store: Path, visit):
    runs = bot_runs(store)
    assert [r.data.params["bot"] for r in runs] == list(BOTS)
    assert all(len(r.data.metrics) <= 60 for r in runs)  # a headline set, not one metric per slice × scorer

    visit.page.goto(dashboard.as_uri())
    visit.page.wait_for_selector(".js-plotly-plot .main-svg")
    assert visit.errors == [] and visit.refused == []
    assert not overflows(visit.page)
    found = charts(visit.page)
    assert len(found) >= 5 and all(any(t["x"] or t["z"] for t in c["traces"]) for c in found)  # every chart has data

    # The trend is the bot runs' metrics, version by version.
    chrf = trace(found, "chrf/mean")
    assert all(same(y, r.data.metrics["chrf/mean"]) for y, r in zip(chrf["y"], runs, strict=True))
    recall = trace(found, "handoff/recall")
    assert same(recall["y"][1], runs[1].data.metrics["handoff/recall"])

    # The per-intent gap is each bot run's slices table in MLflow.
    gap = trace(found, "parity/relevance")  # the run's parity headline scorer
    for row_values, run in zip(gap["z"], runs, strict=True):
        table = {r["slice_value"]: r["parity_diff"] for r in slices(store, run)
                 if r["slice_key"] == "intent" and r["scorer"] == "relevance"}
        assert all(same(value, table[intent]) for value, intent in zip(row_values, gap["x"], strict=True))

    headline = visit.page.inner_text("#headline")
    late_v1, late_v2 = ({r["slice_value"]: r for r in slices(store, run) if r["scorer"] == "chrf"}["late_fee"]
                        for run in runs[:2])
    assert late_v2["ci_high"] < late_v1["ci_low"]  # the planted regression, as MLflow holds it
    assert "bot_v2 got worse than bot_v1 on intent=late_fee: chrf 13.0 [" in headline and "vs 23.0 [" in headline
    missed, got = (int(runs[1].data.metrics[f"handoff/{k}"]) for k in ("fn", "tp"))
    assert f"bot_v2: {missed} of {missed + got} customers who needed a human" in headline
    assert "bot_v2: 11 of 39 customers who needed a human" in headline and "bot_v1: 28 of 37" in headline

    links = visit.page.eval_on_selector_all("#links a", "els => els.map(e => e.href)")
    assert all(any(r.info.run_id in href for href in links) for r in runs)

    # How far to trust each charted score: the evaluation's validity tags in MLflow, or said to be unmeasured.
    trust = visit.page.inner_text("#trust + ul")
    parent = MlflowClient(embedded_uri(store)).get_run(runs[-1].data.tags["mlflow.parentRunId"])
    assert f"relevance: {parent.data.tags['evalkit.validity.relevance']}" in trust
    assert "Spearman 0.16 [0.06, 0.26] with Overall on FED" in trust
    assert "chrf: not measured against human ratings" in trust
    shot = visit.page.screenshot(full_page=True)
    assert inked_share(shot) > 0.05

    client = MlflowClient(embedded_uri(store))
    (logged,) = client.search_runs([runs[0].info.experiment_id], "tags.`evalkit.kind` = 'dashboard'")
    assert "dashboard.html" in {a.path for a in client.list_artifacts(logged.info.run_id)}


def test_run_and_comparison_reports_render_with_their_charts(store: Path, visit):
    (run_v2,) = [r for r in bot_runs(store) if r.data.params["bot"] == "bot_v2"]
    report = store / "run_bot_v2" / "report.html"
    visit.page.goto(report.as_uri())
    visit.page.wait_for_selector(".js-plotly-plot .main-svg")
    assert visit.errors == [] and visit.refused == [] and not overflows(visit.page)
    found = charts(visit.page)
    assert found and all(any(t["x"] or t["z"] for t in c["traces"]) for c in found)
    bars = trace(found, "chrf/bot_v2")
    table = {r["slice_value"]: r["mean"] for r in slices(store, run_v2) if r["slice_key"] == "intent"
             and r["scorer"] == "chrf"}
    assert all(same(y, table[x]) for x, y in zip(bars["x"], bars["y"], strict=True))
    text = visit.page.inner_text("main")
    parent = (store / "run_bot_v2" / "mlflow_run_id").read_text().strip()
    assert "demo: bot_v2 vs human agents" in text and parent in text and "bots: human, bot_v2" in text
    headings = visit.page.eval_on_selector_all("h4", "els => els.map(e => e.textContent)")
    assert "Missed handoffs" in text and any(h.startswith("bot_v2: ") for h in headings)  # listed per bot

    out = evalkit("compare", f"baseline=bot_v1@{store / 'run_bot_v1'}", f"candidates=[bot_v2@{store / 'run_bot_v2'}]",
                  "track=false", f"hydra.run.dir={store / 'compare'}")
    assert out.returncode == 0, out.stderr
    said = " ".join(out.stdout.split())
    verdict = said[said.index("bot_v2 vs bot_v1: significantly worse on:"):said.index("largest regressions")]
    assert "intent=late_fee, chrf -" in verdict and "all, chrf +" in verdict.split("better on:")[1]
    assert "largest regressions" in out.stdout
    assert max(len(line) for line in out.stdout.splitlines()) <= 100  # the terminal's width (COLUMNS=100)
    assert "diff [95% CI]" in out.stdout and "d_z" not in out.stdout  # the compact table: the full one needs more
    visit.page.goto((store / "compare" / "report.html").as_uri())
    visit.page.wait_for_selector(".js-plotly-plot .main-svg")
    assert visit.errors == [] and visit.refused == [] and not overflows(visit.page)
    diffs = trace(charts(visit.page), "diff/bot_v2")
    rows = json.loads((store / "compare" / "comparison.json").read_text())["comparisons"][0]["rows"]
    late = next(r for r in rows if r["slice_value"] == "late_fee" and r["scorer"] == "chrf")
    assert any(same(x, late["diff"]) for x in diffs["x"])


def test_a_dashboard_of_named_runs_links_their_audit_pages(store: Path, tmp_path: Path):
    runs = bot_runs(store)
    parents = [r.data.tags["mlflow.parentRunId"] for r in runs[:2]]
    audit = tmp_path / "audit.html"
    audit.write_text("<html><body>audit</body></html>")
    MlflowClient(embedded_uri(store)).log_artifact(parents[1], str(audit))  # as `evalkit audit` leaves one
    out = evalkit("dashboard", f"tracker.store_dir={store}", f"runs=[{','.join(parents)}]", "track=false",
                  f"hydra.run.dir={tmp_path / 'named'}")
    assert out.returncode == 0, out.stderr
    assert "bot_v1 · v1" in out.stdout and "bot_v2 · v2" in out.stdout and "retrieval" not in out.stdout
    page = (tmp_path / "named" / "dashboard.html").read_text()
    assert f"get-artifact?path=audit.html&amp;run_uuid={parents[1]}" in page
    assert f"run_uuid={parents[0]}" not in page  # bot_v1's evaluation has no audit page

    by_name = evalkit("dashboard", f"tracker.store_dir={store}", "mlflow_experiment=evalkit", "track=false",
                      f"hydra.run.dir={tmp_path / 'experiment'}")
    assert by_name.returncode == 0 and all(bot in by_name.stdout for bot in BOTS)
