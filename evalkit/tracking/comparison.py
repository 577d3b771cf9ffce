"""The comparison run in MLflow: tags link the compared runs, params say how, metrics carry the differences."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from evalkit.compare.paired import CandidateComparison
from evalkit.summaries.run import metric_name
from evalkit.summaries.slices import OVERALL
from evalkit.tracking.runs import MlflowTracker

SLICES_TABLE = "slices.json"
SLICE_COLUMNS = ("candidate", "baseline", "slice_key", "slice_value", "scorer", "n", "baseline_mean", "candidate_mean",
                 "diff", "ci_low", "ci_high", "p_value", "p_adjusted", "effect_size", "wins", "ties", "losses")


def slice_rows(comparisons: Sequence[CandidateComparison]) -> dict[str, list[object]]:
    """Every paired row (overall and per slice) as table columns, for MLflow's table view."""
    rows = [{"candidate": c.candidate, "baseline": c.baseline, **{k: getattr(r, k) for k in SLICE_COLUMNS[2:]}}
            for c in comparisons for r in c.rows]
    return {column: [None if isinstance(v := row[column], float) and v != v else v for row in rows]
            for column in SLICE_COLUMNS}


def log_comparison(
    tracker: MlflowTracker, comparisons: Sequence[CandidateComparison], run_ids: Mapping[str, str | None],
    params: Mapping[str, object], artifacts: Sequence[Path], gate_passed: bool | None,
) -> str:
    """Into the tracker's store and experiment, so comparisons sit beside the runs they compare."""
    import mlflow
    from mlflow.utils.validation import MAX_PARAM_VAL_LENGTH

    with tracker.active():
        baseline = comparisons[0].baseline if comparisons else ""
        tags = {"evalkit.kind": "comparison", "evalkit.baseline": baseline,
                "evalkit.candidates": ",".join(c.candidate for c in comparisons)}
        # bot label -> the evaluation run it came from; one tag per compared bot, and the baseline's on its own.
        tags.update({f"evalkit.compared_run.{metric_name(name)}": rid for name, rid in run_ids.items() if rid})
        if run_ids.get(baseline):
            tags["evalkit.baseline_run_id"] = str(run_ids[baseline])
        if gate_passed is not None:
            tags["evalkit.gate"] = "passed" if gate_passed else "failed"
        metrics: dict[str, float] = {}
        for comparison in comparisons:
            metrics[metric_name(comparison.candidate, "n_shared")] = comparison.n_shared
            for row in comparison.rows:
                if row.slice_key != OVERALL:
                    continue  # per slice: the run's table, not one metric per slice × scorer × statistic
                for stat in ("diff", "ci_low", "ci_high", "p_adjusted", "effect_size"):
                    metrics[metric_name(comparison.candidate, row.scorer, stat)] = getattr(row, stat)
                if row.n:
                    metrics[metric_name(comparison.candidate, row.scorer, "win_rate")] = row.wins / row.n
        metrics = {k: float(v) for k, v in metrics.items() if v == v and abs(v) != float("inf")}
        with mlflow.start_run(experiment_id=tracker.experiment_id(),
                              run_name=f"compare {', '.join(c.candidate for c in comparisons)} vs {baseline}",
                              tags=tags) as run:
            mlflow.log_params({k: str(v)[:MAX_PARAM_VAL_LENGTH] for k, v in params.items()})
            mlflow.log_metrics(metrics)
            mlflow.log_table(slice_rows(comparisons), artifact_file=SLICES_TABLE)
            for path in artifacts:
                mlflow.log_artifact(str(path))
            return run.info.run_id
