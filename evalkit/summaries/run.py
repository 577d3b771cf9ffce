"""One summary of a run, derived from its records: every number the console, summary.json, the report and MLflow
show, computed once into one frozen object. It knows its JSON and its MLflow metrics; it renders nothing.

How each score column is summarised is the scorer's declaration (`Scorer.summary`): every column gets mean and CI
per bot and slice; reference-free "mean" columns also get human parity; "pairwise" columns win/tie/loss and
position bias; "handoff" columns precision and recall against the handoffs the cases called for.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from evalkit.contract import Scorer, Summary
from evalkit.summaries.columns import RecordColumns
from evalkit.summaries.domain import DOMAIN_TAG, DomainCheck, check_domains
from evalkit.summaries.handoffs import HandoffSummary, missed_handoffs, summarize_handoffs
from evalkit.summaries.judging import judge_metrics, summarize_judges
from evalkit.summaries.pairwise import PreferenceSummary, summarize_preferences
from evalkit.summaries.parity import ParitySummary, summarize_parity
from evalkit.summaries.scores import BotSummary, ScoreSummary, summarize_bots, summarize_scores
from evalkit.summaries.slices import OVERALL
from evalkit.summaries.trust import VALIDITY_TAG, ScorerValidity


@dataclass(frozen=True)
class Column:
    """One score column of the results: a scorer's own value, or one of its parts ("rubric/<criterion>")."""

    name: str
    higher_is_better: bool | None
    needs_reference: bool
    summary: Summary = "mean"
    parity: bool = True  # its reference-free human scores are a parity yardstick (Scorer.parity)

    @property
    def scorer(self) -> str:
        return self.name.split("/", 1)[0]

    @property
    def is_part(self) -> bool:
        return "/" in self.name


def columns_of(scorers: Sequence[Scorer], score_keys: Sequence[str]) -> tuple[Column, ...]:
    """Each scorer's column, then its parts in the order the records first hold them; parts inherit their
    scorer's declarations."""
    by_name = {s.name: s for s in scorers}
    parts = dict.fromkeys(k for k in score_keys if "/" in k and k.split("/", 1)[0] in by_name)
    def column(name: str) -> Column:
        scorer = by_name[name.split("/", 1)[0]]
        return Column(name, scorer.higher_is_better, scorer.needs_reference, scorer.summary, scorer.parity)

    return tuple(column(name) for name in [*by_name, *parts])


@dataclass(frozen=True)
class DatasetInfo:
    """What the run's data was: enough to find it again and to tell whether it changed."""

    name: str
    path: str
    digest: str
    transcripts: int
    skipped: tuple[str, ...] = ()  # one line per invalid record skipped (on_error=skip)


@dataclass(frozen=True)
class MissedHandoff:
    bot: str
    scorer: str
    case_id: str


SLICE_TABLE_COLUMNS = ("slice_key", "slice_value", "scorer", "mean", "ci_low", "ci_high", "n", "n_errors", "human_mean",
                      "parity_diff", "parity_ci_low", "parity_ci_high", "parity_ratio", "handoff_asked", "handoff_got",
                      "handoff_missed", "handoff_unnecessary", "handoff_precision", "handoff_recall")

_METRIC_NAME_UNSAFE = re.compile(r"[^\w\-. /:]")


def metric_name(*parts: str) -> str:
    """MLflow accepts only alphanumerics, _ - . space / : in metric names; slice values can hold anything."""
    return "/".join(_METRIC_NAME_UNSAFE.sub("_", str(p)) for p in parts)


@dataclass(frozen=True)
class RunSummary:
    name: str
    dataset: DatasetInfo
    cases: int
    primary: str  # the scorer the report ranks by and sweepers optimise
    columns: tuple[Column, ...]
    bots: tuple[BotSummary, ...]
    scores: tuple[ScoreSummary, ...]
    parity: tuple[ParitySummary, ...] = ()
    handoffs: tuple[HandoffSummary, ...] = ()
    missed_handoffs: tuple[MissedHandoff, ...] = ()
    preferences: tuple[PreferenceSummary, ...] = ()
    judge_usage: Mapping[str, Mapping[str, float]] = field(default_factory=dict)  # this process's judge calls
    fingerprints: Mapping[str, str] = field(default_factory=dict)
    cache: Mapping[str, Mapping[str, int]] = field(default_factory=dict)  # bot -> cache hits and misses
    shard: str | None = None
    seed: int = 0
    validity: tuple[ScorerValidity, ...] = ()  # how far each of the run's scorers agrees with people, as measured
    domain: tuple[DomainCheck, ...] = ()  # trained scorers: the run's human replies against their training data

    def overall(self, bot: str, column: str) -> ScoreSummary | None:
        return next((s for s in self.scores if s.bot == bot and s.scorer == column and s.slice_key == OVERALL), None)

    def primary_metric(self, bot: str | None = None) -> float:
        """The primary scorer's mean for one bot (default: the first bot that is not the human row)."""
        candidates = [b.bot for b in self.bots if b.bot == bot] if bot else [b.bot for b in self.bots
                                                                            if not b.replies_with_reference]
        row = next((s for name in candidates if (s := self.overall(name, self.primary))), None)
        return row.mean if row else float("nan")

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "dataset": {"name": self.dataset.name, "path": self.dataset.path, "digest": self.dataset.digest,
                        "transcripts": self.dataset.transcripts, "skipped": len(self.dataset.skipped),
                        "skipped_records": list(self.dataset.skipped)},
            "cases": self.cases,
            "shard": self.shard,
            "seed": self.seed,
            "primary_scorer": self.primary,
            "scorers": {c.name: {"higher_is_better": c.higher_is_better, "needs_reference": c.needs_reference,
                                 "summary": c.summary, "parity": c.parity} for c in self.columns},
            "bots": [{**b.as_dict(), "fingerprint": self.fingerprints.get(b.bot), **self.cache.get(b.bot, {})}
                     for b in self.bots],
            "scores": [s.as_dict() for s in self.scores],
            "preferences": [p.as_dict() for p in self.preferences],
            "judge_usage": {k: dict(v) for k, v in self.judge_usage.items()},
            "judges": [j.as_dict() for j in summarize_judges(self.judge_usage)],
            "parity": [p.as_dict() for p in self.parity],
            "handoffs": [h.as_dict() for h in self.handoffs],
            "missed_handoffs": [{"bot": m.bot, "scorer": m.scorer, "case_id": m.case_id}
                                for m in self.missed_handoffs],
            "validity": [v.as_dict() for v in self.validity],
            "domain": [d.as_dict() for d in self.domain],
        }

    def outside_domain(self) -> tuple[DomainCheck, ...]:
        return tuple(d for d in self.domain if d.outside)

    def validity_tags(self) -> dict[str, str]:
        """How far to trust each scorer, as MLflow tags a reader sees beside the run's numbers: its measured
        agreement with people, and whether this run's data is within what it was trained on."""
        return {**{VALIDITY_TAG + v.scorer: v.describe() for v in self.validity},
                **{DOMAIN_TAG + d.scorer: d.describe() for d in self.domain}}

    def run_metrics(self) -> dict[str, float]:
        """The parent run's metrics: the dataset's size and what the judges cost."""
        metrics = {"cases": self.cases, "skipped_records": len(self.dataset.skipped)}
        metrics.update({metric_name("judge", scorer, key): value for scorer, usage in self.judge_usage.items()
                        for key, value in usage.items()})
        metrics.update({metric_name("judge", scorer, key): value for scorer, derived in
                        judge_metrics(self.judge_usage).items() for key, value in derived.items()})
        return _finite(metrics)

    def bot_metrics(self, bot: str) -> dict[str, float]:
        """One bot's headline metrics, overall only, at most a few dozen: each scorer's mean and CI, parity with the
        human agents, handoffs, errors, latency and cost. Rubric parts and slices are in `slice_table` (MLflow
        tables), so the run's metric list stays one people can read."""
        metrics: dict[str, float] = {}
        for p in self.parity:
            if p.bot == bot and p.slice_key == OVERALL and "/" not in p.scorer:
                metrics.update({metric_name("parity", p.scorer, n): float(getattr(p, n))
                                for n in ("diff", "ci_low", "ci_high", "ratio", "bot_mean", "human_mean")})
        for h in self.handoffs:
            if h.bot == bot and h.slice_key == OVERALL:
                metrics.update({metric_name(h.scorer, n): float(getattr(h, n))
                                for n in ("precision", "recall", "f1", "tp", "fn", "fp", "tn")})
        row = next(b for b in self.bots if b.bot == bot)
        metrics.update({"error_rate": row.error_rate, "n_cases": row.n_cases, "n_errors": row.n_errors,
                        "latency_p50_s": row.latency_p50_s, "latency_p95_s": row.latency_p95_s,
                        **self.cache.get(bot, {})})
        metrics.update({k: v for k, v in (("tokens_in", row.tokens_in), ("tokens_out", row.tokens_out),
                                          ("cost", row.cost)) if v is not None})
        metrics.update({"n_truncated": row.n_truncated, "n_empty": row.n_empty,
                        **{k: v for k, v in (("queue_p50_s", row.queue_p50_s), ("queue_p95_s", row.queue_p95_s))
                           if v is not None}})
        if row.cost is not None and self.dataset.transcripts:
            metrics["cost_per_conversation"] = row.cost / self.dataset.transcripts
        for p in self.preferences:
            if p.bot == bot and p.slice_key == OVERALL:
                for key in ("wins", "ties", "splits", "losses", "position_bias"):
                    metrics[metric_name(p.scorer, key)] = getattr(p, key)
        for s in self.scores:
            if s.bot == bot and s.slice_key == OVERALL and "/" not in s.scorer:
                metrics.update({metric_name(s.scorer, n): getattr(s, n) for n in ("mean", "ci_low", "ci_high", "n")})
        return _finite(metrics)

    def slice_table(self, bot: str) -> list[dict[str, Any]]:
        """One row per slice (the whole set first) and score column of one bot: its mean and CI, and where the
        column has one, parity with the human agents (human mean, bot − human with its CI, ratio) and handoffs
        (asked for a human: tp + fn; got one: tp; unnecessary: fp). What MLflow shows as the run's table."""
        parity = {(p.slice_key, p.slice_value, p.scorer): p for p in self.parity if p.bot == bot}
        handoffs = {(h.slice_key, h.slice_value, h.scorer): h for h in self.handoffs if h.bot == bot}
        rows = []
        for s in self.scores:
            if s.bot != bot:
                continue
            row: dict[str, Any] = {"slice_key": s.slice_key, "slice_value": s.slice_value, "scorer": s.scorer,
                                   "mean": s.mean, "ci_low": s.ci_low, "ci_high": s.ci_high, "n": s.n,
                                   "n_errors": s.n_errors}
            if (p := parity.get((s.slice_key, s.slice_value, s.scorer))) is not None:
                row.update(human_mean=p.human_mean, parity_diff=p.diff, parity_ci_low=p.ci_low,
                           parity_ci_high=p.ci_high, parity_ratio=p.ratio)
            if (h := handoffs.get((s.slice_key, s.slice_value, s.scorer))) is not None:
                row.update(handoff_asked=h.tp + h.fn, handoff_got=h.tp, handoff_missed=h.fn, handoff_unnecessary=h.fp,
                           handoff_precision=h.precision, handoff_recall=h.recall)
            rows.append(row)
        return rows


@dataclass(frozen=True)
class StatsSettings:
    """How uncertainty is computed, for every summary of a run."""

    confidence: float = 0.95
    n_resamples: int = 2000
    seed: int = 0


def _finite(metrics: Mapping[str, float]) -> dict[str, float]:
    return {k: v for k, v in metrics.items() if v == v}  # MLflow rejects NaN from empty slices


def summarize(
    records: RecordColumns, scorers: Sequence[Scorer], slices: Sequence[str], stats: StatsSettings, *,
    name: str, dataset: DatasetInfo, cases: int, primary: str, fingerprints: Mapping[str, str] | None = None,
    cache: Mapping[str, Mapping[str, int]] | None = None, shard: str | None = None,
    validity: Sequence[ScorerValidity] = (),
) -> RunSummary:
    """Every summary of a run's records (as columns: evalkit.summaries.columns)."""
    columns = columns_of(scorers, records.score_columns)
    every = [c.name for c in columns]
    ci = (stats.confidence, stats.n_resamples, stats.seed)
    handoff = [c.name for c in columns if c.summary == "handoff" and not c.is_part]
    return RunSummary(
        name=name, dataset=dataset, cases=cases, primary=primary, columns=columns,
        bots=tuple(summarize_bots(records)),
        scores=tuple(summarize_scores(records, every, slices, *ci)),
        parity=tuple(summarize_parity(records, [c.name for c in columns if c.summary == "mean"
                                                and not c.needs_reference and c.parity], slices, *ci)),
        handoffs=tuple(row for scorer in handoff for row in summarize_handoffs(records, scorer, slices)),
        missed_handoffs=tuple(MissedHandoff(bot, scorer, case_id) for scorer in handoff
                              for bot, case_id in missed_handoffs(records, scorer)),
        preferences=tuple(summarize_preferences(
            records, [c.name for c in columns if c.summary == "pairwise" and not c.is_part], slices, *ci)),
        judge_usage={s.name: usage.as_metrics() for s in scorers if (usage := s.judge_usage()) is not None},
        fingerprints=dict(fingerprints or {}), cache={k: dict(v) for k, v in (cache or {}).items()},
        shard=shard, seed=stats.seed,
        validity=tuple(v for v in validity if v.scorer in {s.name for s in scorers}),
        domain=tuple(check_domains(records, scorers)),
    )
