"""Replay cases through each bot in batches, score the replies, append the records to the results log."""

from __future__ import annotations

import sys
import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

from evalkit.contract import Bot, Scorer
from evalkit.replay import Case
from evalkit.reply import Reply, Score, Truncated, as_answer
from evalkit.results import Record, ResultsLog


def scorers_for(scorers: Sequence[Scorer], reply_is_reference: bool) -> list[Scorer]:
    """The human row (replies that are the reference) skips reference-based scorers: they would only compare the
    reference with itself. The one place this rule lives; replying and re-scoring both ask it."""
    return [s for s in scorers if not s.needs_reference] if reply_is_reference else list(scorers)


def score_replies(scorers: Sequence[Scorer], cases: Sequence[Case], replies: Sequence[Reply]
                  ) -> list[dict[str, Score]]:
    """Every scorer over the replies that exist; failed replies get no scores (they are counted as errors)."""
    scored: list[dict[str, Score]] = [{} for _ in cases]
    ok = [i for i, reply in enumerate(replies) if reply.ok]
    if not ok:
        return scored
    ok_cases, ok_replies = [cases[i] for i in ok], [replies[i] for i in ok]
    for scorer in scorers:
        values = scorer.score(ok_cases, ok_replies)
        if len(values) != len(ok):
            raise RuntimeError(f"scorer {scorer.name!r} returned {len(values)} scores for {len(ok)} replies")
        for i, value in zip(ok, values, strict=True):
            scored[i][scorer.name] = value
    return scored


@dataclass
class BotProgress:
    """One bot's bar: cases done (skipped ones too) and errors so far."""

    bar: Progress
    task: TaskID
    errors: int = 0
    said: bool = False

    def advance(self, cases: int, errors: int = 0) -> None:
        self.errors += errors
        self.bar.update(self.task, advance=cases, errors=self.errors)
        task = self.bar.tasks[self.task]
        if self.bar.disable and task.finished and not self.said:
            # No bar (CI, a pipe): one line per bot as it finishes on stdout, with the results (stderr keeps
            # to what went wrong), so a log shows progress before the end.
            self.said = True
            print(f"{task.description}: {task.completed:.0f} cases, {self.errors} errors, "
                  f"done after {task.finished_time or 0:.1f} s", flush=True)


def run_bot(
    bot: Bot, cases: Sequence[Case], scorers: Sequence[Scorer], log: ResultsLog, batch_size: int = 32,
    shown: Mapping[str, Case] | None = None, done: Collection[tuple[str, str]] = (),
    progress: BotProgress | None = None, truncated: Truncated = "score",
) -> int:
    """Reply to and score the cases this bot has not done yet (`done`: (bot, case id) pairs already in the log);
    returns how many it did now.

    `shown` maps a case id to the case as outputs show it (redacted): scorers see that case, records keep it.
    `truncated`: whether replies cut at the token limit are scored (flagged) or recorded as errors."""
    scorers = scorers_for(scorers, bot.replies_with_reference)
    pending = [case for case in cases if (bot.name, case.id) not in done]
    if progress is not None:
        progress.advance(len(cases) - len(pending))
    for start in range(0, len(pending), batch_size):
        batch = pending[start:start + batch_size]
        began = time.perf_counter()
        replies = bot.reply_batch(batch)
        if len(replies) != len(batch):
            raise RuntimeError(f"bot {bot.name!r} returned {len(replies)} replies for {len(batch)} cases")
        elapsed = (time.perf_counter() - began) / len(batch)
        # Backends that time their own calls know better; the rest get their share of the batch's time.
        replies = [as_answer(r if r.latency_s else _with_latency(r, elapsed), truncated) for r in replies]
        seen = [shown[c.id] for c in batch] if shown is not None else batch
        scores = score_replies(scorers, seen, replies)
        log.append(Record.of(bot.name, case, reply, score, bot.replies_with_reference)
                   for case, reply, score in zip(seen, replies, scores, strict=True))
        if progress is not None:
            progress.advance(len(batch), sum(not r.ok for r in replies))
    return len(pending)


def _with_latency(reply: Reply, latency_s: float) -> Reply:
    return replace(reply, latency_s=latency_s)


class _RateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        return Text(f"{task.speed or 0:.1f} replies/s")


def progress_bar() -> Progress:
    """One bar per bot with replies/s and errors; silent when stderr is no terminal (CI logs stay clean)."""
    return Progress(
        TextColumn("{task.description:>12}"), BarColumn(), MofNCompleteColumn(), _RateColumn(),
        TextColumn("errors {task.fields[errors]}"), TimeElapsedColumn(),
        console=Console(stderr=True),  # the bar shares stderr with the check, and stdout stays for results
        disable=not sys.stderr.isatty(),
    )
