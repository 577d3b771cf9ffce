"""One evaluation, start to finish: load, replay, reply and score, summarise, report, track."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evalkit.bots.base import Bot
from evalkit.bots.cache import CachedBot, ReplyStore, cache_judges, with_cache
from evalkit.bots.human import HumanBot
from evalkit.handoff import HandoffSummary, handoff_metrics, missed_handoffs, summarize_handoffs
from evalkit.loaders.base import LoadedDataset, Loader
from evalkit.parity import ParitySummary, parity_metrics, reference_free, summarize_parity
from evalkit.preferences import PreferenceSummary, render_markdown, summarize_preferences
from evalkit.provenance import environment
from evalkit.replay import Case, Policy, expand
from evalkit.report.markdown import render
from evalkit.report.quality import handoff_section, parity_section
from evalkit.results import Record, ResultsLog, as_rows
from evalkit.runner import progress_bar, run_bot
from evalkit.scorers.base import Scorer
from evalkit.sharding import Shard, merge_shards, shard_dirs
from evalkit.summary import OVERALL, BotSummary, ScoreSummary, summarize_bots, summarize_scores
from evalkit.tracking import BotRun, EvaluationRun, NullTracker, Tracker, metric_name
from evalkit.transcript import InvalidData


@dataclass(frozen=True)
class Evaluation:
    """Everything one run needs, already built (config.build makes it from Hydra's config)."""

    dataset: Loader
    bots: Sequence[Bot]
    scorers: Sequence[Scorer]
    tracker: Tracker = field(default_factory=NullTracker)
    policy: Policy = "all"
    max_context_turns: int | None = None
    slices: Sequence[str] = ("company", "intent")
    batch_size: int = 32
    confidence: float = 0.95
    n_resamples: int = 2000
    seed: int = 0
    name: str = "evalkit"
    params: Mapping[str, Any] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)
    cache: ReplyStore | None = None  # replies of cacheable bots and of scorers' judges
    shard: str | None = None  # "i/n": evaluate only this shard of the transcripts
    scoring_workers: int = 1  # processes scoring each batch (large batches only); see scoring_pool
    merge: Sequence[str] = ()  # shard run directories (or their sweep directory) to merge instead of replying


@dataclass(frozen=True)
class Outcome:
    run_dir: Path
    run_id: str | None
    dataset: LoadedDataset
    cases: tuple[Case, ...]
    bots: tuple[BotSummary, ...]
    scores: tuple[ScoreSummary, ...]
    report_path: Path

    def primary_metric(self, scorer: str, bot: str | None = None) -> float:
        """The mean of one scorer for one bot (default: the first non-human bot): what sweepers optimise."""
        rows = [s for s in self.scores if s.scorer == scorer and s.slice_key == OVERALL and s.bot != "human"
                and (bot is None or s.bot == bot)]
        return rows[0].mean if rows else float("nan")


def with_human_baseline(bots: Sequence[Bot]) -> list[Bot]:
    """Every report carries the human row, so add the human bot when the config leaves it out."""
    return list(bots) if any(b.name == "human" for b in bots) else [HumanBot(), *bots]


def evaluate(evaluation: Evaluation, run_dir: Path) -> Outcome:
    dataset = evaluation.dataset.load()  # bad input stops here, before anything is written anywhere
    shard = Shard.parse(evaluation.shard)
    if shard and evaluation.merge:
        raise InvalidData("shard=... and merge=... exclude each other: merge the shards in a run without shard")
    transcripts = shard.select(dataset.transcripts) if shard else dataset.transcripts
    cases = tuple(expand(transcripts, evaluation.policy, evaluation.max_context_turns))
    bots = with_human_baseline(evaluation.bots)
    names = [b.name for b in bots]
    if len(set(names)) != len(names):
        raise ValueError(f"bot names must be unique, got {names}")
    for bot in bots:
        if hasattr(bot, "fit"):
            bot.fit(dataset.transcripts)  # all of them, not the shard's: a shard's bots must equal the whole run's
    fingerprints = {bot.name: bot.fingerprint() for bot in bots}
    bots = with_cache(bots, evaluation.cache)
    cache_judges(evaluation.scorers, evaluation.cache)  # judge calls are replies too

    run_dir.mkdir(parents=True, exist_ok=True)
    log = ResultsLog(run_dir / "results.jsonl")
    log.repair()  # a run killed mid-write resumes from here: done (bot, case) pairs are skipped
    if evaluation.merge and not (log.path.exists() and log.path.stat().st_size):  # a rerun resumes instead
        merge_shards(shard_dirs(evaluation.merge), dataset.digest, log)
    with progress_bar() as progress:
        for bot in bots:
            run_bot(bot, cases, evaluation.scorers, log, evaluation.batch_size, progress, evaluation.scoring_workers)

    # Bot-major, case order: summaries (bootstrap resamples included) do not depend on the order records were
    # appended in, so a resumed or merged run summarises exactly like one done in a single go.
    case_order = {c.id: i for i, c in enumerate(cases)}
    bot_order = {name: i for i, name in enumerate(names)}
    records = sorted((r for r in log if r.case_id in case_order and r.bot in bot_order),
                     key=lambda r: (bot_order[r.bot], case_order[r.case_id]))
    cache_stats = {b.name: b.stats() for b in bots if isinstance(b, CachedBot)}
    return publish(evaluation, dataset, cases, records, run_dir, cache_stats, fingerprints, shard, len(transcripts))


def publish(
    evaluation: Evaluation, dataset: LoadedDataset, cases: Sequence[Case], records: Sequence[Record], run_dir: Path,
    bot_metrics: Mapping[str, Mapping[str, float]] | None = None, fingerprints: Mapping[str, str] | None = None,
    shard: Shard | None = None, n_transcripts: int | None = None,
) -> Outcome:
    """Summarise the records, write summary.json and report.md, and log it all to the tracker."""
    fingerprints = fingerprints or {}
    scorer_names = score_columns([s.name for s in evaluation.scorers], records)
    bot_rows = summarize_bots(records)
    score_rows = summarize_scores(records, scorer_names, evaluation.slices, evaluation.confidence,
                                  evaluation.n_resamples, evaluation.seed)
    parity_rows = summarize_parity(records, reference_free(evaluation.scorers, scorer_names), evaluation.slices,
                                   evaluation.confidence, evaluation.n_resamples, evaluation.seed)
    handoff_rows = summarize_handoffs(records, evaluation.slices)
    missed = missed_handoffs(records)
    pairwise = [s.name for s in evaluation.scorers if getattr(s, "pairwise", False)]
    preference_rows = summarize_preferences(records, pairwise, evaluation.slices, evaluation.confidence,
                                            evaluation.n_resamples, evaluation.seed)
    # Judges count this invocation's calls, re-asks, errors, tokens and cost (a cached reply keeps its original cost).
    judge_usage = {s.name: s.usage.as_metrics() for s in evaluation.scorers if hasattr(s, "usage")}
    summary_path = run_dir / "summary.json"
    summary_path.write_text(json.dumps({
        "dataset": {"name": dataset.name, "path": dataset.path, "digest": dataset.digest,
                    "transcripts": len(dataset.transcripts) if n_transcripts is None else n_transcripts,
                    "skipped": len(dataset.skipped),
                    "skipped_records": [str(e) for e in dataset.skipped]},
        "cases": len(cases),
        "shard": str(shard) if shard else None,
        "seed": evaluation.seed,
        "scorers": {s.name: {"higher_is_better": bool(s.higher_is_better), "needs_reference": bool(s.needs_reference)}
                    for s in evaluation.scorers},
        "bots": [{**b.as_dict(), "fingerprint": fingerprints.get(b.bot)} for b in bot_rows],
        "scores": [s.as_dict() for s in score_rows],
        "preferences": [p.as_dict() for p in preference_rows],
        "judge_usage": judge_usage,
        "parity": [p.as_dict() for p in parity_rows],
        "handoffs": [h.as_dict() for h in handoff_rows],
        "missed_handoffs": [{"bot": r.bot, "case_id": r.case_id} for r in missed],
    }, indent=2, allow_nan=True))
    report_path = run_dir / "report.md"
    report_path.write_text(render(evaluation.name, dataset.name, len(cases), len(dataset.skipped), bot_rows,
                                  score_rows, records, primary=scorer_names[0] if scorer_names else "",
                                  lead=[*parity_section(parity_rows), *handoff_section(handoff_rows, missed)])
                           + render_markdown(preference_rows))

    extra = bot_metrics or {}
    env_path = run_dir / "environment.json"
    env = environment()
    env_path.write_text(json.dumps(env, indent=2))
    run_tags = {**evaluation.tags, "evalkit.dataset_digest": dataset.digest, "evalkit.seed": str(evaluation.seed)}
    if shard:
        run_tags["evalkit.shard"] = str(shard)
    log_path = run_dir / "results.jsonl"
    artifacts = [report_path, summary_path, env_path, *([log_path] if log_path.exists() else [])]
    run_id = evaluation.tracker.log(EvaluationRun(
        name=evaluation.name,
        tags=run_tags,
        params={**evaluation.params, **{f"env.{k}": v for k, v in env["packages"].items()},
                "env.python": env["python"]},
        dataset_name=dataset.name, dataset_path=dataset.path, dataset_digest=dataset.digest,
        dataset_rows=[{"case_id": c.id, "transcript_id": c.transcript_id, **c.slices} for c in cases],
        metrics={"cases": len(cases), "skipped_records": len(dataset.skipped),
                 **{metric_name("judge", scorer, key): value for scorer, usage in judge_usage.items()
                    for key, value in usage.items()}},
        artifacts=[*artifacts, run_dir / "config.yaml"] if (run_dir / "config.yaml").exists() else artifacts,
        bots=[_bot_run(b, score_rows, records, extra.get(b.bot, {}), preference_rows, fingerprints.get(b.bot),
                       parity_rows, handoff_rows) for b in bot_rows],
    ))
    if run_id:
        (run_dir / "mlflow_run_id").write_text(run_id + "\n")  # lets `evalkit compare` link a run directory's run
    return Outcome(run_dir, run_id, dataset, tuple(cases), tuple(bot_rows), tuple(score_rows), report_path)


def score_columns(scorers: Sequence[str], records: Sequence[Record]) -> list[str]:
    """Each scorer's column, then its parts ("rubric/<criterion>") as they appear in the log."""
    parts = dict.fromkeys(k for r in records for k in r.scores if "/" in k and k.split("/", 1)[0] in scorers)
    return [*scorers, *parts]


def _bot_run(bot: BotSummary, scores: Sequence[ScoreSummary], records: Sequence[Record],
             extra: Mapping[str, float], preferences: Sequence[PreferenceSummary] = (),
             fingerprint: str | None = None, parity: Sequence[ParitySummary] = (),
             handoffs: Sequence[HandoffSummary] = ()) -> BotRun:
    # The headline first: bot vs human on the same cases, then handoffs.
    metrics = {metric_name(*k): v for k, v in {**parity_metrics(parity, bot.bot),
                                               **handoff_metrics(handoffs, bot.bot)}.items()}
    metrics.update({"error_rate": bot.error_rate, "n_cases": bot.n_cases, "n_errors": bot.n_errors,
                    "latency_p50_s": bot.latency_p50_s, "latency_p95_s": bot.latency_p95_s, **extra})
    metrics.update({k: v for k, v in (("tokens_in", bot.tokens_in), ("tokens_out", bot.tokens_out),
                                      ("cost", bot.cost)) if v is not None})
    for p in preferences:
        if p.bot == bot.bot and p.slice_key == OVERALL:
            for key in ("wins", "ties", "splits", "losses", "position_bias"):
                metrics[metric_name(p.scorer, key)] = getattr(p, key)
    for s in scores:
        if s.bot != bot.bot:
            continue
        prefix = (s.scorer,) if s.slice_key == OVERALL else ("slice", s.slice_key, s.slice_value, s.scorer)
        metrics[metric_name(*prefix, "mean")] = s.mean
        if s.slice_key == OVERALL:
            metrics[metric_name(s.scorer, "ci_low")] = s.ci_low
            metrics[metric_name(s.scorer, "ci_high")] = s.ci_high
            metrics[metric_name(s.scorer, "n")] = s.n
    metrics = {k: v for k, v in metrics.items() if v == v}  # MLflow rejects NaN from empty slices
    return BotRun(name=bot.bot, metrics=metrics, rows=as_rows(r for r in records if r.bot == bot.bot),
                  tags={"evalkit.bot_fingerprint": fingerprint} if fingerprint else {})
