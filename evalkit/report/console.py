"""What `evalkit run` prints: the summary table and where everything went."""

from __future__ import annotations

import math

from rich.console import Console
from rich.table import Table

from evalkit.evaluate import Outcome
from evalkit.report.markdown import usage_cells
from evalkit.summary import OVERALL


def _cell(mean: float, low: float, high: float) -> str:
    if math.isnan(mean):
        return "–"
    return f"{mean:.3f} [{low:.3f}, {high:.3f}]" if not math.isnan(low) else f"{mean:.3f}"


def print_outcome(outcome: Outcome, console: Console | None = None) -> None:
    console = console or Console(width=160)
    scorers = list(dict.fromkeys(s.scorer for s in outcome.scores if "/" not in s.scorer))  # parts: see report
    table = Table(title=f"{outcome.dataset.name}: {len(outcome.cases)} cases, mean [95% CI]")
    table.add_column("bot")
    for name in scorers:
        table.add_column(name, justify="right")
    table.add_column("n", justify="right")
    table.add_column("errors", justify="right")
    for name in ("p50 s", "p95 s", "tokens in/out", "cost"):
        table.add_column(name, justify="right")
    overall = {(s.bot, s.scorer): s for s in outcome.scores if s.slice_key == OVERALL}
    for bot in outcome.bots:
        cells = [_cell(overall[(bot.bot, n)].mean, overall[(bot.bot, n)].ci_low, overall[(bot.bot, n)].ci_high)
                 if (bot.bot, n) in overall else "–" for n in scorers]
        table.add_row(bot.bot, *cells, str(bot.n_cases), str(bot.n_errors), *usage_cells(bot))
    console.print(table)
    if outcome.dataset.skipped:
        console.print(f"skipped {len(outcome.dataset.skipped)} invalid records (on_error=skip); "
                      f"first: {outcome.dataset.skipped[0]}")
    console.print(f"run directory: {outcome.run_dir}")
    console.print(f"report:        {outcome.report_path}")
    console.print(f"MLflow run id: {outcome.run_id or '(tracker=none)'}")
