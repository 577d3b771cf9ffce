"""What `evalkit validate` writes and prints: correlations with human ratings per scorer and aspect, and the ceiling."""

from __future__ import annotations

import math
from collections.abc import Sequence

from rich.console import Console
from rich.table import Table

from evalkit.report.formatting import ci, num
from evalkit.report.reliability import judge_line, judge_warnings, judges_section
from evalkit.scorers.combined import Combination
from evalkit.summaries.judging import JudgeSummary
from evalkit.validity.agreement import Agreement
from evalkit.validity.correlation import Correlation, ValidityRow
from evalkit.validity.rated.model import RatedSet


def _c(c: Correlation) -> str:
    return ci(c.value, c.ci_low, c.ci_high)


def render_validity(title: str, rated: RatedSet, rows: Sequence[ValidityRow], agreements: Sequence[Agreement],
                    combination: Combination | None, judges: Sequence[JudgeSummary] = ()) -> str:
    n = sum(len(item.candidates) for item in rated.items)
    warnings = [line for w in judge_warnings(judges) for line in (f"> **{w}**", "")]
    lines = [f"# {title}: agreement with human ratings", "", *warnings,
             f"Rated set **{rated.name}** (`{rated.path}`): {len(rated.items)} items, {n} rated candidates.", "",
             "Correlation of each scorer with the mean human rating over candidates (scorers where lower is better "
             "are negated, so positive always means agreement), with 95 % bootstrap CIs that resample items.", ""]
    for aspect in dict.fromkeys(r.aspect for r in rows):
        lines += [f"## {aspect}", "", "| scorer | Spearman | Kendall | Pearson | n | missing |",
                  "|---|---|---|---|---|---|"]
        ranked = sorted((r for r in rows if r.aspect == aspect),
                        key=lambda r: -r.spearman.value if not math.isnan(r.spearman.value) else math.inf)
        for r in ranked:
            lines.append(f"| {r.scorer} | {_c(r.spearman)} | {_c(r.kendall)} | {_c(r.pearson)} | {r.n} | "
                         f"{r.n_missing} |")
        lines.append("")
    lines += ["## Inter-annotator agreement (the ceiling)", "",
              "| aspect | raters | candidates | α interval | α ordinal | pairwise Spearman | one vs rest Spearman |",
              "|---|---|---|---|---|---|---|"]
    for a in agreements:
        lines.append(f"| {a.aspect} | {a.raters} | {a.units} | {num(a.alpha_interval)} | {num(a.alpha_ordinal)} | "
                     f"{num(a.pairwise_spearman)} | {num(a.leave_one_out_spearman)} |")
    if combination is not None:
        lines += ["", f"## Combined score (ridge, predicts {combination.target}, α={combination.alpha:g})", "",
                  "| scorer | weight (per standard deviation) |", "|---|---|"]
        lines += [f"| {f} | {w:+.3f} |" for f, w in zip(combination.features, combination.weights, strict=True)]
        lines += ["", "Its rows above (`combined (cross-validated)`) use out-of-fold predictions (folds by item)."]
    lines += ["", *judges_section(judges)] if judges else []
    return "\n".join(lines).rstrip() + "\n"


def print_validity(rows: Sequence[ValidityRow], agreements: Sequence[Agreement], console: Console | None = None,
                   judges: Sequence[JudgeSummary] = ()) -> None:
    console = console or Console(width=160)
    table = Table(title="agreement with mean human rating: Spearman / Kendall / Pearson [95% CI, items resampled]")
    for column in ("scorer", "aspect", "Spearman", "Kendall", "Pearson", "n"):
        table.add_column(column, justify="left" if column in ("scorer", "aspect") else "right")
    for r in rows:
        table.add_row(r.scorer, r.aspect, _c(r.spearman), _c(r.kendall), _c(r.pearson), str(r.n))
    console.print(table)
    ceiling = Table(title="inter-annotator agreement (ceiling)")
    for column in ("aspect", "raters", "α interval", "α ordinal", "pairwise ρ", "one-vs-rest ρ"):
        ceiling.add_column(column, justify="left" if column == "aspect" else "right")
    for a in agreements:
        ceiling.add_row(a.aspect, str(a.raters), num(a.alpha_interval), num(a.alpha_ordinal), num(a.pairwise_spearman),
                        num(a.leave_one_out_spearman))
    console.print(ceiling)
    for judge in judges:
        console.print(judge_line(judge), markup=False)
    for warning in judge_warnings(judges):
        console.print(warning, style="bold red", markup=False)
