"""What `evalkit compare` prints and writes: per candidate, a table of paired differences and the worst regressions."""

from __future__ import annotations

import math
from collections.abc import Sequence

from rich.console import Console
from rich.table import Table

from evalkit.comparison.gate import Violation
from evalkit.comparison.paired import CandidateComparison, PairedRow, Settings
from evalkit.summary import OVERALL


def _num(value: float, digits: int = 3) -> str:
    return "–" if value is None or math.isnan(value) else f"{value:.{digits}f}"


def _p(value: float) -> str:
    return "–" if math.isnan(value) else (f"{value:.1e}" if value < 1e-3 else f"{value:.3f}")


def _where(row: PairedRow) -> str:
    return "all" if row.slice_key == OVERALL else f"{row.slice_key}={row.slice_value}"


def _cells(row: PairedRow, alpha: float) -> list[str]:
    return [row.scorer, _where(row), str(row.n), _num(row.baseline_mean), _num(row.candidate_mean),
            f"{row.diff:+.3f} [{row.ci_low:+.3f}, {row.ci_high:+.3f}]" if not math.isnan(row.diff) else "–",
            _p(row.p_value), _p(row.p_adjusted), _num(row.effect_size, 2), f"{row.wins}/{row.ties}/{row.losses}",
            row.verdict(alpha)]


HEADER = ["scorer", "slice", "n", "baseline", "candidate", "diff [95% CI]", "p", "p adj", "d_z", "W/T/L", "verdict"]


def _shown(comparison: CandidateComparison, alpha: float) -> list[PairedRow]:
    """Every overall row, and slice rows only where something is significant: the table stays readable."""
    return [r for r in comparison.rows if r.slice_key == OVERALL or r.verdict(alpha) != "no sig. diff"]


def print_comparison(comparisons: Sequence[CandidateComparison], settings: Settings, violations: Sequence[Violation],
                     console: Console | None = None) -> None:
    console = console or Console(width=180)
    for comparison in comparisons:
        table = Table(title=f"{comparison.candidate} vs {comparison.baseline}: {comparison.n_shared} shared cases, "
                            f"{settings.test} test, {settings.correction} correction, alpha={settings.alpha}")
        for name in HEADER:
            table.add_column(name, justify="left" if name in ("scorer", "slice", "verdict") else "right")
        for row in _shown(comparison, settings.alpha):
            style = {"better": "green", "worse": "red"}.get(row.verdict(settings.alpha))
            table.add_row(*_cells(row, settings.alpha), style=style)
        console.print(table)
    for violation in violations:
        console.print(f"[red]GATE FAILED[/red]: {violation.describe()}")


def render_comparison(comparisons: Sequence[CandidateComparison], settings: Settings,
                      violations: Sequence[Violation] | None, sources: dict[str, str]) -> str:
    lines = ["# Comparison", "", f"Paired on shared cases; {settings.test} test, {settings.correction} correction "
             f"across scorers × slices, alpha={settings.alpha}; differences are candidate − baseline with a paired "
             f"bootstrap {settings.confidence:.0%} CI; d_z is the mean difference over its standard deviation; "
             "W/T/L counts cases where the candidate is better/equal/worse in the scorer's direction.", ""]
    lines += [f"- **{name}**: {source}" for name, source in sources.items()]
    if violations is not None:
        lines += ["", "## Gate: " + ("FAILED" if violations else "passed"), ""]
        lines += [f"- {v.describe()}" for v in violations]
    for comparison in comparisons:
        lines += ["", f"## {comparison.candidate} vs {comparison.baseline} ({comparison.n_shared} shared cases)", "",
                  "| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
        lines += ["| " + " | ".join(_cells(r, settings.alpha)) + " |" for r in _shown(comparison, settings.alpha)]
        worse = [r for r in comparison.rows if r.slice_key != OVERALL and r.verdict(settings.alpha) == "worse"]
        if worse:
            lines += ["", "Significantly worse on: " + ", ".join(f"{r.scorer} ({_where(r)})" for r in worse) + "."]
        if comparison.regressions:
            lines += ["", f"### Largest regressions ({comparison.candidate} vs {comparison.baseline})", ""]
            for reg in comparison.regressions:
                slices = ", ".join(f"{k}={v}" for k, v in reg.slices.items())
                lines += [f"- `{reg.case_id}` ({slices}): {_num(reg.baseline_score, 3)} → "
                          f"{_num(reg.candidate_score, 3)}"]
                lines += [f"  - {t['role']}: {_quote(t['text'])}" for t in reg.context[-3:]]
                lines += [f"  - baseline: {_quote(reg.baseline_reply)}",
                          f"  - candidate: {_quote(reg.candidate_reply)}", f"  - human: {_quote(reg.reference)}"]
    return "\n".join(lines).rstrip() + "\n"


def _quote(text: str, limit: int = 240) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
