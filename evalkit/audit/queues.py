"""The audit in MLflow: the picked cases as traces of their bots' runs (traced now where the run did not trace
them), the label schemas reviewers answer (verdict, failure category, note), one review queue per reviewer, and the
reviewers' verdicts read back. MLflow is the one store of verdicts: they are Feedback assessments with the
reviewer as their HUMAN source."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from evalkit.audit.case_view import POSITION_TAG, REASONS_TAG
from evalkit.audit.selection import Pick
from evalkit.tracking.traces import BOT_TAG, CASE_TAG, SLICE_TAG, TraceTarget, log_case_traces, run_traces

VERDICT, CATEGORY, NOTE = "verdict", "failure_category", "note"
VERDICTS = ("good", "acceptable", "bad")


@dataclass(frozen=True)
class Verdict:
    """One reviewer's answer on one case."""

    trace_id: str
    bot: str
    case_id: str
    reviewer: str
    verdict: str
    categories: tuple[str, ...] = ()
    note: str | None = None
    slices: Mapping[str, str] = field(default_factory=dict)
    scores: Mapping[str, float | None] = field(default_factory=dict)


def bot_runs(experiment_id: str, parent_run_id: str) -> dict[str, str]:
    """bot -> its nested run's id under an evaluation's parent run."""
    import mlflow

    client = mlflow.MlflowClient()
    return {r.data.tags["evalkit.bot"]: r.info.run_id
            for r in client.search_runs([experiment_id], f"tags.mlflow.parentRunId = '{parent_run_id}'",
                                        max_results=1000) if "evalkit.bot" in r.data.tags}


def trace_picks(picks: Sequence[Pick], experiment_id: str, runs: Mapping[str, str],
                fingerprints: Mapping[str, str]) -> dict[tuple[str, str], str]:
    """(bot, case id) -> trace id for every pick, tracing the ones the run left untraced into their bot's run, and
    tagging each with why it was picked."""
    from mlflow.tracing.client import TracingClient

    found: dict[tuple[str, str], str] = {}
    for bot in dict.fromkeys(p.record.bot for p in picks):
        if bot not in runs:
            continue
        mine = [p for p in picks if p.record.bot == bot]
        known = run_traces(experiment_id, runs[bot])
        missing = [p.record for p in mine if p.key not in known]
        ids = log_case_traces(missing, TraceTarget(experiment_id, runs[bot], fingerprints.get(bot, "")))
        known.update({(r.bot, r.case_id): trace_id for r, trace_id in zip(missing, ids, strict=True)})
        found.update({p.key: known[p.key] for p in mine})
    client = TracingClient()
    for pick in picks:
        if pick.key in found:
            client.set_trace_tags(found[pick.key], {REASONS_TAG: json.dumps(list(pick.reasons))[:7000],
                                                    POSITION_TAG: str(pick.position)})
    return found


def ensure_schemas(experiment_id: str, categories: Sequence[str]) -> list[str]:
    """The three questions every audit queue asks, created once per experiment; their ids."""
    from mlflow.exceptions import MlflowException
    from mlflow.genai import label_schemas as ls

    wanted = {
        VERDICT: ("feedback", ls.InputCategorical(options=list(VERDICTS)),
                  "good: you would send it; acceptable: sendable with flaws; bad: must not be sent"),
        CATEGORY: ("feedback", ls.InputCategorical(options=list(categories), multi_select=True),
                   "what is wrong with it (any that apply; none for a good reply)"),
        NOTE: ("feedback", ls.InputText(max_length=2000), "anything the categories do not say"),
    }
    ids = []
    for name, (kind, widget, instruction) in wanted.items():
        try:
            schema = ls.get_label_schema(name, experiment_id=experiment_id)
        except MlflowException:
            schema = ls.create_label_schema(name, type=kind, input=widget, instruction=instruction,
                                            experiment_id=experiment_id)
        ids.append(schema.schema_id)
    return ids


def create_queues(name: str, reviewers: Sequence[str], schema_ids: Sequence[str], trace_ids: Sequence[str],
                  experiment_id: str) -> dict[str, str]:
    """One queue per reviewer (`<name>-<reviewer>`), each with every picked trace, so each case is judged by every
    reviewer independently and their agreement can be measured; reviewer -> queue name."""
    from mlflow.genai import review_queues as rq

    made = {}
    for reviewer in reviewers:
        queue = rq.create_review_queue(f"{name}-{reviewer}", queue_type="custom", users=[reviewer],
                                       schema_ids=list(schema_ids), experiment_id=experiment_id)
        for start in range(0, len(trace_ids), 100):
            rq.add_items_to_review_queue(queue.queue_id, item_ids=list(trace_ids[start:start + 100]))
        made[reviewer] = queue.name
    return made


def queue_items(name: str, experiment_id: str, status: str | None = "pending") -> tuple[Any, list[Any]]:
    """The queue and its items' traces, in the audit's order (most severe first)."""
    import mlflow
    from mlflow.genai import review_queues as rq

    queue = rq.get_review_queue(name=name, experiment_id=experiment_id)
    items, token = [], None
    while True:
        page = rq.list_review_queue_items(queue.queue_id, status=status, max_results=200, page_token=token)
        items.extend(item.item_id for item in page)
        token = page.token
        if not token:
            break
    traces = [mlflow.get_trace(item) for item in items]
    return queue, sorted(traces, key=lambda t: int(t.info.tags.get(POSITION_TAG, "0") or 0))


def record_verdict(trace_id: str, reviewer: str, verdict: str, categories: Sequence[str], note: str | None,
                   queue_id: str | None = None) -> None:
    """A reviewer's answer as Feedback assessments on the trace (the label schemas' names), the queue item done."""
    import mlflow
    from mlflow.entities import AssessmentSource
    from mlflow.genai import review_queues as rq

    source = AssessmentSource(source_type="HUMAN", source_id=reviewer)
    mlflow.log_feedback(trace_id=trace_id, name=VERDICT, value=verdict, source=source, rationale=note or None)
    mlflow.log_feedback(trace_id=trace_id, name=CATEGORY, value=list(categories), source=source)
    if note:
        mlflow.log_feedback(trace_id=trace_id, name=NOTE, value=note, source=source)
    if queue_id:
        rq.set_review_queue_item_status(queue_id, item_id=trace_id, status="complete", completed_by=reviewer)


def read_verdicts(experiment_id: str, run_ids: Iterable[str]) -> list[Verdict]:
    """Every reviewer's latest verdict on each trace of the runs (human Feedback named `verdict`)."""
    from mlflow.tracing.client import TracingClient

    client, found = TracingClient(), []
    for run_id in run_ids:
        token = None
        while True:
            page = client.search_traces(locations=[experiment_id], run_id=run_id, max_results=500,
                                        page_token=token, include_spans=False)
            for trace in page:
                found.extend(_verdicts(trace.info))
            token = page.token
            if not token:
                break
    return found


def _verdicts(info: Any) -> list[Verdict]:
    human: dict[tuple[str, str], Any] = {}
    for a in sorted(info.assessments, key=lambda a: a.create_time_ms or 0):  # later answers replace earlier ones
        if a.feedback is not None and a.source.source_type == "HUMAN" and a.valid is not False:
            human[(a.source.source_id, a.name)] = a.value
    scores = {a.name: a.value for a in info.assessments if a.feedback is not None and a.source.source_type != "HUMAN"}
    tags = info.tags
    return [Verdict(info.trace_id, tags.get(BOT_TAG, ""), tags.get(CASE_TAG, ""), reviewer, str(value),
                    tuple(human.get((reviewer, CATEGORY)) or ()), human.get((reviewer, NOTE)),
                    {k.removeprefix(SLICE_TAG): v for k, v in tags.items() if k.startswith(SLICE_TAG)}, scores)
            for (reviewer, name), value in human.items() if name == VERDICT]
