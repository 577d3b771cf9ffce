"""Each evaluated bot is an MLflow logged model (a bot version) with the bot run's metrics linked to it, and a bot
run carries a headline set of metrics, its slices in a table."""

from __future__ import annotations

from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from mlflow import MlflowClient

from evalkit.cli.config import CONFIG_DIR, build
from evalkit.pipeline.evaluate import evaluate
from evalkit.tracking.runs import EvaluationRun, MlflowTracker
from evalkit.tracking.store import using


def demo_run(store_uri: str, run_dir: Path, bots: str = "[human,bot_v1,bot_v2]"):
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        cfg = compose("run", overrides=[f"tracker.tracking_uri={store_uri}", f"bots={bots}", "stats.n_resamples=100",
                                        "cache=off"])
    return evaluate(build(cfg), run_dir)


def test_bot_versions_are_logged_models_with_the_bot_runs_metrics(store_uri: str, tmp_path: Path):
    outcome = demo_run(store_uri, tmp_path / "run")
    client = MlflowClient(store_uri)
    experiment = client.get_experiment_by_name("evalkit").experiment_id
    parent = client.get_run(outcome.run_id)
    assert parent.info.run_name.startswith("demo · bot_v1, bot_v2 · 20")  # dataset · bots · date
    models = {m.name: m for m in client.search_logged_models([experiment])}
    assert set(models) == {"bot_v1", "bot_v2"}  # the human row is the baseline, not a version
    v2 = models["bot_v2"]
    assert v2.params["version"] == "v2" and v2.params["model"].endswith("replies_bot_v2.jsonl")
    assert v2.params["fingerprint"] == outcome.summary.fingerprints["bot_v2"] and v2.model_type == "agent"
    (child,) = client.search_runs([experiment], "tags.`evalkit.bot` = 'bot_v2'")
    assert v2.source_run_id == child.info.run_id
    assert child.data.params["version"] == "v2" and child.data.params["bot"] == "bot_v2"
    linked = {m.key: m.value for m in v2.metrics}
    assert linked["chrf/mean"] == child.data.metrics["chrf/mean"] == outcome.summary.overall("bot_v2", "chrf").mean
    assert 20 <= len(child.data.metrics) <= 60
    assert not any(k.startswith("slice/") or k.startswith("rubric/no_") for k in child.data.metrics)
    with using(store_uri):
        table = client.load_table(experiment, "slices.json", run_ids=[child.info.run_id])
    late = table[(table.scorer == "chrf") & (table.slice_value == "late_fee")].iloc[0]
    assert late["mean"] == pytest.approx(next(s.mean for s in outcome.summary.scores if s.bot == "bot_v2"
                                              and s.scorer == "chrf" and s.slice_value == "late_fee"))

    # Logged again (a resumed run, a sync): the earlier versions are replaced, not doubled.
    MlflowTracker(tracking_uri=store_uri).log(EvaluationRun.load(tmp_path / "run" / "tracking.json"),
                                              tmp_path / "run")
    assert sorted(m.name for m in client.search_logged_models([experiment])) == ["bot_v1", "bot_v2"]


def test_a_version_label_defaults_to_the_fingerprint(store_uri: str, tmp_path: Path):
    outcome = demo_run(store_uri, tmp_path / "run", "[human,retrieval]")
    client = MlflowClient(store_uri)
    (model,) = client.search_logged_models([client.get_experiment_by_name("evalkit").experiment_id])
    fingerprint = outcome.summary.fingerprints["retrieval"]
    assert model.params["version"] == fingerprint.rsplit("-", 1)[1][:8] and model.params["fingerprint"] == fingerprint
    assert model.params["bot.context_turns"] == "3"  # the bot's settings travel with the version


def test_the_history_keeps_each_versions_latest_evaluation(store_uri: str, tmp_path: Path):
    from evalkit.tracking.history import read_history

    demo_run(store_uri, tmp_path / "first", "[human,bot_v2]")
    second = demo_run(store_uri, tmp_path / "second", "[human,bot_v1,bot_v2]")
    history = read_history(store_uri, into=tmp_path / "fetched")
    assert [v.label for v in history.versions] == ["bot_v1 · v1", "bot_v2 · v2"]
    assert {v.parent_run_id for v in history.versions} == {second.run_id}  # the earlier bot_v2 run is superseded
    assert all(v.slices and v.model_id for v in history.versions)
