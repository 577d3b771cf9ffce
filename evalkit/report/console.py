"""What `evalkit run` and `evalkit rescore` print: the summary table and where everything went."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from evalkit.report.formatting import ci
from evalkit.report.markdown import usage_cells
from evalkit.report.reliability import console_lines
from evalkit.summaries.run import RunSummary

USAGE_HEADERS = ("p50 s", "p95 s", "tokens in/out", "cost")


def _usage_columns(summary: RunSummary) -> list[int]:
    """Which of p50, p95, tokens and cost any bot reported; recorded replies have none, so no empty columns."""
    rows = [usage_cells(bot) for bot in summary.bots]
    return [i for i in range(len(USAGE_HEADERS)) if any(row[i] not in ("–", "0.000") for row in rows)]


def print_summary(summary: RunSummary, run_dir: Path, report_path: Path, run_id: str | None,
                  console: Console | None = None, tracking_failed: bool = False) -> None:
    console = console or Console(width=200)
    scorers = [c.name for c in summary.columns if not c.is_part]  # parts: see the report
    table = Table(title=f"{summary.dataset.name}: {summary.cases} cases, mean [95% CI]")
    table.add_column("bot", no_wrap=True)
    for name in scorers:
        table.add_column(name, justify="right", no_wrap=True)
    table.add_column("n", justify="right")
    table.add_column("errors", justify="right")
    usage = _usage_columns(summary)
    for i in usage:
        table.add_column(USAGE_HEADERS[i], justify="right")
    for bot in summary.bots:
        cells = [ci(row.mean, row.ci_low, row.ci_high, digits=None) if (row := summary.overall(bot.bot, name))
                 else "–" for name in scorers]
        table.add_row(bot.bot, *cells, str(bot.n_cases), str(bot.n_errors), *(usage_cells(bot)[i] for i in usage))
    console.print(table)
    for line in console_lines(summary):
        console.print(line, style="bold red" if line.startswith("WARNING") else None, markup=False)
    if summary.dataset.skipped:
        console.print(f"skipped {len(summary.dataset.skipped)} invalid records (on_error=skip); "
                      f"first: {summary.dataset.skipped[0]}")
    console.print(f"run directory: {run_dir}")
    console.print(f"report:        {report_path}")
    untracked = "(not logged: the store failed)" if tracking_failed else "(tracker=none)"
    console.print(f"MLflow run id: {run_id or untracked}")
