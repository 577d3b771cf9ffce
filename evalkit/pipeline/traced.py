"""Which records of a run become MLflow traces (`tracker.traces`): all, the ones `evalkit audit` would select
(the default), or none. They are written to `traces/<bot>.jsonl` in the run directory, so the tracker (and a later
`evalkit sync`) logs exactly those."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evalkit.audit.selection import Criteria, select
from evalkit.files import writing
from evalkit.results import Record
from evalkit.summaries.run import RunSummary

TRACES_DIR = "traces"


def trace_files(mode: str, summary: RunSummary, log: Iterable[Record], case_order: Mapping[str, int],
                run_dir: Path) -> dict[str, str]:
    """bot -> its file of records to trace (relative to the run directory); {} for mode none."""
    if mode == "none":
        return {}
    records: Iterable[Record] = _InRun(log, case_order)
    if mode == "audit":
        # The choice reads the log twice and holds score arrays and its queue's candidates, not the records; the
        # picks are then written in the log's order, as `all` writes them.
        directions = {c.name: c.higher_is_better for c in summary.columns}
        picked = {p.key for p in select(records, directions, Criteria())}
        records = (r for r in records if (r.bot, r.case_id) in picked)
    names = {b.bot: f"{TRACES_DIR}/{b.bot}.jsonl" for b in summary.bots}
    with ExitStack() as stack:
        files: dict[str, Any] = {}
        for record in records:
            if record.bot not in names:
                continue
            if record.bot not in files:
                path = run_dir / names[record.bot]
                stack.enter_context(writing(path))
                path.parent.mkdir(parents=True, exist_ok=True)
                files[record.bot] = stack.enter_context(path.open("w", encoding="utf-8"))
            files[record.bot].write(record.to_json() + "\n")
    for bot, name in names.items():
        if bot not in files:
            (run_dir / name).unlink(missing_ok=True)  # a rerun that now traces fewer bots
    return {bot: names[bot] for bot in files}


@dataclass(frozen=True)
class _InRun:
    """The log's records of this run's cases, readable more than once."""

    log: Iterable[Record]
    case_order: Mapping[str, int]

    def __iter__(self) -> Iterator[Record]:
        return (r for r in self.log if r.case_id in self.case_order)


def score_sources(summary: RunSummary, params: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """The scorers whose scores an LLM judge gave, with the judge's model (`judge.model`, else its name)."""
    model = str(params.get("judge.model") or params.get("judge.name") or "judge")
    return {scorer: {"kind": "LLM_JUDGE", "source_id": model} for scorer in summary.judge_usage}
