"""`evalkit validate`: measure how far scorers agree with human raters, then write, render and track the result.

Writes, in the run directory: scores.csv (one row per candidate: every scorer, every mean rating), validity.json
(correlations with CIs, inter-annotator agreement, the combination if fitted), report.md, combination.json when a
combination was fitted; then logs it all to the tracker as one run.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evalkit.contract import Scorer
from evalkit.files import write_text, writing
from evalkit.pipeline.evaluate import check_names
from evalkit.pipeline.publish import TRACKING_FILE, run_uid, track
from evalkit.report.validity import render_validity
from evalkit.summaries.judging import JudgeSummary, judge_metrics, summarize_judges
from evalkit.summaries.run import StatsSettings, metric_name
from evalkit.tracking.runs import EvaluationRun, NullTracker, Tracker
from evalkit.validity.combination import CombinationSpec
from evalkit.validity.rated.model import RatedSet
from evalkit.validity.validate import ITEM_BOOTSTRAP, Validity, measure


@dataclass(frozen=True)
class Validation:
    rated: RatedSet
    scorers: Sequence[Scorer]
    tracker: Tracker = field(default_factory=NullTracker)
    aspects: Sequence[str] | None = None
    batch_size: int = 64
    combination: CombinationSpec | None = None
    stats: StatsSettings = ITEM_BOOTSTRAP
    name: str = "validate"
    params: Mapping[str, Any] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ValidationOutcome:
    run_dir: Path
    run_id: str | None
    validity: Validity
    report_path: Path
    tracking_error: str | None = None
    judges: tuple[JudgeSummary, ...] = ()  # how the scorers' LLM judges fared


def validate(validation: Validation, run_dir: Path) -> ValidationOutcome:
    check_names("scorer", validation.scorers)
    result = measure(validation.rated, validation.scorers, validation.aspects, validation.batch_size,
                     validation.combination, validation.stats)
    rated = result.rated
    usage = {s.name: u.as_metrics() for s in validation.scorers if (u := s.judge_usage()) is not None}
    judges = summarize_judges(usage)
    run_dir.mkdir(parents=True, exist_ok=True)
    if result.combination is not None:
        result.combination.save(run_dir / "combination.json")
        if validation.combination and validation.combination.out:
            result.combination.save(validation.combination.out)

    names = list(result.scores)
    scores_path = run_dir / "scores.csv"
    with writing(scores_path), scores_path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["item_id", "candidate_id", *names, *(f"human.{a}" for a in result.aspects)])
        for i, (item, candidate) in enumerate(rated.rows):
            writer.writerow([item.id, candidate.id, *(result.scores[n][i] for n in names),
                             *(result.human[a][i] for a in result.aspects)])
    combination = result.combination
    validity_path = run_dir / "validity.json"
    write_text(validity_path, json.dumps({
        "dataset": {"name": rated.name, "path": rated.path, "digest": rated.digest, "items": len(rated.items),
                    "candidates": len(rated.rows)},
        "correlations": [r.as_dict() for r in result.rows],
        "agreement": [a.as_dict() for a in result.agreement],
        "combination": None if combination is None else {
            "features": combination.features, "weights": combination.weights, "target": combination.target,
            "alpha": combination.alpha},
        "judges": [j.as_dict() for j in judges],
    }, indent=2, allow_nan=True))
    report_path = run_dir / "report.md"
    write_text(report_path, render_validity(validation.name, rated, result.rows, result.agreement, combination,
                                                judges))

    run = EvaluationRun(
        uid=run_uid(run_dir), name=validation.name,
        tags={**validation.tags, "evalkit.command": "validate", "evalkit.dataset_digest": rated.digest},
        params=validation.params, dataset_name=rated.name, dataset_path=rated.path, dataset_digest=rated.digest,
        dataset_rows=len(rated.rows), dataset_columns=["item_id", "candidate_id"],
        metrics={**_metrics(result), **_judge_metrics(usage)},
        artifacts=[name for name in ("report.md", "validity.json", "scores.csv", "combination.json", "config.yaml")
                   if (run_dir / name).exists()],
    )
    run.save(run_dir / TRACKING_FILE)
    run_id, error = track(run, run_dir, validation.tracker)
    return ValidationOutcome(run_dir, run_id, result, report_path, error, judges)


def _judge_metrics(usage: Mapping[str, Mapping[str, float]]) -> dict[str, float]:
    """As an evaluation run logs them: each judging scorer's usage, failure share and flag."""
    derived = judge_metrics(usage)
    return {metric_name("judge", scorer, key): value for scorer, u in usage.items()
            for key, value in {**u, **derived[scorer]}.items() if value == value}


def _metrics(result: Validity) -> dict[str, float]:
    metrics: dict[str, float] = {"items": len(result.rated.items), "candidates": len(result.rated.rows)}
    for r in result.rows:
        for method in ("spearman", "kendall", "pearson"):
            c = getattr(r, method)
            metrics[metric_name(r.scorer, r.aspect, method)] = c.value
            metrics[metric_name(r.scorer, r.aspect, method, "ci_low")] = c.ci_low
            metrics[metric_name(r.scorer, r.aspect, method, "ci_high")] = c.ci_high
    for a in result.agreement:
        for key in ("alpha_interval", "alpha_ordinal", "pairwise_spearman", "leave_one_out_spearman"):
            metrics[metric_name("human", a.aspect, key)] = getattr(a, key)
    return {k: v for k, v in metrics.items() if v == v}
