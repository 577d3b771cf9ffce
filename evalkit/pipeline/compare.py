"""`evalkit compare`: load the compared runs, pair and test them, check the gate, write and track the comparison."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from evalkit.compare.gate import GateRule, Violation, check_gate, check_rules
from evalkit.compare.paired import Settings
from evalkit.compare.session import ComparisonOutcome, compare_sides
from evalkit.compare.sources import Side, load_sources
from evalkit.files import write_text
from evalkit.report.comparison import render_comparison
from evalkit.report.comparison_page import render_comparison_html
from evalkit.tracking.comparison import log_comparison
from evalkit.tracking.fetch import fetch_run
from evalkit.tracking.runs import MlflowTracker


@dataclass(frozen=True)
class Comparison:
    baseline: Side
    candidates: Sequence[Side]
    settings: Settings = field(default_factory=Settings)
    scorers: Sequence[str] | None = None  # None: every scorer both sides have
    slices: Sequence[str] = ()
    primary: str | None = None  # the largest regressions are listed by this scorer
    top_regressions: int = 5
    higher_is_better: Mapping[str, bool | None] = field(default_factory=dict)
    gate: Sequence[GateRule] | None = None  # None: no gate
    store: MlflowTracker = field(default_factory=MlflowTracker)  # where runs named by id are fetched from
    track: bool = True  # log a comparison run into the store
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ComparisonResult:
    outcome: ComparisonOutcome
    violations: tuple[Violation, ...] | None  # None: no gate
    report_path: Path
    run_id: str | None


def compare(comparison: Comparison, out_dir: Path) -> ComparisonResult:
    sides = (comparison.baseline, *comparison.candidates)
    store = comparison.store
    loaded = load_sources([s.source for s in sides],
                          lambda run_id: fetch_run(run_id, store.resolved_uri(), out_dir / "fetched" / run_id))
    outcome = compare_sides(
        comparison.baseline, comparison.candidates, loaded, comparison.settings, scorers=comparison.scorers,
        slice_keys=comparison.slices, primary=comparison.primary, top_regressions=comparison.top_regressions,
        higher_is_better=comparison.higher_is_better)
    violations = None
    if comparison.gate:
        check_rules(comparison.gate, outcome.scorers)
        violations = tuple(check_gate(outcome.comparisons, comparison.gate, comparison.settings.alpha))

    out_dir.mkdir(parents=True, exist_ok=True)
    report = out_dir / "comparison.md"
    markdown = render_comparison(outcome.comparisons, comparison.settings, violations, dict(outcome.sources))
    write_text(report, markdown)
    page = write_text(out_dir / "report.html", render_comparison_html(
        outcome.comparisons, comparison.settings, markdown,
        [f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC", *(f"{name}: {source}" for name, source
                                                      in outcome.sources.items())]))
    data = out_dir / "comparison.json"
    write_text(data, json.dumps({
        "sources": outcome.sources, "run_ids": outcome.run_ids, "fingerprints": outcome.fingerprints,
        "scorers": {k: {"higher_is_better": v} for k, v in outcome.scorers.items()},
        "gate": None if violations is None else {"passed": not violations,
                                                 "violations": [v.describe() for v in violations]},
        "comparisons": [{"candidate": c.candidate, "baseline": c.baseline, "n_shared": c.n_shared,
                         "rows": [r.as_dict() for r in c.rows],
                         "regressions": [vars(r) | {"context": list(r.context), "slices": dict(r.slices)}
                                         for r in c.regressions]} for c in outcome.comparisons],
    }, indent=2, allow_nan=True))
    run_id = None
    if comparison.track:
        run_id = log_comparison(store, outcome.comparisons, outcome.run_ids, comparison.params,
                                [report, page, data, *([out_dir / "config.yaml"] if (out_dir / "config.yaml").exists()
                                                 else [])],
                                None if violations is None else not violations)
    return ComparisonResult(outcome, violations, report, run_id)
