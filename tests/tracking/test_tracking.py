import os

from mlflow.tracking import MlflowClient

from evalkit.summaries.run import metric_name
from evalkit.tracking.runs import BotRun, EvaluationRun, MlflowTracker, NullTracker


def small_run(tmp_path) -> EvaluationRun:
    data = tmp_path / "data.jsonl"
    data.write_text("{}\n")
    report = tmp_path / "report.md"
    report.write_text("# report\n")
    return EvaluationRun(
        name="t", tags={"evalkit.version": "x"}, params={"a.b": 1, "long": "x" * 100_000},
        dataset_name="d", dataset_path=str(data), dataset_digest="0" * 64, dataset_rows=[{"case_id": "c:1"}],
        metrics={"cases": 1}, artifacts=[report],
        bots=[BotRun("human", {"chrf/mean": 1.0}, [{"case_id": "c:1", "reply": "hi", "chrf": 1.0}])],
    )


def test_embedded_store_keeps_artifacts_beside_it_and_leaves_the_environment_alone(tmp_path):
    tracker = MlflowTracker(store_dir=str(tmp_path / "store"))
    run_id = tracker.log(small_run(tmp_path))
    assert "MLFLOW_TRACKING_URI" not in os.environ  # a later tracker in this process must not be redirected
    client = MlflowClient(tracker.resolved_uri())
    run = client.get_run(run_id)
    assert run.info.artifact_uri.startswith((tmp_path / "store" / "mlartifacts").as_uri())
    assert len(run.data.params["long"]) < 100_000  # cut to MLflow's own limit instead of failing the run
    (child,) = client.search_runs([run.info.experiment_id], f"tags.mlflow.parentRunId = '{run_id}'")
    assert child.data.metrics == {"chrf/mean": 1.0}


def test_configured_uri_wins_over_the_environment(tmp_path, monkeypatch, store_uri):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:///elsewhere.db")
    assert MlflowTracker(tracking_uri=store_uri).resolved_uri() == store_uri
    assert MlflowTracker(store_dir=str(tmp_path)).resolved_uri() == "sqlite:///elsewhere.db"


def test_null_tracker_and_metric_names():
    assert NullTracker().log(None) is None
    assert metric_name("slice", "intent", "late fee?", "chrf", "mean") == "slice/intent/late fee_/chrf/mean"
