import os

from mlflow.tracking import MlflowClient

from evalkit.summaries.run import metric_name
from evalkit.tracking.runs import BotRun, EvaluationRun, MlflowTracker, NullTracker
from evalkit.tracking.store import using
from evalkit.tracking.tables import write_table


def small_run(tmp_path) -> EvaluationRun:
    data = tmp_path / "data.jsonl"
    data.write_text("{}\n")
    (tmp_path / "report.md").write_text("# report\n")
    write_table(tmp_path / "tables" / "human" / "per_turn.json", ["case_id", "reply", "chrf"],
                [{"case_id": "c:1", "reply": "hi", "chrf": 1.0}])
    return EvaluationRun(
        uid="u1", name="t", tags={"evalkit.version": "x"}, params={"a.b": 1, "long": "x" * 100_000,
                                                                   **{f"p{i}": i for i in range(250)}},
        dataset_name="d", dataset_path=str(data), dataset_digest="0" * 64, dataset_rows=1, dataset_columns=["case_id"],
        metrics={"cases": 1}, artifacts=["report.md"],
        bots=[BotRun("human", {"chrf/mean": 1.0}, tables={"per_turn.json": "tables/human/per_turn.json"})],
    )


def test_embedded_store_keeps_artifacts_beside_it_and_leaves_the_environment_alone(tmp_path):
    tracker = MlflowTracker(store_dir=str(tmp_path / "store"))
    run = small_run(tmp_path)
    run_id = tracker.log(run, tmp_path)
    assert "MLFLOW_TRACKING_URI" not in os.environ  # a later tracker in this process must not be redirected
    client = MlflowClient(tracker.resolved_uri())
    logged = client.get_run(run_id)
    assert logged.info.artifact_uri.startswith((tmp_path / "store" / "mlartifacts").as_uri())
    assert len(logged.data.params["long"]) < 100_000  # cut to MLflow's own limit instead of failing the run
    assert len(logged.data.params) == 252  # more than one batch of params
    assert logged.info.status == "FINISHED" and logged.data.tags["evalkit.state"] == "complete"
    (child,) = client.search_runs([logged.info.experiment_id], f"tags.mlflow.parentRunId = '{run_id}'")
    assert child.data.metrics == {"chrf/mean": 1.0}
    with using(tracker.resolved_uri()):  # load_table searches runs through MLflow's global store
        table = client.load_table(logged.info.experiment_id, "per_turn.json", run_ids=[child.info.run_id])
    assert table["reply"].tolist() == ["hi"]  # MLflow reads the streamed file as its own table

    again = tracker.log(run, tmp_path)  # a resumed run replaces its earlier copy
    assert again != run_id and [r.info.run_id for r in client.search_runs(
        [logged.info.experiment_id], "tags.`evalkit.run_uid` = 'u1' and attributes.status = 'FINISHED'")
        if "mlflow.parentRunId" not in r.data.tags] == [again]
    assert tracker.sync(run, tmp_path) == (again, False)  # already complete: nothing logged


def test_configured_uri_wins_over_the_environment(tmp_path, monkeypatch, store_uri):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:///elsewhere.db")
    assert MlflowTracker(tracking_uri=store_uri).resolved_uri() == store_uri
    assert MlflowTracker(store_dir=str(tmp_path)).resolved_uri() == "sqlite:///elsewhere.db"


def test_null_tracker_and_metric_names():
    assert NullTracker().log(None, None) is None
    assert metric_name("slice", "intent", "late fee?", "chrf", "mean") == "slice/intent/late fee_/chrf/mean"
