"""The end of every evaluation (a run, a re-score, a merge): write summary.json, report.md, environment.json, the
per-turn tables and tracking.json (everything the tracker logs) into the run directory, then log it.

It computes nothing: the RunSummary already holds every number. The files come first, so a store that is down
costs only the logging, which `evalkit sync <run dir>` does later from tracking.json.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from evalkit.files import write_text, writing
from evalkit.pipeline.provenance import environment
from evalkit.pipeline.traced import score_sources, trace_files
from evalkit.report.examples import ExamplePicker, Examples
from evalkit.report.markdown import ReportHeader, render_report
from evalkit.report.run_page import render_run_html
from evalkit.results import ROW_FIELDS, Record, as_row
from evalkit.summaries.columns import RecordColumns
from evalkit.summaries.run import SLICE_TABLE_COLUMNS, RunSummary
from evalkit.tracking.runs import BotRun, EvaluationRun, Tracker, TrackingFailed
from evalkit.tracking.tables import TableFile, write_table
from evalkit.tracking.versions import bot_version

TRACKING_FILE = "tracking.json"


@dataclass(frozen=True)
class Outcome:
    run_dir: Path
    run_id: str | None
    summary: RunSummary
    report_path: Path
    tracking_error: str | None = None  # the store could not be used: the run directory holds everything


def run_uid(run_dir: Path) -> str:
    """The run directory's identity in MLflow, made once: a resumed run replaces its own MLflow run, and a sync
    finds the run it already logged."""
    path = run_dir / "run_uid"
    if not path.exists():
        with writing(path):
            path.write_text(uuid.uuid4().hex + "\n")
    return path.read_text().strip()


def publish(summary: RunSummary, records: RecordColumns, log: Iterable[Record], case_order: Mapping[str, int],
            run_dir: Path, tracker: Tracker, params: Mapping[str, Any], tags: Mapping[str, str]) -> Outcome:
    """`records` are the log's records as columns (the summary's source); `log` is read once more, for the
    per-turn tables and the replies the report quotes."""
    write_text(run_dir / "summary.json", json.dumps(summary.as_json(), indent=2, allow_nan=True))
    examples, tables = quote_and_tabulate(summary, records, log, case_order, run_dir)
    header = ReportHeader(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC", run_uid(run_dir))
    report_path = write_reports(summary, examples, header, run_dir)
    env = environment()
    write_text(run_dir / "environment.json", json.dumps(env, indent=2))
    slice_keys = dict.fromkeys(key for bot in records.bots for key in bot.slices)
    slice_tables = {b.bot: write_slice_table(summary, b.bot, run_dir) for b in summary.bots}
    versions = {b.bot: bot_version(b.bot, summary.fingerprints.get(b.bot, ""), params) for b in summary.bots
                if not b.replies_with_reference}
    # What a dashboard reading the bot run needs to know of the run: its data, ranking scorer, directions.
    bot_tags = {"evalkit.dataset": summary.dataset.name, "evalkit.primary_scorer": summary.primary,
                "evalkit.directions": json.dumps({c.name: c.higher_is_better for c in summary.columns
                                                  if not c.is_part})}
    traced = trace_files(tracker.traces, summary, log, case_order, run_dir)
    run = EvaluationRun(
        uid=run_uid(run_dir),
        name=run_name(summary),
        tags={**tags, **summary.validity_tags(), "evalkit.dataset_digest": summary.dataset.digest,
              "evalkit.seed": str(summary.seed),
              **({"evalkit.shard": summary.shard} if summary.shard else {})},
        params={**params, **{f"env.{k}": v for k, v in env["packages"].items()}, "env.python": env["python"]},
        dataset_name=summary.dataset.name, dataset_path=summary.dataset.path, dataset_digest=summary.dataset.digest,
        dataset_rows=len(records.case_ids), dataset_columns=["case_id", "transcript_id", *slice_keys],
        metrics=summary.run_metrics(),
        artifacts=[name for name in ("report.md", "report.html", "summary.json", "environment.json", "results.jsonl",
                                     "config.yaml") if (run_dir / name).exists()],
        bots=[BotRun(name=b.bot, metrics=summary.bot_metrics(b.bot),
                     params=versions[b.bot].params() if b.bot in versions else {"bot": b.bot},
                     tags={**bot_tags, **({"evalkit.bot_fingerprint": summary.fingerprints[b.bot]}
                                          if b.bot in summary.fingerprints else {})},
                     tables={"per_turn.json": tables[b.bot], "slices.json": slice_tables[b.bot]},
                     version=versions[b.bot].as_dict() if b.bot in versions else None, traces=traced.get(b.bot))
              for b in summary.bots],
        score_sources=score_sources(summary, params) if traced else {},
    )
    run.save(run_dir / TRACKING_FILE)
    run_id, error = track(run, run_dir, tracker)
    if run_id:  # the run directory's copies name the MLflow run too (the logged ones are in it)
        write_reports(summary, examples, replace(header, run_id=run_id), run_dir)
    return Outcome(run_dir, run_id, summary, report_path, error)


def write_reports(summary: RunSummary, examples: Examples, header: ReportHeader, run_dir: Path) -> Path:
    """report.md and report.html (the same report with its charts); returns report.md's path."""
    text = render_report(summary, examples, header)
    write_text(run_dir / "report.html", render_run_html(summary, text, header))
    return write_text(run_dir / "report.md", text)


def run_name(summary: RunSummary) -> str:
    """What the parent run is, readable in MLflow's run list: dataset · bots · date."""
    bots = ", ".join(b.bot for b in summary.bots if not b.replies_with_reference) or "human"
    return f"{summary.name} · {bots} · {datetime.now(UTC):%Y-%m-%d %H:%M}"


def write_slice_table(summary: RunSummary, bot: str, run_dir: Path) -> str:
    """The bot's per-slice numbers as an MLflow table file; its name in the run directory."""
    name = f"tables/{bot}/slices.json"
    write_table(run_dir / name, SLICE_TABLE_COLUMNS, summary.slice_table(bot))
    return name


def quote_and_tabulate(summary: RunSummary, records: RecordColumns, log: Iterable[Record],
                       case_order: Mapping[str, int], run_dir: Path) -> tuple[Examples, dict[str, str]]:
    """One pass over the log: each bot's per-turn table file (its name in the run directory, by bot) and the
    replies the report quotes."""
    picker = ExamplePicker(summary, case_order)
    names = {bot.bot: f"tables/{bot.bot}/per_turn.json" for bot in records.bots}
    with ExitStack() as files:
        tables = {bot.bot: files.enter_context(TableFile(run_dir / names[bot.bot], [
            "case_id", "bot", *(f"slice.{k}" for k in bot.slices), *ROW_FIELDS[2:], *bot.scores]))
            for bot in records.bots}
        for record in log:
            if record.bot in tables and record.case_id in case_order:
                tables[record.bot].add(as_row(record))
                picker.add(record)
    return picker.examples(), names


def track(run: EvaluationRun, run_dir: Path, tracker: Tracker) -> tuple[str | None, str | None]:
    """(the MLflow run id, or None when not tracked; why the store could not be used, or None)."""
    try:
        run_id = tracker.log(run, run_dir)
    except TrackingFailed as failed:
        return None, str(failed)
    if run_id:
        write_text(run_dir / "mlflow_run_id", run_id + "\n")  # links the run directory to its MLflow run
    return run_id, None
