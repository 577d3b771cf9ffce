"""Replies recorded elsewhere (production logs, another harness), keyed by case id."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

from evalkit.bots.fingerprint import fingerprint_of
from evalkit.contract import Bot
from evalkit.errors import InvalidRecord
from evalkit.replay import Case
from evalkit.reply import Reply


class RecordedBot(Bot):
    """Reads a JSONL of {"case_id", "text", optional "handoff", "latency_s", "tokens_in", "tokens_out", "cost"}."""

    cacheable = False  # keyed by case id, and free to read again

    def __init__(self, path: str, name: str = "recorded"):
        self.name = name
        self.path = path
        self._replies: dict[str, Reply] | None = None

    def fingerprint(self) -> str:
        digest = hashlib.sha256(Path(self.path).read_bytes()).hexdigest()
        return fingerprint_of("recorded", sha256=digest)

    def reply_batch(self, cases: Sequence[Case]) -> list[Reply]:
        replies = self._load()
        missing = Reply.failed(f"no recorded reply for this case in {self.path}")
        return [replies.get(case.id, missing) for case in cases]

    def _load(self) -> dict[str, Reply]:
        if self._replies is None:
            self._replies = {}
            with open(self.path, encoding="utf-8") as lines:
                for index, line in enumerate(lines):
                    if not line.strip():
                        continue
                    try:
                        row = json.loads(line)
                    except json.JSONDecodeError as err:
                        raise InvalidRecord(self.path, index, None, "(line)", f"not valid JSON: {err.msg}") from None
                    case_id, text = row.get("case_id"), row.get("text")
                    if not isinstance(case_id, str):
                        raise InvalidRecord(self.path, index, None, "case_id", "missing or not a string")
                    if not isinstance(text, str):
                        raise InvalidRecord(self.path, index, case_id, "text", "missing or not a string")
                    self._replies[case_id] = Reply(
                        text=text,
                        handoff=row.get("handoff"),
                        latency_s=float(row.get("latency_s", 0.0)),
                        tokens_in=row.get("tokens_in"),
                        tokens_out=row.get("tokens_out"),
                        cost=row.get("cost"),
                    )
        return self._replies
