"""A judge backend for tests: its answer is a function of the judge conversation it is shown."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from evalkit.bots.base import Reply, fingerprint_of
from evalkit.replay import Case


class ScriptedJudge:
    """A judge backend whose answer is a function of the whole judge conversation; counts its batches."""

    def __init__(self, answer: Callable[[Case], str | None], name: str = "scripted"):
        self.name = name
        self.answer = answer
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
