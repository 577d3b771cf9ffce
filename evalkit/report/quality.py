"""Report sections that lead the markdown report: human parity per scorer and slice, and handoff evaluation."""

from __future__ import annotations

import math
from collections.abc import Sequence

from evalkit.handoff import HandoffSummary
from evalkit.parity import HUMAN, ParitySummary
from evalkit.results import Record
from evalkit.summary import OVERALL


def _num(value: float, digits: int = 3) -> str:
    return "–" if value is None or math.isnan(value) else f"{value:.{digits}f}"


def _signed(value: float) -> str:
    return "–" if math.isnan(value) else f"{value:+.3f}"


def _parity_row(label: str, p: ParitySummary) -> str:
    return (f"| {label} | {_num(p.bot_mean)} | {_num(p.human_mean)} | {_signed(p.diff)} "
            f"[{_signed(p.ci_low)}, {_signed(p.ci_high)}] | {_num(p.ratio * 100, 0)}% | {p.n} |")


def parity_section(rows: Sequence[ParitySummary]) -> list[str]:
    if not rows:
        return []
    header = ["| {} | bot score | human score | bot − human [95 % CI] | parity | n |", "|---|---|---|---|---|---|"]
    lines = ["## Human parity (reference-free scorers, bot vs human on the same cases)", ""]
    overall = [p for p in rows if p.slice_key == OVERALL]
    for scorer in dict.fromkeys(p.scorer for p in overall):
        lines += [f"### {scorer}", "", header[0].format("bot"), header[1]]
        lines += [_parity_row(p.bot, p) for p in overall if p.scorer == scorer]
        lines.append("")
    headline = next(iter(dict.fromkeys(p.scorer for p in rows if "/" not in p.scorer)), None)
    for key in dict.fromkeys(p.slice_key for p in rows if p.slice_key != OVERALL):
        sliced = sorted((p for p in rows if p.slice_key == key and p.scorer == headline),
                        key=lambda p: (p.bot, p.slice_value))
        if not sliced:
            continue
        lines += [f"### {headline} parity by {key}", "", header[0].format(f"bot · {key}"), header[1]]
        lines += [_parity_row(f"{p.bot} · {p.slice_value}", p) for p in sliced]
        lines.append("")
    return lines


def handoff_section(rows: Sequence[HandoffSummary], missed: Sequence[Record], limit: int = 20) -> list[str]:
    if not rows or all(r.tp + r.fn + r.fp + r.tn == 0 for r in rows):
        return []
    lines = ["## Handoffs (expected: the human agent handed off, or the customer asked for a human)", "",
             "| bot | slice | precision | recall | F1 | tp | fn | fp | unknown |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in sorted(rows, key=lambda r: (r.bot, r.slice_key != OVERALL, r.slice_key, r.slice_value)):
        if r.tp + r.fn + r.fp == 0 and r.slice_key != OVERALL:
            continue
        where = "all" if r.slice_key == OVERALL else f"{r.slice_key}={r.slice_value}"
        lines.append(f"| {r.bot} | {where} | {_num(r.precision)} | {_num(r.recall)} | {_num(r.f1)} | {r.tp} | "
                     f"{r.fn} | {r.fp} | {r.unknown} |")
    missed = [r for r in missed if r.bot != HUMAN]  # the human row is the baseline: its misses show in its recall
    lines += ["", f"### Missed handoffs ({len(missed)}: the customer needed a human, the bot kept going)", ""]
    for r in missed[:limit]:
        last = next((t["text"] for t in reversed(r.context) if t["role"] == "customer"), "")
        lines += [f"- `{r.case_id}` **{r.bot}**: customer: {_quote(last)}", f"  - bot: {_quote(r.reply.text or '')}"]
    if len(missed) > limit:
        lines.append(f"- … and {len(missed) - limit} more (results.jsonl has them all)")
    lines.append("")
    return lines


def _quote(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
