"""What `evalkit run` and `evalkit rescore` print: the summary table and where everything went."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.measure import Measurement
from rich.table import Table

from evalkit.report.formatting import ci
from evalkit.report.markdown import usage_cells
from evalkit.report.reliability import console_lines
from evalkit.summaries.run import RunSummary

USAGE_HEADERS = ("p50 s", "p95 s", "tokens in/out", "cost")


def summary_tables(summary: RunSummary) -> tuple[Table, Table]:
    """The wide table (a row per bot, a column per scorer) and its stacked form (a row per bot × scorer)."""
    scorers = [c.name for c in summary.columns if not c.is_part]  # parts: see the report
    title = f"{summary.dataset.name}: {summary.cases} cases, mean [95% CI]"
    wide = Table(title=title)
    wide.add_column("bot", no_wrap=True)
    for name in scorers:
        wide.add_column(name, justify="right", no_wrap=True)
    wide.add_column("n", justify="right", no_wrap=True)
    wide.add_column("errors", justify="right", no_wrap=True)
    usage = _usage_columns(summary)
    for i in usage:
        wide.add_column(USAGE_HEADERS[i], justify="right", no_wrap=True)
    stacked = Table(title=title)
    for name in ("bot", "scorer", "mean [95% CI]"):
        stacked.add_column(name, justify="right" if name.startswith("mean") else "left", no_wrap=True)
    for bot in summary.bots:
        cells = [ci(row.mean, row.ci_low, row.ci_high, digits=None) if (row := summary.overall(bot.bot, name))
                 else "–" for name in scorers]
        extra = [str(bot.n_cases), str(bot.n_errors), *(usage_cells(bot)[i] for i in usage)]
        wide.add_row(bot.bot, *cells, *extra)
        shown = [(name, cell) for name, cell in zip(scorers, cells, strict=True) if cell != "–"]
        shown += [("errors", f"{bot.n_errors} of {bot.n_cases}"),
                  *((USAGE_HEADERS[i], usage_cells(bot)[i]) for i in usage)]
        for i, (name, cell) in enumerate(shown):
            stacked.add_row(bot.bot if i == 0 else "", name, cell, end_section=i == len(shown) - 1)
    return wide, stacked


def fitted(tables: tuple[Table, Table], console: Console) -> Table:
    """The wide table when the terminal has room for it, else the stacked one: rows never wrap."""
    wide, stacked = tables
    return wide if fits(wide, console) else stacked


def fits(table: Table, console: Console) -> bool:
    """Whether the table's rows fit the console's width unwrapped and uncut (measured as if it had room)."""
    return Measurement.get(console, console.options.update_width(10_000), table).maximum <= console.width


def _usage_columns(summary: RunSummary) -> list[int]:
    """Which of p50, p95, tokens and cost any bot reported; recorded replies have none, so no empty columns."""
    rows = [usage_cells(bot) for bot in summary.bots]
    return [i for i in range(len(USAGE_HEADERS)) if any(row[i] not in ("–", "0.000") for row in rows)]


def print_summary(summary: RunSummary, run_dir: Path, report_path: Path, run_id: str | None,
                  console: Console | None = None, tracking_failed: bool = False) -> None:
    console = console or Console()  # the terminal's width; 80 columns when output is piped (rich's default)
    console.print(fitted(summary_tables(summary), console))
    for line in console_lines(summary):
        console.print(line, style="bold red" if line.startswith("WARNING") else None, markup=False)
    if summary.dataset.skipped:
        console.print(f"skipped {len(summary.dataset.skipped)} invalid records (on_error=skip); "
                      f"first: {summary.dataset.skipped[0]}")
    # Paths and ids on one line each, whatever the width: they are copied and grepped.
    console.print(f"run directory: {run_dir}", soft_wrap=True, markup=False)
    console.print(f"report:        {report_path}", soft_wrap=True, markup=False)
    console.print(f"report.html:   {report_path.with_name('report.html')}", soft_wrap=True, markup=False)
    untracked = "(not logged: the store failed)" if tracking_failed else "(tracker=none)"
    console.print(f"MLflow run id: {run_id or untracked}", soft_wrap=True, markup=False)
