"""The markdown report a run leaves in its directory and in MLflow."""

from __future__ import annotations

import math
from collections.abc import Sequence

from evalkit.results import Record
from evalkit.summary import OVERALL, BotSummary, ScoreSummary


def usage_cells(bot: BotSummary) -> list[str]:
    """Latency percentiles, token totals and cost; '–' where the bot reported nothing."""
    tokens = "–" if bot.tokens_in is None and bot.tokens_out is None else f"{bot.tokens_in or 0}/{bot.tokens_out or 0}"
    return [_num(bot.latency_p50_s), _num(bot.latency_p95_s), tokens, "–" if bot.cost is None else f"{bot.cost:.4f}"]


def _num(value: float, digits: int = 3) -> str:
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}f}"


def _ci(row: ScoreSummary) -> str:
    return f"{_num(row.mean)} [{_num(row.ci_low)}, {_num(row.ci_high)}]"


def render(
    title: str,
    dataset: str,
    n_cases: int,
    skipped: int,
    bots: Sequence[BotSummary],
    scores: Sequence[ScoreSummary],
    records: Sequence[Record],
    primary: str,
    worst: int = 5,
    lead: Sequence[str] = (),
) -> str:
    scorer_names = list(dict.fromkeys(s.scorer for s in scores))
    lines = [f"# {title}", "", f"Dataset **{dataset}**: {n_cases} cases per bot"
             + (f", {skipped} invalid records skipped" if skipped else "") + ".", "", *lead]

    lines += ["## Scores (mean [95 % CI])", "", "| bot | " + " | ".join(scorer_names)
              + " | n | errors | p50 s | p95 s | tokens in/out | cost |", "|---|" + "---|" * (len(scorer_names) + 6)]
    overall = {(s.bot, s.scorer): s for s in scores if s.slice_key == OVERALL}
    for bot in bots:
        cells = [_ci(overall[(bot.bot, name)]) if (bot.bot, name) in overall else "–" for name in scorer_names]
        lines.append(f"| {bot.bot} | " + " | ".join([*cells, str(bot.n_cases), str(bot.n_errors), *usage_cells(bot)])
                     + " |")

    for key in dict.fromkeys(s.slice_key for s in scores if s.slice_key != OVERALL):
        lines += ["", f"## {primary} by {key}", ""]
        rows = [s for s in scores if s.slice_key == key and s.scorer == primary]
        values = sorted({s.slice_value for s in rows})
        bot_names = [b.bot for b in bots]
        lines += ["| " + key + " | " + " | ".join(bot_names) + " |", "|---|" + "---|" * len(bot_names)]
        by = {(s.bot, s.slice_value): s for s in rows}
        for value in values:
            cells = [_ci(by[(b, value)]) + f" (n={by[(b, value)].n})" if (b, value) in by else "–" for b in bot_names]
            lines.append(f"| {value} | " + " | ".join(cells) + " |")

    lines += ["", f"## Lowest {primary} replies", ""]
    for bot in bots:
        if bot.bot == "human":
            continue
        scored = sorted((r for r in records if r.bot == bot.bot and r.scores.get(primary) is not None),
                        key=lambda r: r.scores[primary])[:worst]
        failed = [r for r in records if r.bot == bot.bot and r.reply.error][:worst]
        if not scored and not failed:
            continue
        lines += [f"### {bot.bot}", ""]
        for r in scored:
            last = r.context[-1]["text"] if r.context else ""
            lines += [f"- `{r.case_id}` {primary}={_num(r.scores[primary], 2)}",
                      f"  - last turn: {_quote(last)}", f"  - reply: {_quote(r.reply.text or '')}",
                      f"  - human: {_quote(r.reference)}"]
        for r in failed:
            lines.append(f"- `{r.case_id}` error: {r.reply.error}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _quote(text: str, limit: int = 240) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
