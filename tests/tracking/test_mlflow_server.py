"""Against a real `mlflow server` (SQLite backend, proxied artifacts), as a team set-up would run it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import mlflow
import pytest

from evalkit.bots.recorded import RecordedBot
from evalkit.compare.paired import Settings
from evalkit.compare.session import compare_sides
from evalkit.compare.sources import Side
from evalkit.loaders.table import TableLoader
from evalkit.pipeline.evaluate import Evaluation, evaluate
from evalkit.scorers.overlap import ChrF, TokenF1
from evalkit.summaries.run import StatsSettings
from evalkit.summaries.slices import OVERALL
from evalkit.tracking.fetch import fetch_run
from evalkit.tracking.runs import MlflowTracker
from tests.data import DEMO
from tests.mlflow_server import mlflow_server

pytestmark = pytest.mark.slow


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    with mlflow_server(tmp_path) as url:
        yield url


def test_evaluation_logs_to_a_server_and_compares_by_run_id(server: str, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", server)
    outcome = evaluate(Evaluation(
        dataset=TableLoader(str(DEMO / "transcripts.jsonl"), name="demo"),
        bots=[RecordedBot(str(DEMO / "replies_bot_v1.jsonl"), "bot_v1"),
              RecordedBot(str(DEMO / "replies_bot_v2.jsonl"), "bot_v2")],
        scorers=[ChrF(), TokenF1()], tracker=MlflowTracker(experiment="server-test"),
        stats=StatsSettings(n_resamples=100),
    ), tmp_path / "run")

    client = mlflow.MlflowClient(server)
    parent = client.get_run(outcome.run_id)
    assert parent.data.tags["evalkit.dataset_digest"] == outcome.summary.dataset.digest
    assert parent.data.params["env.mlflow"] == mlflow.__version__
    assert {"results.jsonl", "summary.json", "report.md", "environment.json"} <= {
        a.path for a in client.list_artifacts(outcome.run_id)}
    nested = client.search_runs([parent.info.experiment_id],
                                filter_string=f"tags.mlflow.parentRunId = '{outcome.run_id}'")
    by_bot = {r.data.tags["evalkit.bot"]: r for r in nested}
    assert sorted(by_bot) == ["bot_v1", "bot_v2", "human"]
    assert by_bot["bot_v2"].data.tags["evalkit.bot_fingerprint"].startswith("recorded-")
    table_path = client.download_artifacts(by_bot["bot_v2"].info.run_id, "per_turn.json", str(tmp_path))
    table = json.loads(Path(table_path).read_text())
    assert len(table["data"]) == 291 and {"case_id", "reply", "reference", "chrf"} <= set(table["columns"])

    # An earlier run, by id, through the server: baseline and candidate fetched from its artifacts.
    run = fetch_run(outcome.run_id, server, tmp_path / "fetched")
    settings = Settings(stats=StatsSettings(n_resamples=200), n_permutations=999)
    result = compare_sides(Side("bot_v1", outcome.run_id), [Side("bot_v2", outcome.run_id)],
                           {outcome.run_id: run}, settings, slice_keys=["intent"])
    overall = [r for r in result.comparisons[0].rows if r.slice_key == OVERALL]
    assert all(r.verdict(0.05) == "better" for r in overall)
    assert result.run_ids == {"bot_v1": outcome.run_id, "bot_v2": outcome.run_id}
