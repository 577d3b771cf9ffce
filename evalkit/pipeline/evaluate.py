"""One evaluation, start to finish: load, replay, reply and score into the results log, summarise, publish."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evalkit.bots.cache import CachedBot, ReplyStore, cache_judges, with_cache
from evalkit.bots.human import HumanBot
from evalkit.contract import Bot, Scorer
from evalkit.errors import InvalidData
from evalkit.loaders.base import LoadedDataset, Loader
from evalkit.pipeline.plan import parts, survey
from evalkit.pipeline.publish import Outcome, publish
from evalkit.pipeline.runner import BotProgress, progress_bar, run_bot
from evalkit.pipeline.sharding import Shard, merge_shards, shard_dirs
from evalkit.redaction.bot import RedactedBot
from evalkit.redaction.redactor import Redactor
from evalkit.replay import Case, Policy, expand
from evalkit.reply import Truncated
from evalkit.results import ResultsLog
from evalkit.summaries.columns import RecordColumns
from evalkit.summaries.run import DatasetInfo, RunSummary, StatsSettings, summarize
from evalkit.summaries.trust import ScorerValidity
from evalkit.tracking.runs import NullTracker, Tracker


@dataclass(frozen=True)
class Evaluation:
    """Everything one run needs, already built (evalkit.cli.config.build makes it from Hydra's config)."""

    dataset: Loader
    bots: Sequence[Bot]
    scorers: Sequence[Scorer]
    tracker: Tracker = field(default_factory=NullTracker)
    policy: Policy = "all"
    max_context_turns: int | None = None
    truncated: Truncated = "score"  # replies cut at the token limit: scored and flagged, or "error" records
    slices: Sequence[str] = ("company", "intent")
    batch_size: int = 32
    stats: StatsSettings = field(default_factory=StatsSettings)
    name: str = "evalkit"
    primary: str = "chrf"  # the scorer the report ranks by; the first scorer when the run has no such scorer
    params: Mapping[str, Any] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)
    cache: ReplyStore | None = None  # replies of cacheable bots and of scorers' judges
    redactor: Redactor = field(default_factory=Redactor)  # what every output holds: redacted text (on by default)
    shard: str | None = None  # "i/n": evaluate only this shard of the transcripts
    merge: Sequence[str] = ()  # shard run directories (or their sweep directory) to merge instead of replying
    validity: Sequence[ScorerValidity] = ()  # measured agreement with people, shown with each scorer's numbers


def check_names(kind: str, objects: Iterable[Bot | Scorer]) -> None:
    """Bots and scorers are told apart by name everywhere (columns, rows, MLflow runs): two with one name would
    silently overwrite each other's results."""
    names = [o.name for o in objects]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise InvalidData(f"{kind} names must be unique; given twice: {', '.join(twice)} (set `name:` on one of them)")


def with_human_baseline(bots: Sequence[Bot]) -> list[Bot]:
    """Every report carries the human row, so add the human bot when the config leaves it out."""
    return list(bots) if any(b.replies_with_reference for b in bots) else [HumanBot(), *bots]


def primary_scorer(wanted: str, scorers: Sequence[Scorer]) -> str:
    names = [s.name for s in scorers]
    return wanted if wanted in names or not names else names[0]


def evaluate(evaluation: Evaluation, run_dir: Path) -> Outcome:
    check_names("bot", evaluation.bots)
    check_names("scorer", evaluation.scorers)
    shard = Shard.parse(evaluation.shard)
    if shard and evaluation.merge:
        raise InvalidData("shard=... and merge=... exclude each other: merge the shards in a run without shard")
    dataset = evaluation.dataset.load()  # bad input stops here or in the survey, before anything is written
    replay = (evaluation.policy, evaluation.max_context_turns, evaluation.slices)
    plan = survey(dataset.transcripts, *replay, shard)
    redactor = evaluation.redactor
    redactor.keep_agent_accounts(plan.agent_accounts)
    bots = with_human_baseline(evaluation.bots)
    check_names("bot", bots)
    sees_redacted = redactor.enabled and redactor.settings.bot_sees == "redacted"
    for bot in bots:
        if bot.needs_fit:
            # All of them, not the shard's: a shard's bots must equal the whole run's.
            bot.fit(redactor.transcripts(dataset.transcripts) if sees_redacted else dataset.transcripts)
    shown: dict[str, Case] = {}  # the part being replayed, as outputs show it: redacted
    bots = [RedactedBot(bot, redactor, shown) for bot in bots]
    fingerprints = {bot.name: bot.bot.fingerprint() for bot in bots}
    bots = with_cache(bots, evaluation.cache)
    cache_judges(evaluation.scorers, evaluation.cache)  # judge calls are replies too

    run_dir.mkdir(parents=True, exist_ok=True)
    log = ResultsLog(run_dir / "results.jsonl")
    log.repair()  # a run killed mid-write resumes from here: done (bot, case) pairs are skipped
    if evaluation.merge and not (log.path.exists() and log.path.stat().st_size):  # a rerun resumes instead
        merge_shards(shard_dirs(evaluation.merge), dataset.digest, log)
    done = log.done()
    with progress_bar() as progress:
        tasks = {bot.name: progress.add_task(bot.name, total=plan.cases, completed=0, errors=0) for bot in bots}
        for transcripts, cases in parts(dataset.transcripts, *replay, shard):
            shown.update((c.id, c) for c in expand(redactor.transcripts(transcripts), *replay))
            for bot in bots:
                run_bot(bot, cases, evaluation.scorers, log, evaluation.batch_size, shown, done,
                        BotProgress(progress, tasks[bot.name]), evaluation.truncated)
            shown.clear()
            redactor.forget(t.id for t in transcripts)

    records = RecordColumns.of(log, plan.case_order, [b.name for b in bots])
    summary = summary_of(evaluation, records, dataset, plan.transcripts, fingerprints=fingerprints,
                         cache={b.name: b.stats() for b in bots if isinstance(b, CachedBot)},
                         shard=str(shard) if shard else None)
    return publish(summary, records, log, plan.case_order, run_dir, evaluation.tracker, evaluation.params,
                   evaluation.tags)


def summary_of(evaluation: Evaluation, records: RecordColumns, dataset: LoadedDataset, transcripts: int,
               **extra: Any) -> RunSummary:
    return summarize(
        records, evaluation.scorers, evaluation.slices, evaluation.stats, name=evaluation.name,
        dataset=DatasetInfo(dataset.name, dataset.path, dataset.digest, transcripts,
                            tuple(str(e) for e in dataset.skipped)),
        cases=len(records.case_ids), primary=primary_scorer(evaluation.primary, evaluation.scorers),
        validity=evaluation.validity, **extra)
