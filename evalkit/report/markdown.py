"""The markdown report a run leaves in its directory and in MLflow: human parity and handoffs first, then scores
overall and by slice, pairwise judging, and the lowest-scoring replies."""

from __future__ import annotations

from dataclasses import dataclass

from evalkit.report.examples import Examples
from evalkit.report.formatting import num, quote
from evalkit.report.quality import handoff_section, pairwise_section, parity_section
from evalkit.report.reliability import banner, markdown_section
from evalkit.summaries.run import RunSummary
from evalkit.summaries.scores import BotSummary, ScoreSummary
from evalkit.summaries.slices import OVERALL


def usage_cells(bot: BotSummary) -> list[str]:
    """Latency percentiles, token totals and cost; '–' where the bot reported nothing."""
    tokens = "–" if bot.tokens_in is None and bot.tokens_out is None else f"{bot.tokens_in or 0}/{bot.tokens_out or 0}"
    return [num(bot.latency_p50_s), num(bot.latency_p95_s), tokens, "–" if bot.cost is None else f"{bot.cost:.4f}"]


def _ci(row: ScoreSummary) -> str:
    return f"{num(row.mean)} [{num(row.ci_low)}, {num(row.ci_high)}]"


@dataclass(frozen=True)
class ReportHeader:
    """What a report says about itself under its title."""

    when: str  # "2026-12-01 14:05 UTC"
    run_uid: str  # the run directory's identity (tag evalkit.run_uid in MLflow)
    run_id: str | None = None  # the MLflow parent run, once logged

    def facts(self, summary: RunSummary) -> list[str]:
        return [self.when, f"MLflow run {self.run_id}" if self.run_id else f"run {self.run_uid}",
                f"dataset {summary.dataset.name} ({summary.dataset.transcripts} conversations, {summary.cases} cases, "
                f"digest {summary.dataset.digest[:12]})", "bots: " + ", ".join(b.bot for b in summary.bots)]


def report_title(summary: RunSummary) -> str:
    bots = [b.bot for b in summary.bots if not b.replies_with_reference]
    return f"{summary.name}: {', '.join(bots) or 'human'} vs human agents"


def render_report(summary: RunSummary, examples: Examples, header: ReportHeader | None = None) -> str:
    skipped = len(summary.dataset.skipped)
    lines = [f"# {report_title(summary)}", "", *([" · ".join(header.facts(summary)), ""] if header else []),
             *banner(summary),
             f"Dataset **{summary.dataset.name}**: {summary.cases} cases per bot"
             + (f", {skipped} invalid records skipped" if skipped else "") + ".", "",
             *parity_section(summary.parity, {d.scorer for d in summary.outside_domain()}),
             *handoff_section(summary, examples)]
    lines += _scores(summary)
    lines += markdown_section(summary)
    lines += pairwise_section(summary.preferences)
    lines += _lowest(summary, examples)
    return "\n".join(lines).rstrip() + "\n"


def _scores(summary: RunSummary) -> list[str]:
    scored = [c for c in summary.columns if any(s.scorer == c.name for s in summary.scores)]
    names = [c.name for c in scored if not c.is_part]
    lines = ["## Scores (mean [95 % CI])", "", "| bot | " + " | ".join(names) + " | n | errors |",
             "|---|" + "---|" * (len(names) + 2)]
    for bot in summary.bots:
        cells = [_ci(row) if (row := summary.overall(bot.bot, name)) else "–" for name in names]
        lines.append(f"| {bot.bot} | " + " | ".join([*cells, str(bot.n_cases), str(bot.n_errors)]) + " |")
    lines += ["", "## Latency, tokens and cost", "", "| bot | p50 s | p95 s | tokens in/out | cost |",
              "|---|---|---|---|---|"]
    lines += [f"| {bot.bot} | " + " | ".join(usage_cells(bot)) + " |" for bot in summary.bots]
    for scorer in dict.fromkeys(c.scorer for c in scored if c.is_part):
        parts = [c.name for c in scored if c.is_part and c.scorer == scorer]
        lines += ["", f"## {scorer}: criteria (mean [95 % CI])", "",
                  "| bot | " + " | ".join(p.split("/", 1)[1] for p in parts) + " |", "|---|" + "---|" * len(parts)]
        lines += [f"| {bot.bot} | " + " | ".join(_ci(row) if (row := summary.overall(bot.bot, p)) else "–"
                                                 for p in parts) + " |" for bot in summary.bots]
    primary, bots = summary.primary, [b.bot for b in summary.bots]
    for key in dict.fromkeys(s.slice_key for s in summary.scores if s.slice_key != OVERALL):
        rows = {(s.bot, s.slice_value): s for s in summary.scores if s.slice_key == key and s.scorer == primary}
        lines += ["", f"## {primary} by {key}", "", "| " + key + " | " + " | ".join(bots) + " |",
                  "|---|" + "---|" * len(bots)]
        for value in sorted({v for _, v in rows}):
            cells = [_ci(rows[(b, value)]) + f" (n={rows[(b, value)].n})" if (b, value) in rows else "–" for b in bots]
            lines.append(f"| {value} | " + " | ".join(cells) + " |")
    return [*lines, "", *trust_section(summary)]


def trust_section(summary: RunSummary) -> list[str]:
    """Beside the numbers, how far each scorer agrees with people, as measured, or that it was not measured."""
    measured = {v.scorer: v for v in summary.validity}
    domain = {d.scorer: d for d in summary.domain}
    scorers = [c.name for c in summary.columns if not c.is_part and any(s.scorer == c.name for s in summary.scores)]
    lines = ["### How far to trust each score (agreement with human ratings)", ""]
    for name in scorers:
        v = measured.get(name)
        lines.append(f"- **{name}**: " + (v.describe() + (f" — {v.source}" if v.source else "") if v else
                                          "not measured against human ratings")
                     + (f"; {domain[name].describe()}" if name in domain else ""))
    return [*lines, ""]


def _lowest(summary: RunSummary, examples: Examples) -> list[str]:
    scorer = examples.scorer
    lines = [f"## Lowest {scorer} replies", ""]
    for bot in summary.bots:
        scored, failed = examples.lowest.get(bot.bot, ()), examples.failed.get(bot.bot, ())
        if not scored and not failed:
            continue
        lines += [f"### {bot.bot}", ""]
        for r in scored:
            last = r.context[-1]["text"] if r.context else ""
            lines += [f"- `{r.case_id}` {scorer}={num(r.scores[scorer], 2)}", f"  - last turn: {quote(last)}",
                      f"  - reply: {quote(r.reply.text or '')}", f"  - human: {quote(r.reference)}"]
        lines += [f"- `{r.case_id}` error: {r.reply.error}" for r in failed]
        lines.append("")
    return lines
