"""What `evalkit compare` prints and writes: per candidate, a table of paired differences and the worst regressions."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.table import Table

from evalkit.compare.gate import Violation
from evalkit.compare.paired import CandidateComparison, PairedRow, Settings
from evalkit.report.formatting import ci, num, pvalue, quote
from evalkit.report.quality import where
from evalkit.summaries.slices import OVERALL


def _where(row: PairedRow) -> str:
    return where(row.slice_key, row.slice_value)


def _cells(row: PairedRow, alpha: float) -> list[str]:
    return [row.scorer, _where(row), str(row.n), num(row.baseline_mean), num(row.candidate_mean),
            ci(row.diff, row.ci_low, row.ci_high, sign=True),
            pvalue(row.p_value), pvalue(row.p_adjusted), num(row.effect_size, 2), f"{row.wins}/{row.ties}/{row.losses}",
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
             f"bootstrap {settings.stats.confidence:.0%} CI; d_z is the mean difference over its standard deviation; "
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
                lines += [f"- `{reg.case_id}` ({slices}): {num(reg.baseline_score, 3)} → "
                          f"{num(reg.candidate_score, 3)}"]
                lines += [f"  - {t['role']}: {quote(t['text'])}" for t in reg.context[-3:]]
                lines += [f"  - baseline: {quote(reg.baseline_reply)}",
                          f"  - candidate: {quote(reg.candidate_reply)}", f"  - human: {quote(reg.reference)}"]
    return "\n".join(lines).rstrip() + "\n"
