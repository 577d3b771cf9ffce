"""Test doubles for evalkit users: make a whole evaluation deterministic in your own tests, no model or server needed.

    from evalkit.testing import EchoBot, RecordingTracker, ScriptedJudge

- EchoBot: replies with the last turn reversed; a last turn containing `fail_on` comes back as an error record.
- ScriptedJudge: a judge backend whose answer is a function of the judge prompt (return None for a failed call).
- ScriptedWeigher: a judge backend that weighs choices (as a local model does), its probabilities a function of the
  judge prompt.
- RecordingTracker: keeps every run it is asked to log, so a test can assert on metrics and artifacts.

Configs can name them too (`bots.echo: {_target_: evalkit.testing.EchoBot}`, `judge._target_=evalkit.testing...`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from evalkit.bots.fingerprint import fingerprint_of
from evalkit.contract import Bot
from evalkit.replay import Case
from evalkit.reply import ChoiceWeights, Reply
from evalkit.tracking.runs import EvaluationRun


class EchoBot(Bot):
    """Replies with the last turn reversed and remembers what it was asked (the case ids of each batch)."""

    def __init__(self, name: str = "echo", version: int = 1, fail_on: str = "fail", latency_s: float = 0.5):
        self.name = name
        self.version = version
        self.fail_on = fail_on
        self.latency_s = latency_s
        self.asked: list[list[str]] = []

    def fingerprint(self) -> str:
        return fingerprint_of("echo", version=self.version, fail_on=self.fail_on)

    def reply_batch(self, cases: Sequence[Case]) -> list[Reply]:
        self.asked.append([c.id for c in cases])
        replies = []
        for case in cases:
            last = case.context[-1].text if case.context else ""
            if self.fail_on and self.fail_on in last:
                replies.append(Reply.failed("backend said no"))
            else:
                replies.append(Reply(text=last[::-1] or "hello", latency_s=self.latency_s, tokens_in=3, tokens_out=2,
                                     cost=0.01))
        return replies


class ScriptedJudge(Bot):
    """A judge backend whose answer is a function of the whole judge conversation; counts its batches."""

    def __init__(self, answer: Callable[[Case], str | None] | None = None, name: str = "scripted",
                 reply: str | None = None):
        self.name = name
        self.answer = answer or (lambda case: reply)
        self.batches: list[int] = []

    def fingerprint(self) -> str:
        return fingerprint_of("scripted", name=self.name)

    def reply_batch(self, cases: Sequence[Case]) -> list[Reply]:
        self.batches.append(len(cases))
        out = []
        for case in cases:
            text = self.answer(case)
            out.append(Reply.failed("ConnectError after 3 attempts") if text is None
                       else Reply(text, tokens_in=10, tokens_out=5, cost=0.001))
        return out


class ScriptedWeigher(Bot):
    """A judge backend that answers by weighing choices: `weights(case, choices)` gives each choice's probability."""

    weighs_choices = True

    def __init__(self, weights: Callable[[Case, Sequence[str]], Mapping[str, float]], name: str = "weigher"):
        self.name = name
        self.weights = weights
        self.prefixes: list[str] = []

    def fingerprint(self) -> str:
        return fingerprint_of("weigher", name=self.name)

    def reply_batch(self, cases: Sequence[Case]) -> list[Reply]:
        raise AssertionError("a backend that weighs choices is never asked to write")

    def weigh_choices(self, cases: Sequence[Case], prefix: str, choices: Sequence[str]) -> list[ChoiceWeights]:
        self.prefixes.append(prefix)
        return [ChoiceWeights(dict(self.weights(case, choices)), tokens_in=10) for case in cases]


class RecordingTracker:
    """Keeps what it was asked to log (and the run directory its files are in); `log` answers a run id like a real
    tracker."""

    traces = "none"

    def __init__(self) -> None:
        self.runs: list[EvaluationRun] = []
        self.run_dirs: list[Path] = []

    def log(self, run: EvaluationRun, run_dir: Path) -> str | None:
        self.runs.append(run)
        self.run_dirs.append(run_dir)
        return f"run-{len(self.runs)}"
