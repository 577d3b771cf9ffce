"""What `evalkit compare` prints and writes: per candidate, a table of paired differences and the worst regressions."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.table import Table

from evalkit.compare.gate import Violation
from evalkit.compare.paired import CandidateComparison, PairedRow, Settings
from evalkit.report.console import fits
from evalkit.report.formatting import ci, num, pvalue, quote
from evalkit.report.quality import where
from evalkit.summaries.slices import OVERALL


def slice_of(row: PairedRow) -> str:
    return where(row.slice_key, row.slice_value)


def _cells(row: PairedRow, alpha: float) -> list[str]:
    return [row.scorer, slice_of(row), str(row.n), num(row.baseline_mean), num(row.candidate_mean),
            ci(row.diff, row.ci_low, row.ci_high, sign=True),
            pvalue(row.p_value), pvalue(row.p_adjusted), num(row.effect_size, 2), f"{row.wins}/{row.ties}/{row.losses}",
            row.verdict(alpha)]


HEADER = ["scorer", "slice", "n", "baseline", "candidate", "diff [95% CI]", "p", "p adj", "d_z", "W/T/L", "verdict"]


def shown_rows(comparison: CandidateComparison, alpha: float) -> list[PairedRow]:
    """Every overall row, and slice rows only where something is significant: the table stays readable."""
    return [r for r in comparison.rows if r.slice_key == OVERALL or r.verdict(alpha) != "no sig. diff"]


COMPACT = ["scorer", "slice", "diff [95% CI]", "verdict"]


def _table(comparison: CandidateComparison, settings: Settings, header: Sequence[str]) -> Table:
    table = Table(title=f"{comparison.candidate} vs {comparison.baseline}: {comparison.n_shared} shared cases, "
                        f"{settings.test} test, {settings.correction} correction, alpha={settings.alpha}")
    for name in header:
        table.add_column(name, justify="left" if name in ("scorer", "slice", "verdict") else "right", no_wrap=True)
    for row in shown_rows(comparison, settings.alpha):
        style = {"better": "green", "worse": "red"}.get(row.verdict(settings.alpha))
        cells = dict(zip(HEADER, _cells(row, settings.alpha), strict=True))
        table.add_row(*(cells[name] for name in header), style=style)
    return table


def verdicts(comparison: CandidateComparison, alpha: float) -> list[str]:
    """"significantly worse on: intent=late_fee, chrf −9.94 [−14.8, −5.57]" (every such row), and where it is better
    overall (slices only counted: they are usually many)."""
    def item(r: PairedRow) -> str:
        return f"{slice_of(r)}, {r.scorer} {ci(r.diff, r.ci_low, r.ci_high, digits=None, sign=True)}"

    pair = f"{comparison.candidate} vs {comparison.baseline}"
    worse = [r for r in comparison.rows if r.verdict(alpha) == "worse"]
    better = [r for r in comparison.rows if r.verdict(alpha) == "better"]
    lines = [f"{pair}: significantly worse on: " + "; ".join(item(r) for r in worse)] if worse else []
    if better:
        overall = [r for r in better if r.slice_key == OVERALL]
        sliced = len(better) - len(overall)
        lines.append(f"{pair}: significantly better on: " + "; ".join(item(r) for r in overall)
                     + (f" (and on {sliced} slice × scorer pairs: see the report)" if sliced else ""))
    return lines or [f"{pair}: no significant difference"]


def print_comparison(comparisons: Sequence[CandidateComparison], settings: Settings, violations: Sequence[Violation],
                     console: Console | None = None) -> None:
    console = console or Console()  # the terminal's width: a narrow one gets the compact table
    for comparison in comparisons:
        full = _table(comparison, settings, HEADER)
        console.print(full if fits(full, console) else _table(comparison, settings, COMPACT))
        for line in verdicts(comparison, settings.alpha):
            console.print(line, markup=False)
        if comparison.regressions:
            console.print(f"largest regressions ({comparison.candidate} vs {comparison.baseline}):", markup=False)
            for reg in comparison.regressions:
                slices = ", ".join(f"{k}={v}" for k, v in reg.slices.items())
                console.print(f"  {reg.case_id} ({slices}): {num(reg.baseline_score, 3)} → "
                              f"{num(reg.candidate_score, 3)}", markup=False)
    for violation in violations:
        console.print(f"[red]GATE FAILED[/red]: {violation.describe()}", soft_wrap=True)


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
        lines += ["| " + " | ".join(_cells(r, settings.alpha)) + " |" for r in shown_rows(comparison, settings.alpha)]
        worse = [r for r in comparison.rows if r.slice_key != OVERALL and r.verdict(settings.alpha) == "worse"]
        if worse:
            lines += ["", "Significantly worse on: " + ", ".join(f"{r.scorer} ({slice_of(r)})" for r in worse) + "."]
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
