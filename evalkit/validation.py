"""`evalkit validate`: score a human-rated set with any scorers and measure how well each agrees with the raters.

Writes, in the run directory: scores.csv (one row per candidate: every scorer, every mean rating), validity.json
(correlations with CIs, inter-annotator agreement, the combination if fitted), report.md; then logs it all to the
tracker as one run.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evalkit.agreement import Agreement, agreement
from evalkit.combination import CombinationSpec, LearnedCombination, learn_combination
from evalkit.rated.model import RatedSet
from evalkit.report.validity import render_validity
from evalkit.scorers.base import Scorer
from evalkit.scorers.combined import Combination
from evalkit.tracking import EvaluationRun, NullTracker, Tracker, metric_name
from evalkit.validity import ValidityRow, item_weights, validity_row


@dataclass(frozen=True)
class Validation:
    rated: RatedSet
    scorers: Sequence[Scorer]
    tracker: Tracker = field(default_factory=NullTracker)
    aspects: Sequence[str] | None = None
    batch_size: int = 64
    combination: CombinationSpec | None = None
    confidence: float = 0.95
    n_resamples: int = 1000
    seed: int = 0
    name: str = "validate"
    params: Mapping[str, Any] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ValidationOutcome:
    run_dir: Path
    run_id: str | None
    rated: RatedSet
    rows: tuple[ValidityRow, ...]
    agreement: tuple[Agreement, ...]
    combination: Combination | None
    report_path: Path

    def best(self, aspect: str, method: str = "spearman") -> ValidityRow | None:
        rows = [r for r in self.rows if r.aspect == aspect and not math.isnan(getattr(r, method).value)]
        return max(rows, key=lambda r: getattr(r, method).value, default=None)


def score_rated(rated: RatedSet, scorers: Sequence[Scorer], batch_size: int) -> dict[str, list[float | None]]:
    """Every scorer over every candidate; reference-based scorers skip items without a reference (None)."""
    cases, replies = rated.as_cases()
    has_reference = [item.reference is not None for item, _ in rated.rows]
    out: dict[str, list[float | None]] = {}
    for scorer in scorers:
        usable = [i for i, ok in enumerate(has_reference) if ok or not scorer.needs_reference]
        values: list[float | None] = [None] * len(cases)
        for start in range(0, len(usable), batch_size):
            batch = usable[start:start + batch_size]
            scores = scorer.score([cases[i] for i in batch], [replies[i] for i in batch])
            if len(scores) != len(batch):
                raise RuntimeError(f"scorer {scorer.name!r} returned {len(scores)} scores for {len(batch)} replies")
            for i, s in zip(batch, scores, strict=True):
                values[i] = s.value
        out[scorer.name] = values
    return out


def combine_rated(rated: RatedSet, scorers: Sequence[Scorer], spec: CombinationSpec, batch_size: int = 64,
                  confidence: float = 0.95, n_resamples: int = 1000, seed: int = 0) -> LearnedCombination:
    """Score a rated set and learn the combination of the scorers (what `evalkit train recipe=combined` does)."""
    items = [item.id for item, _ in rated.rows]
    human = {a: [c.mean_rating(a) for _, c in rated.rows] for a in rated.aspects}
    return learn_combination(score_rated(rated, scorers, batch_size),
                             {s.name: getattr(s, "higher_is_better", True) for s in scorers}, items, human, spec,
                             item_weights(items, n_resamples, seed), confidence)


def validate(validation: Validation, run_dir: Path) -> ValidationOutcome:
    rated = validation.rated
    aspects = list(validation.aspects or rated.aspects)
    unknown = [a for a in aspects if a not in rated.aspects]
    if unknown:
        raise ValueError(f"aspects {unknown} are not rated in {rated.path}; rated aspects: {rated.aspects}")
    names = [s.name for s in validation.scorers]
    if len(set(names)) != len(names):
        raise ValueError(f"scorer names must be unique, got {names}")
    items = [item.id for item, _ in rated.rows]
    human = {a: [c.mean_rating(a) for _, c in rated.rows] for a in aspects}
    scores = score_rated(rated, validation.scorers, validation.batch_size)
    direction = {s.name: getattr(s, "higher_is_better", True) for s in validation.scorers}

    weights = item_weights(items, validation.n_resamples, validation.seed)
    rows = [validity_row(name, aspect, items, values, human[aspect], weights, direction[name],
                         validation.confidence) for name, values in scores.items() for aspect in aspects]
    agreements = [agreement(a, *rated.rater_matrix(a)) for a in aspects]

    run_dir.mkdir(parents=True, exist_ok=True)
    combination = None
    if validation.combination is not None and names:
        spec = validation.combination
        learned = learn_combination(scores, direction, items, human, spec, weights, validation.confidence)
        rows += learned.rows
        combination = learned.combination
        combination.save(run_dir / "combination.json")
        if spec.out:
            combination.save(spec.out)

    scores_path = run_dir / "scores.csv"
    with scores_path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["item_id", "candidate_id", *names, *(f"human.{a}" for a in aspects)])
        for i, (item, candidate) in enumerate(rated.rows):
            writer.writerow([item.id, candidate.id, *(scores[n][i] for n in names), *(human[a][i] for a in aspects)])
    validity_path = run_dir / "validity.json"
    validity_path.write_text(json.dumps({
        "dataset": {"name": rated.name, "path": rated.path, "digest": rated.digest, "items": len(rated.items),
                    "candidates": len(items)},
        "correlations": [r.as_dict() for r in rows],
        "agreement": [a.as_dict() for a in agreements],
        "combination": None if combination is None else {
            "features": combination.features, "weights": combination.weights, "target": combination.target,
            "alpha": combination.alpha},
    }, indent=2, allow_nan=True))
    report_path = run_dir / "report.md"
    report_path.write_text(render_validity(validation.name, rated, rows, agreements, combination))

    metrics: dict[str, float] = {"items": len(rated.items), "candidates": len(items)}
    for r in rows:
        for method in ("spearman", "kendall", "pearson"):
            c = getattr(r, method)
            metrics[metric_name(r.scorer, r.aspect, method)] = c.value
            metrics[metric_name(r.scorer, r.aspect, method, "ci_low")] = c.ci_low
            metrics[metric_name(r.scorer, r.aspect, method, "ci_high")] = c.ci_high
    for a in agreements:
        for key in ("alpha_interval", "alpha_ordinal", "pairwise_spearman", "leave_one_out_spearman"):
            metrics[metric_name("human", a.aspect, key)] = getattr(a, key)
    artifacts = [report_path, validity_path, scores_path]
    artifacts += [p for p in (run_dir / "combination.json", run_dir / "config.yaml") if p.exists()]
    run_id = validation.tracker.log(EvaluationRun(
        name=validation.name, tags={**validation.tags, "evalkit.command": "validate",
                                    "evalkit.dataset_digest": rated.digest},
        params=validation.params, dataset_name=rated.name, dataset_path=rated.path, dataset_digest=rated.digest,
        dataset_rows=[{"item_id": item.id, "candidate_id": c.id} for item, c in rated.rows],
        metrics={k: v for k, v in metrics.items() if v == v}, artifacts=artifacts, bots=[],
    ))
    return ValidationOutcome(run_dir, run_id, rated, tuple(rows), tuple(agreements), combination, report_path)
