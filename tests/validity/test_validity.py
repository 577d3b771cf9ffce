"""Metric validity: bootstrap correlations, `evalkit validate` on the shipped rated set, logged to MLflow."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from evalkit.cli import main
from evalkit.tracking.store import using
from evalkit.validity.correlation import bootstrap_correlations, correlation, item_weights, validity_row


@pytest.mark.parametrize("method", ["pearson", "spearman", "kendall"])
def test_weighted_bootstrap_equals_the_statistic_on_the_expanded_resample(method: str) -> None:
    rng = np.random.default_rng(0)
    items = [f"item{i // 4}" for i in range(60)]
    x = rng.integers(0, 8, 60).astype(float)  # many ties, as ratings and overlap scores have
    y = np.round(x / 3 + rng.normal(0, 1, 60))
    weights = item_weights(items, 30, seed=1)
    assert np.all(weights.reshape(30, 15, 4) == weights.reshape(30, 15, 4)[:, :, :1])  # whole items are drawn
    expected = [correlation(method, np.repeat(x, w.astype(int)), np.repeat(y, w.astype(int))) for w in weights]
    assert bootstrap_correlations(method, weights, x, y) == pytest.approx(expected, abs=1e-12)


def test_lower_is_better_scorers_are_oriented_and_missing_scores_counted() -> None:
    items = [f"i{k // 2}" for k in range(40)]
    human = np.linspace(1, 5, 40)
    distance = [None if k == 3 else 10 - h for k, h in enumerate(human)]  # an error-rate-like score
    row = validity_row("distance", "overall", items, distance, human, item_weights(items, 200, 0),
                       higher_is_better=False)
    assert row.spearman.value == pytest.approx(1.0) and row.kendall.value == pytest.approx(1.0)
    assert (row.n, row.n_missing, row.n_items) == (39, 1, 20)


def test_validate_on_the_shipped_rated_set_reports_correlations_with_cis(tmp_path: Path, store_uri: str) -> None:
    run_dir = tmp_path / "run"
    main(["validate", "scorers=[chrf,token_f1]", f"tracker.tracking_uri={store_uri}", "fit_combination=true",
          f"combination.out={tmp_path / 'combined.json'}", "stats.n_resamples=300", f"hydra.run.dir={run_dir}"])
    result = json.loads((run_dir / "validity.json").read_text())
    rows = {(r["scorer"], r["aspect"]): r for r in result["correlations"]}
    assert set(rows) == {(s, a) for s in ("chrf", "token_f1", "combined (cross-validated)")
                         for a in ("appropriateness", "helpfulness", "overall")}
    for r in rows.values():
        for method in ("spearman", "kendall", "pearson"):
            assert -1 <= r[f"{method}_ci_low"] < r[method] < r[f"{method}_ci_high"] <= 1
        assert (r["n"], r["n_items"]) == (160, 40)
    # The simulated raters reward kept facts most, so overlap tracks helpfulness better than appropriateness.
    assert rows[("token_f1", "helpfulness")]["spearman"] > rows[("token_f1", "appropriateness")]["spearman"] + 0.1
    ceiling = {a["aspect"]: a for a in result["agreement"]}
    assert 0.3 < ceiling["overall"]["alpha_interval"] < 0.95 and ceiling["overall"]["raters"] == 3
    assert result["combination"]["features"] == ["chrf", "token_f1"]
    assert (tmp_path / "combined.json").is_file()
    report = (run_dir / "report.md").read_text()
    assert "## overall" in report and "Inter-annotator agreement (the ceiling)" in report

    import mlflow

    with using(store_uri):
        runs = mlflow.search_runs(experiment_names=["evalkit"], filter_string="tags.`evalkit.command` = 'validate'",
                                  output_format="list")
    [run] = runs
    metrics = run.data.metrics
    assert math.isclose(metrics["chrf/overall/spearman"], rows[("chrf", "overall")]["spearman"], rel_tol=1e-9)
    assert "chrf/overall/spearman/ci_low" in metrics and "human/overall/alpha_interval" in metrics


def test_validate_rejects_a_missing_file_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["validate", "tracker=none", f"rated.path={tmp_path / 'nope.jsonl'}", f"hydra.run.dir={tmp_path}"])
    assert exit_info.value.code == 2
    assert "nope.jsonl: no such rated dataset file" in capsys.readouterr().err
