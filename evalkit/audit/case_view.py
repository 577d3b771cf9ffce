"""One case as a reviewer reads it: the whole conversation, the bot's reply, the human agent's reply, every score
(pass or fail where a threshold says) and each failed criterion's rationale. Made from an audit pick or read back
from its MLflow trace, so `evalkit audit` and `evalkit review` show the same thing."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from evalkit.audit.selection import DEFAULT_THRESHOLD, Pick
from evalkit.results import Record
from evalkit.tracking.traces import (
    BOT_TAG,
    CASE_TAG,
    EXPECTED_HANDOFF,
    EXPECTED_RESPONSE,
    SLICE_TAG,
    criterion_rationale,
)

REASONS_TAG = "evalkit.audit_reasons"  # set on an audited trace: why it was picked
POSITION_TAG = "evalkit.audit_position"  # and where it stands in the audit's queue
_ROLES = {"user": "customer", "assistant": "agent", "system": "system"}


@dataclass(frozen=True)
class ScoreLine:
    name: str
    value: float | None
    passed: bool | None = None  # None: no threshold applies
    rationale: str | None = None


@dataclass(frozen=True)
class CaseView:
    bot: str
    case_id: str
    slices: Mapping[str, str]
    context: tuple[Mapping[str, str], ...]
    reply: str | None
    error: str | None
    handoff: bool | None
    expected_handoff: bool | None
    reference: str
    scores: tuple[ScoreLine, ...] = ()
    reasons: tuple[str, ...] = ()
    position: int = 0
    trace_id: str | None = None

    def failed(self) -> list[ScoreLine]:
        return [s for s in self.scores if s.passed is False]

    def as_row(self) -> dict[str, Any]:
        """A flat row for CSV and JSONL."""
        return {"position": self.position, "bot": self.bot, "case_id": self.case_id,
                **{f"slice.{k}": v for k, v in self.slices.items()}, "reasons": "; ".join(self.reasons),
                "context": "\n".join(f"{t['role']}: {t['text']}" for t in self.context), "reply": self.reply,
                "error": self.error, "handoff": self.handoff, "expected_handoff": self.expected_handoff,
                "reference": self.reference, **{s.name: s.value for s in self.scores},
                "failed": ", ".join(s.name for s in self.failed()), "trace_id": self.trace_id}

    def as_json(self) -> dict[str, Any]:
        return {"position": self.position, "bot": self.bot, "case_id": self.case_id, "slices": dict(self.slices),
                "reasons": list(self.reasons), "context": [dict(t) for t in self.context], "reply": self.reply,
                "error": self.error, "handoff": self.handoff, "expected_handoff": self.expected_handoff,
                "reference": self.reference, "trace_id": self.trace_id,
                "scores": [{"name": s.name, "value": s.value, "passed": s.passed, "rationale": s.rationale}
                           for s in self.scores]}


def passed(name: str, value: float | None, thresholds: Mapping[str, float], higher_is_better: bool | None
           ) -> bool | None:
    """Pass/fail by the column's threshold; rubric criteria ("scorer/criterion") pass at 0.5 unless told."""
    threshold = thresholds.get(name, DEFAULT_THRESHOLD if "/" in name else None)
    if value is None or threshold is None or higher_is_better is None:
        return None
    return value >= threshold if higher_is_better else value < threshold


def view_of(pick: Pick, directions: Mapping[str, bool | None], thresholds: Mapping[str, float],
            trace_id: str | None = None) -> CaseView:
    r = pick.record
    return CaseView(
        r.bot, r.case_id, dict(r.slices), tuple(r.context), r.reply.text, r.reply.error, r.reply.handoff,
        r.expected_handoff, r.reference, tuple(score_lines(r, directions, thresholds)), pick.reasons, pick.position,
        trace_id)


def score_lines(r: Record, directions: Mapping[str, bool | None], thresholds: Mapping[str, float]
                ) -> list[ScoreLine]:
    return [ScoreLine(name, value, passed(name, value, thresholds, directions.get(name)),
                      r.details.get(name, {}).get("rationale") or criterion_rationale(r, name))
            for name, value in r.scores.items()]


def view_of_trace(trace: Any, directions: Mapping[str, bool | None] | None = None,
                  thresholds: Mapping[str, float] | None = None, position: int = 0) -> CaseView:
    """The case view of a trace written by evalkit.tracking.traces."""
    info, tags = trace.info, trace.info.tags
    root = next(s for s in trace.data.spans if s.parent_id is None)
    inputs, outputs = root.inputs or {}, root.outputs or {}
    context = tuple({"role": _ROLES.get(m.get("role"), m.get("role")), "text": m.get("content", "")}
                    for m in inputs.get("messages", []))
    expectations = {a.name: a.value for a in info.assessments if a.expectation is not None}
    scores = [a for a in info.assessments if a.feedback is not None and a.source.source_type != "HUMAN"]
    directions, thresholds = directions or {}, thresholds or {}
    return CaseView(
        tags.get(BOT_TAG, ""), tags.get(CASE_TAG, ""),
        {k.removeprefix(SLICE_TAG): v for k, v in tags.items() if k.startswith(SLICE_TAG)}, context,
        outputs.get("reply"), outputs.get("error"), outputs.get("handoff"), expectations.get(EXPECTED_HANDOFF),
        str(expectations.get(EXPECTED_RESPONSE, "")),
        tuple(ScoreLine(a.name, a.value, passed(a.name, a.value, thresholds, directions.get(a.name, True)),
                        a.rationale) for a in scores),
        tuple(json.loads(tags[REASONS_TAG])) if REASONS_TAG in tags else (),
        position or int(tags.get(POSITION_TAG, "0") or 0), info.trace_id)


def render(view: CaseView) -> Panel:
    """The case as a rich panel: why it was picked, the conversation, both replies, the scores."""
    parts: list[Any] = []
    if view.reasons:
        parts.append(Text("why: " + "; ".join(view.reasons), style="bold yellow"))
    conversation = Table(show_header=False, box=None, expand=True, padding=(0, 1))
    conversation.add_column(style="bold", width=9)
    conversation.add_column(ratio=1)
    for turn in view.context:
        conversation.add_row(turn["role"], turn["text"])
    parts.append(conversation)
    bot = Text(view.reply or "", style="bold")
    if view.error:
        bot = Text(f"error: {view.error}", style="bold red")
    handoff = f"  handoff: {view.handoff}, expected: {view.expected_handoff}" \
        if view.handoff is not None or view.expected_handoff is not None else ""
    parts += [Text(f"{view.bot} replied{handoff}", style="cyan"), bot,
              Text("human agent replied", style="green"), Text(view.reference)]
    if view.scores:
        scores = Table("score", "value", "", "rationale", box=None, padding=(0, 1))
        for s in view.scores:
            mark = {True: "pass", False: "[red]FAIL[/red]", None: ""}[s.passed]
            scores.add_row(s.name, _number(s.value), mark, s.rationale if s.passed is not True else "")
        parts.append(scores)
    slices = ", ".join(f"{k}={v}" for k, v in view.slices.items())
    return Panel(Group(*parts), title=f"#{view.position} {view.bot} · {view.case_id} · {slices}", title_align="left")


def _number(value: float | None) -> str:
    return "–" if value is None else f"{value:.3g}"


def views_json(views: Sequence[CaseView]) -> str:
    return "".join(json.dumps(v.as_json(), ensure_ascii=False) + "\n" for v in views)
