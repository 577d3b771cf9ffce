"""Ask a judge backend (any Bot) many prompts in one batch; re-ask the unparseable ones a bounded number of times.

The backend is an ordinary Bot, so batching (transformers), concurrency, retries and keys (HTTP) and the reply cache
(CachedBot) come with it. A judge prompt becomes a one-turn Case. A re-ask shows the judge its own invalid answer and
what was wrong with it: a different context, so a cache never hands back the same bad answer, and a deterministic
model gets a real chance to answer differently. Answers that stay invalid come back as errors carrying the raw
text. A backend that weighs choices (a local model) is not asked to write at all: `weigh` reads its probability
of each allowed answer after the answer's opening.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from evalkit.contract import Bot, JudgeUsage, Scorer
from evalkit.errors import InvalidData
from evalkit.judges.parsing import InvalidJudgeOutput
from evalkit.judges.prompts import REPAIR
from evalkit.replay import Case
from evalkit.reply import ChoiceWeights
from evalkit.transcript import Turn

T = TypeVar("T")
RAW_LIMIT = 500  # characters of raw judge output kept in an error record


@dataclass(frozen=True)
class Answer(Generic[T]):
    value: T | None
    raw: str | None
    error: str | None = None
    attempts: int = 1

    @property
    def ok(self) -> bool:
        return self.error is None

    def error_rationale(self) -> str:
        raw = "" if self.raw is None else self.raw[:RAW_LIMIT] + ("…" if len(self.raw) > RAW_LIMIT else "")
        return f"judge error: {self.error} after {self.attempts} attempt(s); raw: {raw!r}"


def judge_case(query_id: str, prompt: str) -> Case:
    return Case(id=query_id, transcript_id=query_id, turn_index=0, context=(Turn("customer", prompt),),
                reference=Turn("agent", ""))


def _reask(case: Case, raw: str | None, problem: str) -> Case:
    earlier = (Turn("agent", raw),) if raw and raw.strip() else ()
    context = (*case.context, *earlier, Turn("customer", REPAIR.format(problem=problem)))
    return Case(id=case.id, transcript_id=case.transcript_id, turn_index=len(context) - 1, context=context,
                reference=case.reference)


def ask(
    backend: Bot, queries: Sequence[tuple[str, str]], parse: Callable[[str], T], max_attempts: int = 3,
    usage: JudgeUsage | None = None,
) -> list[Answer[T]]:
    """One answer per (id, prompt); every attempt round is a single reply_batch call."""
    if max_attempts < 1:
        raise ValueError(f"max_attempts must be at least 1, got {max_attempts}")
    usage = usage if usage is not None else JudgeUsage()
    answers: list[Answer[T] | None] = [None] * len(queries)
    pending = {i: judge_case(qid, prompt) for i, (qid, prompt) in enumerate(queries)}
    for attempt in range(1, max_attempts + 1):
        if not pending:
            break
        order = list(pending)
        replies = backend.reply_batch([pending[i] for i in order])
        if len(replies) != len(order):
            raise RuntimeError(f"judge backend {backend.name!r} returned {len(replies)} replies for {len(order)}")
        usage.add(replies, reasks=len(order) if attempt > 1 else 0)
        for i, reply in zip(order, replies, strict=True):
            if not reply.ok:
                # The backend already retried its transport; asking again here would multiply its retries.
                answers[i] = Answer(None, None, f"backend failed: {reply.error}", attempt)
                usage.backend_failures += 1
                del pending[i]
                continue
            try:
                answers[i] = Answer(parse(reply.text or ""), reply.text, None, attempt)
                del pending[i]
            except InvalidJudgeOutput as problem:
                answers[i] = Answer(None, reply.text, str(problem), attempt)
                usage.parse_failures += 1
                pending[i] = _reask(pending[i], reply.text, str(problem))
    done = [a for a in answers if a is not None]
    usage.errors += sum(not a.ok for a in done)
    return done


def weigh(backend: Bot, queries: Sequence[tuple[str, str]], prefix: str, choices: Sequence[str],
          usage: JudgeUsage) -> list[ChoiceWeights]:
    """The backend's probability of each choice after each (id, prompt) and the answer's `prefix`, in one batch."""
    weights = backend.weigh_choices([judge_case(qid, prompt) for qid, prompt in queries], prefix, choices)
    if len(weights) != len(queries):
        raise RuntimeError(f"judge backend {backend.name!r} weighed {len(weights)} prompts of {len(queries)}")
    usage.add_weights(weights)
    return weights


class BackendJudge(Scorer):
    """What every LLM-judge scorer shares: a backend bot asked through `ask`, its usage, the cache around it."""

    higher_is_better = True

    def __init__(self, backend: Bot, name: str, max_attempts: int):
        if max_attempts < 1:
            raise InvalidData(f"judge {name!r}: max_attempts must be at least 1, got {max_attempts}")
        if not isinstance(backend, Bot):
            raise InvalidData(f"judge {name!r}: `backend` must be a bot config with a `_target_`, got {backend!r}")
        self.name = name
        self.backend = backend
        self.max_attempts = max_attempts
        self.usage = JudgeUsage()

    def wrap_judges(self, wrap: Callable[[Bot], Bot]) -> None:
        self.backend = wrap(self.backend)

    def judge_usage(self) -> JudgeUsage:
        return self.usage

    def ask(self, queries: Sequence[tuple[str, str]], parse: Callable[[str], T]) -> list[Answer[T]]:
        return ask(self.backend, queries, parse, self.max_attempts, self.usage)

    def weigh(self, queries: Sequence[tuple[str, str]], prefix: str, choices: Sequence[str]) -> list[ChoiceWeights]:
        return weigh(self.backend, queries, prefix, choices, self.usage)
