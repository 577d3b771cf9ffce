"""Resolve the compared bots to their records and compare each candidate with the baseline."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from evalkit.compare.paired import CandidateComparison, Settings, compare_bots
from evalkit.compare.sources import RunResults, Side
from evalkit.errors import InvalidData


@dataclass(frozen=True)
class ComparisonOutcome:
    comparisons: tuple[CandidateComparison, ...]
    sources: Mapping[str, str]  # bot label -> where its results came from
    run_ids: Mapping[str, str | None]  # bot label -> MLflow parent run, when known
    fingerprints: Mapping[str, str]
    scorers: Mapping[str, bool | None]  # compared scorer -> higher_is_better (None: no direction)


def labels(sides: Sequence[Side]) -> list[str]:
    """Bot names, unless the same bot is compared across runs: then bot@source."""
    names = [s.bot for s in sides]
    if len(set(names)) == len(names):
        return names
    return [f"{s.bot}@{s.source if len(s.source) <= 12 else s.source[-12:]}" for s in sides]


def compare_sides(
    baseline: Side, candidates: Sequence[Side], loaded: Mapping[str, RunResults], settings: Settings,
    scorers: Sequence[str] | None = None, slice_keys: Sequence[str] = (), primary: str | None = None,
    top_regressions: int = 5, higher_is_better: Mapping[str, bool | None] | None = None,
) -> ComparisonOutcome:
    if not candidates:
        raise InvalidData("compare: name at least one candidate (candidates=[bot, ...])")
    sides = [baseline, *candidates]
    names = labels(sides)
    records = [loaded[s.source].of(s.bot) for s in sides]
    directions = _directions(sides, loaded, higher_is_better or {})
    comparisons = []
    for side, name, cand_records in zip(candidates, names[1:], records[1:], strict=True):
        available = _scored(records[0]) & _scored(cand_records)
        chosen = list(scorers) if scorers else sorted(available)
        missing = [s for s in chosen if s not in available]
        if missing:
            raise InvalidData(f"compare: scorer(s) {', '.join(missing)} not in both {baseline.bot} "
                              f"({baseline.source}) and {side.bot} ({side.source})")
        comparisons.append(compare_bots(
            records[0], cand_records, {s: directions.get(s, True) for s in chosen}, slice_keys, settings,
            primary, top_regressions, names=(names[0], name)))
        if comparisons[-1].n_shared == 0:
            raise InvalidData(f"compare: {baseline.bot} and {side.bot} share no cases")
    compared = {s for c in comparisons for s in {r.scorer for r in c.rows}}
    return ComparisonOutcome(
        comparisons=tuple(comparisons),
        sources=dict(zip(names, (s.source for s in sides), strict=True)),
        run_ids=dict(zip(names, (loaded[s.source].run_id for s in sides), strict=True)),
        fingerprints={n: loaded[s.source].fingerprints[s.bot] for n, s in zip(names, sides, strict=True)
                      if s.bot in loaded[s.source].fingerprints},
        scorers={s: directions.get(s, True) for s in sorted(compared)},
    )


def _scored(records: Sequence) -> set[str]:
    return {name for r in records for name in r.scores}


def _directions(sides: Sequence[Side], loaded: Mapping[str, RunResults], overrides: Mapping[str, bool | None]
                ) -> dict[str, bool | None]:
    found: dict[str, bool | None] = {}
    for source in dict.fromkeys(s.source for s in sides):
        for scorer, higher in loaded[source].higher_is_better.items():
            if scorer in found and found[scorer] != higher and scorer not in overrides:
                raise InvalidData(f"compare: runs disagree on whether higher {scorer} is better; set "
                                  f"higher_is_better.{scorer}=true|false")
            found[scorer] = higher
    unknown = {name for s in sides for r in loaded[s.source].of(s.bot) for name in r.scores} - found.keys()
    unknown -= overrides.keys()
    if unknown:
        warnings.warn(f"no recorded direction for {', '.join(sorted(unknown))} (older run?): assuming higher is "
                      "better; set higher_is_better.<scorer>=false where it is not", stacklevel=2)
    return {**found, **overrides}
