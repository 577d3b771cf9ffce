"""What `evalkit run` prints: the summary table and where everything went."""

from __future__ import annotations

import math

from rich.console import Console
from rich.table import Table

from evalkit.evaluate import Outcome
from evalkit.report.markdown import usage_cells
from evalkit.summary import OVERALL


def _cell(mean: float, low: float, high: float) -> str:
    # Three significant digits of the mean keep chrF (0–100) and ROUGE (0–1) columns equally narrow.
    if math.isnan(mean):
        return "–"
    digits = max(0, 2 - math.floor(math.log10(abs(mean)))) if mean else 3
    return f"{mean:.{digits}f} [{low:.{digits}f}, {high:.{digits}f}]" if not math.isnan(low) else f"{mean:.{digits}f}"


def _usage_columns(outcome: Outcome) -> list[int]:
    """Which of p50, p95, tokens and cost any bot reported; recorded replies have none, so no empty columns."""
    rows = [usage_cells(bot) for bot in outcome.bots]
    return [i for i in range(4) if any(row[i] not in ("–", "0.000") for row in rows)]


def print_outcome(outcome: Outcome, console: Console | None = None) -> None:
    console = console or Console(width=200)
    scorers = list(dict.fromkeys(s.scorer for s in outcome.scores if "/" not in s.scorer))  # parts: see report
    table = Table(title=f"{outcome.dataset.name}: {len(outcome.cases)} cases, mean [95% CI]")
    table.add_column("bot", no_wrap=True)
    for name in scorers:
        table.add_column(name, justify="right", no_wrap=True)
    table.add_column("n", justify="right")
    table.add_column("errors", justify="right")
    usage = _usage_columns(outcome)
    for i in usage:
        table.add_column(("p50 s", "p95 s", "tokens in/out", "cost")[i], justify="right")
    overall = {(s.bot, s.scorer): s for s in outcome.scores if s.slice_key == OVERALL}
    for bot in outcome.bots:
        cells = [_cell(overall[(bot.bot, n)].mean, overall[(bot.bot, n)].ci_low, overall[(bot.bot, n)].ci_high)
                 if (bot.bot, n) in overall else "–" for n in scorers]
        table.add_row(bot.bot, *cells, str(bot.n_cases), str(bot.n_errors), *(usage_cells(bot)[i] for i in usage))
    console.print(table)
    if outcome.dataset.skipped:
        console.print(f"skipped {len(outcome.dataset.skipped)} invalid records (on_error=skip); "
                      f"first: {outcome.dataset.skipped[0]}")
    console.print(f"run directory: {outcome.run_dir}")
    console.print(f"report:        {outcome.report_path}")
    console.print(f"MLflow run id: {outcome.run_id or '(tracker=none)'}")
