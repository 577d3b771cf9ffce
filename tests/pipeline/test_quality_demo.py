"""The default demo run: parity per intent with CIs and missed handoffs lead the report and MLflow metrics."""

from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir

from evalkit.cli.config import CONFIG_DIR, build
from evalkit.errors import InvalidData
from evalkit.pipeline.evaluate import evaluate
from evalkit.tracking.store import using


@pytest.mark.slow
def test_demo_report_leads_with_parity_per_intent_and_missed_handoffs(store_uri: str, tmp_path: Path):
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        cfg = compose("run", overrides=[f"tracker.tracking_uri={store_uri}", "bots=[human,bot_v1,bot_v2]",
                                        "stats.n_resamples=200"])
    outcome = evaluate(build(cfg), tmp_path)
    report = outcome.report_path.read_text()
    assert report.index("## Human parity") < report.index("## Handoffs") < report.index("## Scores")
    assert "### relevance parity by intent" in report and "### rubric" not in report  # rules: checks, no parity
    late_fee_v2 = next(line for line in report.splitlines() if line.startswith("| bot_v2 · late_fee |"))
    assert "[" in late_fee_v2 and "%" in late_fee_v2  # bot, human, difference with its CI, parity
    headline = next(line for line in report.splitlines() if line.startswith("- **bot_v2**: relevance at"))
    assert "significantly below on intent=late_fee" in headline
    assert "### Missed handoffs" in report and "#### bot_v1: " in report  # grouped by bot

    import mlflow

    client = mlflow.MlflowClient(store_uri)
    children = client.search_runs([client.get_experiment_by_name("evalkit").experiment_id],
                                  filter_string="tags.`evalkit.bot` = 'bot_v1'")
    metrics = children[0].data.metrics
    assert metrics["parity/relevance/diff"] < 0 and metrics["parity/relevance/ci_high"] < 0
    assert 0 < metrics["parity/relevance/ratio"] < 1 and "parity/rubric/diff" not in metrics
    assert len(metrics) <= 60 and not any(k.startswith("slice/") for k in metrics)
    assert metrics["handoff/recall"] < 0.5 and "rubric/mean" in metrics
    with using(store_uri):  # load_table searches runs through MLflow's global store
        table = client.load_table(children[0].info.experiment_id, "slices.json", run_ids=[children[0].info.run_id])
    late_fee = table[(table.slice_value == "late_fee") & (table.scorer == "relevance")].iloc[0]
    assert late_fee.parity_diff == late_fee.parity_diff and 0 < late_fee.human_mean < 1  # bot_v1's: not NaN
    assert "rubric/no_placeholder_leak" in set(table.scorer)  # rubric parts are rows of the table


# A rubric is a config group now: a typo in one criterion's check (its type or one of its settings) is the old
# "unknown judge type" mistake, and must stop the run just as early, in one line naming the config key.
@pytest.mark.parametrize("check, says", [
    ("{_target_:evalkit.scorers.rubric.rules.Regexx,pattern:x}", "evalkit.scorers.rubric.rules.Regexx"),
    ("{_target_:evalkit.scorers.rubric.rules.Regex,patern:x}", "patern"),
], ids=["type", "setting"])
def test_a_rubric_typo_stops_the_run_at_build_time(check: str, says: str):
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        cfg = compose("run", overrides=["tracker=none", f"+rubric.criteria.tone={{weight:1,check:{check}}}"])
    # Raised as InvalidData (not Hydra's multi-line wrapper), so `evalkit run` prints it in one line and exits 2.
    with pytest.raises(InvalidData, match=r"^scorers\.rubric\.criteria\.tone\.check: ") as raised:
        build(cfg)
    assert says in str(raised.value) and "\n" not in str(raised.value)
