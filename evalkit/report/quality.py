"""Report sections on quality against the human agents: parity per scorer and slice, handoffs, pairwise judging."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from evalkit.report.examples import Examples
from evalkit.report.formatting import ci, num, percent, quote, signed
from evalkit.summaries.domain import OUTSIDE
from evalkit.summaries.pairwise import PreferenceSummary
from evalkit.summaries.parity import ParitySummary
from evalkit.summaries.run import RunSummary
from evalkit.summaries.slices import OVERALL


def where(slice_key: str, slice_value: str) -> str:
    return "all" if slice_key == OVERALL else f"{slice_key}={slice_value}"


ABOVE_HUMAN = "⚠"
ABOVE_HUMAN_NOTE = (f"{ABOVE_HUMAN} above 100 %: the bot outscores the human agents on this yardstick. Either it "
                    "is better, or the scorer does not judge this domain (a classifier trained on other data scores "
                    "real agents low): check its validity on rated data of this domain (`evalkit validate`) before "
                    "reading it as a win.")


OUTSIDE_DOMAIN = f"{OUTSIDE}: the human agents' replies score nearer its training data's wrong replies than its " \
                 "good ones (see the warning above)"


def _parity_row(label: str, p: ParitySummary) -> str:
    flag = f" {ABOVE_HUMAN}" if p.ratio > 1 else ""
    return (f"| {label} | {num(p.bot_mean)} | {num(p.human_mean)} | {signed(p.diff)} "
            f"[{signed(p.ci_low)}, {signed(p.ci_high)}] | {percent(p.ratio)}{flag} | {p.n} |")


def _gap(p: ParitySummary) -> str:
    return f"{percent(p.ratio)} ({signed(p.diff)} [{signed(p.ci_low)}, {signed(p.ci_high)}])"


def parity_headline(rows: Sequence[ParitySummary], scorer: str, outside: Collection[str] = ()) -> list[str]:
    """Per bot, one sentence: parity on the headline scorer, and the slices where the bot is significantly below
    the human agents (CI entirely below 0), worst first; a scorer `outside` its training domain is said first."""
    lines = [f"- {ABOVE_HUMAN} **{scorer}** is {OUTSIDE_DOMAIN}."] if scorer in outside else []
    for p in (p for p in rows if p.scorer == scorer and p.slice_key == OVERALL):
        # A slice holding every case (one company) says nothing the overall figure does not.
        below = sorted((s for s in rows if s.scorer == scorer and s.bot == p.bot and s.slice_key != OVERALL
                        and s.ci_high < 0 and s.n < p.n), key=lambda s: s.ratio)
        worst = "; significantly below on " + ", ".join(
            f"{s.slice_key}={s.slice_value} {_gap(s)}" for s in below[:3]) if below else \
            "; no slice significantly below"
        flag = f" {ABOVE_HUMAN}" if p.ratio > 1 else ""
        lines.append(f"- **{p.bot}**: {scorer} at {_gap(p)}{flag} of the human agents' on the same cases{worst}.")
    return lines


def parity_section(rows: Sequence[ParitySummary], outside: Collection[str] = ()) -> list[str]:
    """Parity per bot and scorer, then per slice on the headline scorer; `outside`: scorers whose training domain
    the run's human replies are outside of (evalkit.summaries.domain), said with their tables."""
    if not rows:
        return []
    header = ["| {} | bot score | human score | bot − human [95 % CI] | parity | n |", "|---|---|---|---|---|---|"]
    headline = next(iter(dict.fromkeys(p.scorer for p in rows if "/" not in p.scorer)), None)
    lines = ["## Human parity (reference-free scorers, bot vs human on the same cases)", ""]
    if headline is not None:
        lines += [*parity_headline(rows, headline, outside), ""]
    overall = [p for p in rows if p.slice_key == OVERALL]
    for scorer in dict.fromkeys(p.scorer for p in overall):
        lines += [f"### {scorer}", ""]
        lines += [f"{ABOVE_HUMAN} {scorer} is {OUTSIDE_DOMAIN}.", ""] if scorer in outside else []
        lines += [header[0].format("bot"), header[1]]
        lines += [_parity_row(p.bot, p) for p in overall if p.scorer == scorer]
        lines.append("")
    for key in dict.fromkeys(p.slice_key for p in rows if p.slice_key != OVERALL):
        sliced = sorted((p for p in rows if p.slice_key == key and p.scorer == headline),
                        key=lambda p: (p.bot, p.slice_value))
        if not sliced:
            continue
        lines += [f"### {headline} parity by {key}", "", header[0].format(f"bot · {key}"), header[1]]
        lines += [_parity_row(f"{p.bot} · {p.slice_value}", p) for p in sliced]
        lines.append("")
    if any(p.ratio > 1 for p in rows if p.slice_key == OVERALL or p.scorer == headline):  # any row shown
        lines += [ABOVE_HUMAN_NOTE, ""]
    return lines


def handoff_section(summary: RunSummary, examples: Examples) -> list[str]:
    rows = summary.handoffs
    if not rows or all(r.tp + r.fn + r.fp + r.tn == 0 for r in rows):
        return []
    lines = ["## Handoffs (expected: the human agent handed off, or the customer asked for a human)", "",
             "| bot | slice | precision | recall | F1 | tp | fn | fp | unknown |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in sorted(rows, key=lambda r: (r.bot, r.slice_key != OVERALL, r.slice_key, r.slice_value)):
        if r.tp + r.fn + r.fp == 0 and r.slice_key != OVERALL:
            continue
        lines.append(f"| {r.bot} | {where(r.slice_key, r.slice_value)} | {num(r.precision)} | {num(r.recall)} | "
                     f"{num(r.f1)} | {r.tp} | {r.fn} | {r.fp} | {r.unknown} |")
    human = {b.bot for b in summary.bots if b.replies_with_reference}  # its misses show in its recall
    missed = [m for m in summary.missed_handoffs if m.bot not in human]
    lines += ["", f"### Missed handoffs ({len(missed)}: the customer needed a human, the bot kept going)", ""]
    for bot in dict.fromkeys(m.bot for m in missed):
        count, shown = sum(m.bot == bot for m in missed), examples.missed_handoffs.get(bot, ())
        lines += [f"#### {bot}: {count}", ""]
        for r in shown:
            last = next((t["text"] for t in reversed(r.context) if t["role"] == "customer"), "")
            lines += [f"- `{r.case_id}`: customer: {quote(last, 200)}", f"  - bot: {quote(r.reply.text or '', 200)}"]
        if count > len(shown):
            lines.append(f"- … and {count - len(shown)} more (results.jsonl has them all)")
        lines.append("")
    return lines


def pairwise_section(rows: Sequence[PreferenceSummary]) -> list[str]:
    """One table per pairwise scorer, overall rows first."""
    lines = []
    for scorer in dict.fromkeys(r.scorer for r in rows):
        lines += [f"## {scorer}: bot vs human (blinded, both orders)", "",
                  "Score: win 1, tie 0.5, loss 0 (mean [95 % CI]); a case whose verdict flipped with the order "
                  "counts as a tie (split); position bias = splits / judged.", "",
                  "| bot | slice | win | tie | split | loss | errors | score | position bias |",
                  "|---|---|---|---|---|---|---|---|---|"]
        ordered = sorted((r for r in rows if r.scorer == scorer),
                         key=lambda r: (r.slice_key != OVERALL, r.slice_key, r.slice_value, r.bot))
        for r in ordered:
            lines.append(f"| {r.bot} | {where(r.slice_key, r.slice_value)} | {r.wins} | {r.ties} | {r.splits} | "
                         f"{r.losses} | {r.errors} | {ci(r.score, r.ci_low, r.ci_high)} | "
                         f"{ci(r.position_bias, r.position_bias_ci_low, r.position_bias_ci_high)} |")
        lines.append("")
    return lines
