"""What every report says about the replies and judges behind the numbers: replies cut at the token limit, empty
replies, time queued in the client against time on the server, and each LLM judge's failures. A judge that gave no
verdict on most of its calls gets a warning line in the console and a banner at the top of the report, because
the scores it leaves behind (a rubric on its rule criteria alone, an empty win rate) look like results; so does a
trained scorer whose training domain the run's data is outside of (evalkit.summaries.domain)."""

from __future__ import annotations

from collections.abc import Sequence

from evalkit.report.formatting import num, percent
from evalkit.summaries.judging import FAILING, JudgeSummary, summarize_judges
from evalkit.summaries.run import RunSummary
from evalkit.summaries.scores import BotSummary


def judge_warnings(judges: Sequence[JudgeSummary]) -> list[str]:
    return [f"WARNING: judge of scorer {j.scorer!r} gave no verdict on {percent(j.failure_rate)} of its {j.calls} "
            f"calls ({j.parse_failures} unparseable, {j.backend_failures} failed); {j.unjudged} questions unjudged: "
            f"its scores stand on the rest only" for j in judges if j.failing]


def domain_warnings(summary: RunSummary) -> list[str]:
    return [f"WARNING: scorer {d.scorer!r} is {d.describe()}: its scores and parity on this data say more about "
            f"the scorer than about the bots" for d in summary.outside_domain()]


def bot_lines(bots: Sequence[BotSummary]) -> list[str]:
    lines = []
    for b in bots:
        said = [f"{b.n_truncated} of {b.n_cases} replies cut at the token limit"] if b.n_truncated else []
        said += [f"{b.n_empty} empty replies (errors)"] if b.n_empty else []
        if b.queue_p50_s is not None:
            said.append(f"latency p50 {num(b.latency_p50_s)} s on the server, {num(b.queue_p50_s)} s queued in the "
                        f"client (p95 {num(b.latency_p95_s)} s / {num(b.queue_p95_s)} s)")
        if said:
            lines.append(f"{b.bot}: " + "; ".join(said))
    return lines


def judge_line(j: JudgeSummary) -> str:
    return (f"judge {j.scorer}: {j.calls} calls, {j.failed_calls} without a verdict ({percent(j.failure_rate)}: "
            f"{j.parse_failures} unparseable, {j.backend_failures} failed), {j.unjudged} questions unjudged; "
            f"per call {num(j.latency_s)} s on the server, {num(j.queue_s)} s queued")


def console_lines(summary: RunSummary) -> list[str]:
    """Lines printed under the summary table; warnings last, where they are seen."""
    judges = summarize_judges(summary.judge_usage)
    return [*bot_lines(summary.bots), *(judge_line(j) for j in judges), *judge_warnings(judges),
            *domain_warnings(summary)]


def banner(summary: RunSummary) -> list[str]:
    """The report's first lines after its title when a judge failed on most of its calls or a trained scorer is
    outside its training domain."""
    warnings = [*judge_warnings(summarize_judges(summary.judge_usage)), *domain_warnings(summary)]
    return [line for w in warnings for line in (f"> **{w}**", "")]  # one quote each: adjacent lines would merge


def judges_section(judges: Sequence[JudgeSummary]) -> list[str]:
    if not judges:
        return []
    lines = ["## LLM judges", "", f"A judge is flagged when it gives no verdict on more than {percent(FAILING)} of "
             "its calls (re-asks count as calls).", "",
             "| scorer | calls | without verdict | share | unparseable | backend failed | unjudged | server s/call "
             "| queued s/call |", "|---|---|---|---|---|---|---|---|---|"]
    lines += [f"| {j.scorer} | {j.calls} | {j.failed_calls} | {percent(j.failure_rate)} | {j.parse_failures} | "
              f"{j.backend_failures} | {j.unjudged} | {num(j.latency_s)} | {num(j.queue_s)} |" for j in judges]
    return [*lines, ""]


def markdown_section(summary: RunSummary) -> list[str]:
    """Replies (cut, empty, queueing) and judges, after the scores."""
    lines = []
    said = bot_lines(summary.bots)
    if said:
        lines += ["## Replies", "", *(f"- {line}" for line in said), ""]
    return [*lines, *judges_section(summarize_judges(summary.judge_usage))]
