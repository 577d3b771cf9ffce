"""Per-case MLflow traces: each (bot, case) of a run is one trace, linked to that bot's MLflow run and grouped
into the transcript's MLflow session, with every score as a Feedback assessment and the human reply as an
Expectation — so MLflow's own evaluation, session and review pages show the run.

Traces are built from results.jsonl records (already redacted: nothing here sees original text) as finished
Trace objects and written in batches through the tracing client's store methods (`start_trace` per trace with its
assessments in the same transaction, `log_spans` once per batch): 3.5-4.7x the traces/s of MLflow's public span
API on the same rows here, embedded or through a server (benchmarks/results/traces.md).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from evalkit.results import Record

TraceMode = Literal["all", "audit", "none"]
TRACE_MODES: tuple[str, ...] = ("all", "audit", "none")
BATCH = 100  # traces per log_spans call: a request of a few hundred kB against a server

# Trace tags evalkit sets, so traces can be searched by case, bot and version (`tags.evalkit.case_id = '...'`).
CASE_TAG, BOT_TAG, VERSION_TAG, TRANSCRIPT_TAG, SLICE_TAG = (
    "evalkit.case_id", "evalkit.bot", "evalkit.bot_version", "evalkit.transcript_id", "evalkit.slice.")
EXPECTED_RESPONSE, EXPECTED_HANDOFF = "expected_response", "expected_handoff"
_ROLES = {"customer": "user", "agent": "assistant", "system": "system"}
_PREVIEW = 1000


@dataclass(frozen=True)
class ScoreSource:
    """Who gave a scorer's scores: code (a metric, a rule) or an LLM judge, named by its model."""

    kind: Literal["CODE", "LLM_JUDGE"] = "CODE"
    source_id: str = "evalkit"


@dataclass(frozen=True)
class TraceTarget:
    """Where one bot's traces go: its experiment and MLflow run, and the bot version they are tagged with."""

    experiment_id: str
    run_id: str
    bot_version: str = ""
    sources: Mapping[str, ScoreSource] = field(default_factory=dict)  # scorer -> source; CODE when absent


def check_mode(mode: str) -> TraceMode:
    if mode not in TRACE_MODES:
        from evalkit.errors import InvalidData

        raise InvalidData(f"tracker.traces: must be one of {', '.join(TRACE_MODES)}, got {mode!r}")
    return mode  # type: ignore[return-value]


def chat_messages(context: Sequence[Mapping[str, str]]) -> list[dict[str, str]]:
    """The conversation so far as chat messages, which MLflow's trace view renders as a chat."""
    return [{"role": _ROLES.get(t["role"], "user"), "content": t["text"]} for t in context]


def case_trace(record: Record, target: TraceTarget, started_ns: int | None = None) -> Any:
    """One record as a finished mlflow.entities.Trace: the bot call as the root span, a child span per judge
    output the record holds, the scores as Feedback and the human reply as Expectation."""
    from mlflow.entities import Trace, TraceData, TraceInfo, TraceLocation, TraceState

    trace_hex = uuid.uuid4().hex
    trace_id = f"tr-{trace_hex}"
    start = started_ns if started_ns is not None else time.time_ns()
    reply = record.reply
    end = start + max(1000, int((reply.latency_s or 0) * 1e9))
    root_id = _span_id()
    outputs = {"reply": reply.text, "error": reply.error, "handoff": reply.handoff, "latency_s": reply.latency_s,
               "tokens_in": reply.tokens_in, "tokens_out": reply.tokens_out, "cost": reply.cost}
    attributes = {"mlflow.message.format": "evalkit"}
    if reply.tokens_in is not None or reply.tokens_out is not None:
        usage = {"input_tokens": reply.tokens_in or 0, "output_tokens": reply.tokens_out or 0}
        attributes["mlflow.chat.tokenUsage"] = {**usage, "total_tokens": sum(usage.values())}
    spans = [_span(trace_hex, trace_id, root_id, None, record.bot, "CHAT_MODEL", start, end,
                   {"messages": chat_messages(record.context)}, outputs, reply.error, attributes)]
    for scorer, detail in record.details.items():
        source = target.sources.get(scorer)
        if source is None or source.kind != "LLM_JUDGE":
            continue
        spans.append(_span(trace_hex, trace_id, _span_id(), root_id, f"judge {scorer}", "LLM", end, end + 1000,
                           {"scorer": scorer, "model": source.source_id, "reply": reply.text},
                           {"score": record.scores.get(scorer), **detail}, None, {}))
    tags = {"mlflow.traceName": record.bot, CASE_TAG: record.case_id, BOT_TAG: record.bot,
            TRANSCRIPT_TAG: record.transcript_id, **({VERSION_TAG: target.bot_version} if target.bot_version else {}),
            **{f"{SLICE_TAG}{key}": str(value) for key, value in record.slices.items()}}
    metadata = {"mlflow.sourceRun": target.run_id, "mlflow.trace.session": record.transcript_id,
                "mlflow.trace_schema.version": "3",
                "mlflow.traceInputs": _json({"messages": chat_messages(record.context)})[:_PREVIEW],
                "mlflow.traceOutputs": _json(outputs)[:_PREVIEW]}
    last_customer = next((t["text"] for t in reversed(record.context) if t["role"] == "customer"), "")
    info = TraceInfo(
        trace_id=trace_id, trace_location=TraceLocation.from_experiment_id(target.experiment_id),
        request_time=start // 1_000_000, execution_duration=(end - start) // 1_000_000,
        state=TraceState.ERROR if reply.error else TraceState.OK,
        request_preview=last_customer[:_PREVIEW], response_preview=(reply.text or reply.error or "")[:_PREVIEW],
        trace_metadata=metadata, tags=tags, assessments=assessments(record, trace_id, target.sources, root_id))
    return Trace(info=info, data=TraceData(spans=spans))


def assessments(record: Record, trace_id: str, sources: Mapping[str, ScoreSource], span_id: str | None = None
                ) -> list[Any]:
    """Every score as Feedback (a score that could not be given is a Feedback with an error), the human reply and
    the expected handoff as Expectations."""
    from mlflow.entities import AssessmentError, AssessmentSource, Expectation, Feedback

    now = int(time.time() * 1000)
    found: list[Any] = []
    for name, value in record.scores.items():
        source = sources.get(name.split("/", 1)[0], ScoreSource())
        detail = record.details.get(name, {})
        rationale = detail.get("rationale") or criterion_rationale(record, name)
        found.append(Feedback(
            name=name, value=value, trace_id=trace_id, span_id=span_id, rationale=rationale,
            error=None if value is not None else AssessmentError(error_code="NOT_SCORED",
                                                                  error_message=rationale or "no score"),
            source=AssessmentSource(source_type=source.kind, source_id=source.source_id if source.kind == "LLM_JUDGE"
                                    else name.split("/", 1)[0]),
            metadata={"label": detail["label"]} if "label" in detail else None,
            create_time_ms=now, last_update_time_ms=now))
    human = AssessmentSource(source_type="HUMAN", source_id="human_agent")
    found.append(Expectation(name=EXPECTED_RESPONSE, value=record.reference, source=human, trace_id=trace_id,
                             create_time_ms=now, last_update_time_ms=now))
    if record.expected_handoff is not None:
        found.append(Expectation(name=EXPECTED_HANDOFF, value=record.expected_handoff, source=human,
                                 trace_id=trace_id, create_time_ms=now, last_update_time_ms=now))
    return found


def criterion_rationale(record: Record, name: str) -> str | None:
    """A rubric criterion's own part of its rubric's rationale ("failed: a (why); b (why)"), when it failed."""
    if "/" not in name:
        return None
    scorer, criterion = name.split("/", 1)
    rationale = record.details.get(scorer, {}).get("rationale", "")
    for part in rationale.removeprefix("failed: ").split("; "):
        if part.startswith(f"{criterion} ("):
            return part[len(criterion) + 2:].removesuffix(")")
    return None


def write_traces(traces: Iterable[Any], experiment_id: str, tracking_uri: str | None = None) -> list[str]:
    """Write finished traces in batches; returns their ids. Each trace's info and assessments are one store call
    (one transaction); the spans of a whole batch are one more."""
    from mlflow.tracing.client import TracingClient

    client = TracingClient(tracking_uri)
    ids: list[str] = []
    for batch in _batches(traces, BATCH):
        for trace in batch:
            client.start_trace(trace.info)
        client.log_spans(experiment_id, [span for trace in batch for span in trace.data.spans])
        ids.extend(trace.info.trace_id for trace in batch)
    return ids


def log_case_traces(records: Iterable[Record], target: TraceTarget, tracking_uri: str | None = None) -> list[str]:
    return write_traces((case_trace(r, target) for r in records), target.experiment_id, tracking_uri)


def run_traces(experiment_id: str, run_id: str, tracking_uri: str | None = None) -> dict[tuple[str, str], str]:
    """(bot, case id) -> trace id of the traces linked to a run."""
    from mlflow.tracing.client import TracingClient

    client, found, token = TracingClient(tracking_uri), {}, None
    while True:
        page = client.search_traces(locations=[experiment_id], run_id=run_id,
                                    max_results=500, page_token=token, include_spans=False)
        for trace in page:
            tags = trace.info.tags
            if CASE_TAG in tags:
                found[(tags.get(BOT_TAG, ""), tags[CASE_TAG])] = trace.info.trace_id
        token = page.token
        if not token:
            return found


def delete_run_traces(experiment_id: str, run_ids: Sequence[str], tracking_uri: str | None = None) -> None:
    """The traces of runs about to be replaced (a resumed run, a sync after a cut-short log)."""
    from mlflow.tracing.client import TracingClient

    client = TracingClient(tracking_uri)
    for run_id in run_ids:
        ids = list(run_traces(experiment_id, run_id, tracking_uri).values())
        for start in range(0, len(ids), BATCH):
            client.delete_traces(experiment_id, trace_ids=ids[start:start + BATCH])


def _span(trace_hex: str, trace_id: str, span_hex: str, parent_hex: str | None, name: str, kind: str, start: int,
          end: int, inputs: Any, outputs: Any, error: str | None, attributes: Mapping[str, Any]) -> Any:
    from mlflow.entities import Span

    return Span.from_dict({
        "trace_id": _b64(bytes.fromhex(trace_hex)), "span_id": _b64(bytes.fromhex(span_hex)),
        "parent_span_id": _b64(bytes.fromhex(parent_hex)) if parent_hex else None, "name": name,
        "start_time_unix_nano": start, "end_time_unix_nano": end, "events": [], "links": [],
        "status": {"code": "STATUS_CODE_ERROR" if error else "STATUS_CODE_OK", "message": error or ""},
        "attributes": {"mlflow.traceRequestId": _json(trace_id), "mlflow.spanType": _json(kind),
                       "mlflow.spanInputs": _json(inputs), "mlflow.spanOutputs": _json(outputs),
                       **{k: _json(v) for k, v in attributes.items()}},
    })


def _span_id() -> str:
    return uuid.uuid4().hex[:16]


def _b64(raw: bytes) -> str:
    import base64

    return base64.b64encode(raw).decode()


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
