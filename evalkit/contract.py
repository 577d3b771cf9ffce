"""The extension contract: what a bot and a scorer are, and the optional members either may declare.

A backend or scorer derives from `Bot` or `Scorer`, so every optional member below has its declared default and the
pipeline reads declarations instead of probing objects for attributes. `isinstance(obj, Bot)` holds for every
object that has all the members (deriving is the easy way); the config edge refuses anything else at start-up, and
the conformance test (tests/test_conformance.py) holds every configured bot and scorer to this contract.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

from evalkit.replay import Case
from evalkit.reply import ChoiceWeights, Reply, Score
from evalkit.transcript import Transcript

# How a scorer's per-case values are summarised: "mean" (mean, bootstrap CI, parity when reference-free),
# "pairwise" (win/tie/split/loss from the labels, position bias), "handoff" (precision and recall against the
# handoffs the cases called for, from values >= 0.5 meaning handed off).
Summary = Literal["mean", "pairwise", "handoff"]
SUMMARIES: tuple[str, ...] = ("mean", "pairwise", "handoff")


@runtime_checkable
class Bot(Protocol):
    """A candidate (or baseline) replying to replayed conversations, one batch at a time."""

    name: str
    # The reply depends on the conversation so far and nothing else, so the reply cache may serve it.
    cacheable: bool = True
    # The bot answers with the case's own reference (the human row): reference-based scorers skip its replies.
    replies_with_reference: bool = False
    # The bot learns from the dataset first: `fit` gets every transcript of the run before any reply.
    needs_fit: bool = False
    # As a judge backend, the bot answers by `weigh_choices` (a local model's next-token probabilities) instead of
    # generating a JSON verdict to parse.
    weighs_choices: bool = False

    def fingerprint(self) -> str:
        """Stable hash of everything that determines the bot's output (model, revision, parameters)."""
        ...

    def reply_batch(self, cases: Sequence[Case]) -> list[Reply]:
        """One reply per case, in order; per-case failures come back as `Reply.failed`."""
        ...

    def fit(self, transcripts: Sequence[Transcript]) -> None:
        """Learn from the run's transcripts (bots that declare needs_fit)."""

    def weigh_choices(self, cases: Sequence[Case], prefix: str, choices: Sequence[str]) -> list[ChoiceWeights]:
        """For each case, the probability of each choice as the reply's continuation after `prefix` (bots that
        declare weighs_choices)."""
        raise NotImplementedError(f"bot {self.name!r} does not weigh choices")

    def reply_each(self, cases: Sequence[Case], done: Callable[[int, Reply], None]) -> list[Reply]:
        """reply_batch, telling done(index, reply) about each reply as soon as it exists, so a batch cut short
        by a kill keeps its finished replies (the reply cache stores each at once). Backends that finish replies
        one at a time (HTTP, a function per case, sub-batches) override it; the default tells at the end."""
        replies = self.reply_batch(cases)
        for index, reply in enumerate(replies):
            done(index, reply)
        return replies


class JudgeUsage:
    """Running totals of a scorer's judge calls: what they cost (calls, re-asks, tokens, money, time) and how often
    they failed. `parse_failures` and `backend_failures` count calls (each attempt) that gave no verdict; `errors`
    counts questions still without one after every re-ask. `latency_s` is the servers' time, `queue_s` the time
    the calls waited in the client for a slot (both summed over calls)."""

    FIELDS = ("calls", "reasks", "errors", "parse_failures", "backend_failures", "tokens_in", "tokens_out", "cost",
              "latency_s", "queue_s")

    def __init__(self) -> None:
        self.calls = self.reasks = self.errors = self.tokens_in = self.tokens_out = 0
        self.parse_failures = self.backend_failures = 0
        self.cost = self.latency_s = self.queue_s = 0.0

    def add(self, replies: Sequence[Reply], reasks: int = 0) -> None:
        self.calls += len(replies)
        self.reasks += reasks
        for reply in replies:
            self.tokens_in += reply.tokens_in or 0
            self.tokens_out += reply.tokens_out or 0
            self.cost += reply.cost or 0.0
            self.latency_s += reply.latency_s or 0.0
            self.queue_s += reply.queue_s or 0.0

    def add_weights(self, weights: Sequence[ChoiceWeights]) -> None:
        """Questions a backend answered by weighing choices: calls, prompt tokens and time; nothing generated."""
        self.calls += len(weights)
        self.tokens_in += sum(w.tokens_in for w in weights)
        self.latency_s += sum(w.latency_s for w in weights)

    @classmethod
    def total(cls, usages: Iterable[JudgeUsage | None]) -> JudgeUsage | None:
        """The sum of the usages given; None when none was given (no judge was involved)."""
        found = [u for u in usages if u is not None]
        if not found:
            return None
        out = cls()
        for usage in found:
            for key in cls.FIELDS:
                setattr(out, key, getattr(out, key) + getattr(usage, key))
        return out

    def as_metrics(self) -> dict[str, float]:
        return {key: getattr(self, key) for key in self.FIELDS}


@dataclass(frozen=True)
class TrainingProfile:
    """Where a trained scorer put its own training data, cross-validated: the mean score of the examples it was
    taught are good (the true replies) and of those it was taught are not. A run's human replies landing nearer the
    negatives say the scorer is outside the domain it learned."""

    positive_mean: float
    negative_mean: float
    source: str  # which model and how it was measured, e.g. "models:/appropriateness/3, 2-fold cross-validation"
    positive: str | None = None  # the class whose probability these are, for a classifier


class TrainedModel:
    """A model that can say how its own training data scored (a registered classifier, a quality head): it derives
    from this class to declare so, and the scorer using it passes the profile on (`Scorer.training_profile`)."""

    def training_profile(self) -> TrainingProfile | None:
        return None


@runtime_checkable
class Scorer(Protocol):
    """Scores replies, a batch at a time: one Score per (case, reply), in order. Callers pass only replies that
    exist (failed replies are counted as errors and never scored)."""

    name: str
    # Which way is better; None for a rate with no better direction (how often a bot hands off).
    higher_is_better: bool | None = True
    # The score compares the reply with the human agent's reply; reference-free scorers also score the human row.
    needs_reference: bool = True
    summary: Summary = "mean"
    # A reference-free score of the human reply is a fair yardstick for human parity: True unless the scorer is
    # a check the human agents' replies pass by how they were written (the rule criteria: placeholders, promises).
    parity: bool = True
    # The values it gives when they are bounded (a judge's 1..5, a probability's 0..1); None: unbounded.
    scale: tuple[float, float] | None = None

    def score(self, cases: Sequence[Case], replies: Sequence[Reply]) -> list[Score]:
        ...

    def wrap_judges(self, wrap: Callable[[Bot], Bot]) -> None:
        """Replace each judge backend this scorer calls with wrap(backend) (the reply cache); none by default."""

    def judge_usage(self) -> JudgeUsage | None:
        """What this scorer's judge calls cost in this process; None for a scorer that calls no judge."""
        return None

    def training_profile(self) -> TrainingProfile | None:
        """How its training data scored, for a scorer learned from data that recorded it; None otherwise."""
        return None
