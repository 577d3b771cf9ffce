"""Fakes shared by the bot, cache, resume and re-scoring tests: a bot, a tracker, a small transcript file."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from evalkit.bots.base import Reply, fingerprint_of
from evalkit.replay import Case
from evalkit.tracking import EvaluationRun


class EchoBot:
    """Replies with the last turn reversed, fails when the last turn says 'fail', and remembers what it was asked."""

    def __init__(self, name: str = "echo", version: int = 1):
        self.name = name
        self.version = version
        self.asked: list[list[str]] = []

    def fingerprint(self) -> str:
        return fingerprint_of("echo", version=self.version)

    def reply_batch(self, cases: Sequence[Case]) -> list[Reply]:
        self.asked.append([c.id for c in cases])
        return [Reply.failed("backend said no") if "fail" in c.context[-1].text
                else Reply(text=c.context[-1].text[::-1], latency_s=0.5, tokens_in=3, tokens_out=2, cost=0.01)
                for c in cases]


class RecordingTracker:
    """Keeps what it was asked to log."""

    def __init__(self) -> None:
        self.runs: list[EvaluationRun] = []

    def log(self, run: EvaluationRun) -> str | None:
        self.runs.append(run)
        return f"run-{len(self.runs)}"


def write_transcripts(path: Path) -> Path:
    """Four short conversations, six agent turns, one of which makes EchoBot fail."""
    rows = [
        ("c1", [("customer", "my card was charged twice"), ("agent", "I will refund the second charge")]),
        ("c2", [("customer", "where is my transfer"), ("agent", "it left yesterday"), ("customer", "thanks"),
                ("agent", "you are welcome")]),
        ("c3", [("customer", "please fail here"), ("agent", "sorry, let me check")]),
        ("c4", [("customer", "hi"), ("system", "account verified"), ("agent", "hello, how can I help?"),
                ("customer", "close my account"), ("agent", "I can do that for you")]),
    ]
    with path.open("w") as out:
        for i, (tid, turns) in enumerate(rows):
            out.write(json.dumps({"id": tid, "turns": [{"role": r, "text": t} for r, t in turns],
                                  "meta": {"company": "acme", "intent": "billing" if i % 2 else "account"}}) + "\n")
    return path
