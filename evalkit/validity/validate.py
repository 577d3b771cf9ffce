"""How far scorers agree with human raters: score a rated set with any scorers, correlate each scorer with the mean
human rating per aspect (item-bootstrap CIs), measure the raters' own agreement (the ceiling), and optionally learn
a combination of the scorers. Pure measurement: evalkit.pipeline.validate writes, renders and tracks it."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from evalkit.contract import Scorer
from evalkit.errors import InvalidData
from evalkit.scorers.combined import Combination
from evalkit.summaries.run import StatsSettings
from evalkit.validity.agreement import Agreement, agreement
from evalkit.validity.combination import CombinationSpec, LearnedCombination, learn_combination
from evalkit.validity.correlation import ValidityRow, item_weights, validity_row
from evalkit.validity.rated.model import RatedSet


@dataclass(frozen=True)
class Validity:
    rated: RatedSet
    aspects: tuple[str, ...]
    scores: dict[str, list[float | None]]  # scorer -> one value per rated candidate (None: not scored)
    human: dict[str, list[float]]  # aspect -> mean human rating per rated candidate
    rows: tuple[ValidityRow, ...]
    agreement: tuple[Agreement, ...]
    combination: Combination | None = None

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


def _directions(scorers: Sequence[Scorer]) -> dict[str, bool]:
    # A direction-less scorer (a rate) is correlated as it is: agreement then reads "higher means rated higher".
    return {s.name: s.higher_is_better is not False for s in scorers}


ITEM_BOOTSTRAP = StatsSettings(n_resamples=1000)  # rated sets are small: 1,000 item resamples per correlation


def combine_rated(rated: RatedSet, scorers: Sequence[Scorer], spec: CombinationSpec, batch_size: int = 64,
                  stats: StatsSettings = ITEM_BOOTSTRAP) -> LearnedCombination:
    """Score a rated set and learn the combination of the scorers (what `evalkit train recipe=combined` does)."""
    items = [item.id for item, _ in rated.rows]
    human = {a: [c.mean_rating(a) for _, c in rated.rows] for a in rated.aspects}
    return learn_combination(score_rated(rated, scorers, batch_size), _directions(scorers), items, human, spec,
                             item_weights(items, stats.n_resamples, stats.seed), stats.confidence)


def measure(rated: RatedSet, scorers: Sequence[Scorer], aspects: Sequence[str] | None = None, batch_size: int = 64,
            combination: CombinationSpec | None = None, stats: StatsSettings = ITEM_BOOTSTRAP) -> Validity:
    aspects = tuple(aspects or rated.aspects)
    unknown = [a for a in aspects if a not in rated.aspects]
    if unknown:
        raise InvalidData(f"{rated.path}: aspects {unknown} are not rated; rated aspects: {rated.aspects}")
    items = [item.id for item, _ in rated.rows]
    human = {a: [c.mean_rating(a) for _, c in rated.rows] for a in aspects}
    scores = score_rated(rated, scorers, batch_size)
    directions = _directions(scorers)
    weights = item_weights(items, stats.n_resamples, stats.seed)
    rows = [validity_row(name, aspect, items, values, human[aspect], weights, directions[name], stats.confidence)
            for name, values in scores.items() for aspect in aspects]
    agreements = tuple(agreement(a, *rated.rater_matrix(a)) for a in aspects)
    learned = None
    if combination is not None and scorers:
        learned = learn_combination(scores, directions, items, human, combination, weights, stats.confidence)
        rows += learned.rows
    return Validity(rated, aspects, scores, human, tuple(rows), agreements,
                    learned.combination if learned else None)
