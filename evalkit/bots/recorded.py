"""Replies recorded elsewhere (production logs, another harness), keyed by case id."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

from evalkit.bots.fingerprint import fingerprint_of
from evalkit.contract import Bot
from evalkit.errors import InvalidRecord
from evalkit.replay import Case
from evalkit.reply import Reply


class RecordedBot(Bot):
    """Reads a JSONL of {"case_id", "text", optional "handoff", "latency_s", "tokens_in", "tokens_out", "cost"}.

    The file is checked line by line once, keeping only where each case's line starts; replies are read back from
    the file as cases ask for them, so a long recording is never held in memory."""

    cacheable = False  # keyed by case id, and free to read again

    def __init__(self, path: str, name: str = "recorded"):
        self.name = name
        self.path = path
        self._offsets: dict[str, int] | None = None

    def fingerprint(self) -> str:
        with open(self.path, "rb") as recording:
            digest = hashlib.file_digest(recording, "sha256").hexdigest()
        return fingerprint_of("recorded", sha256=digest)

    def reply_batch(self, cases: Sequence[Case]) -> list[Reply]:
        offsets = self._index()
        missing = Reply.failed(f"no recorded reply for this case in {self.path}")
        replies = []
        with open(self.path, "rb") as recording:
            for case in cases:
                offset = offsets.get(case.id)
                if offset is None:
                    replies.append(missing)
                    continue
                recording.seek(offset)
                replies.append(_reply(json.loads(recording.readline())))
        return replies

    def _index(self) -> dict[str, int]:
        if self._offsets is None:
            offsets: dict[str, int] = {}
            with open(self.path, "rb") as recording:
                index, offset = 0, 0
                for line in recording:
                    if line.strip():
                        offsets[_checked(line, self.path, index)] = offset
                    index, offset = index + 1, offset + len(line)
            self._offsets = offsets
        return self._offsets


def _checked(line: bytes, path: str, index: int) -> str:
    """The line's case id, once its fields are known to make a reply."""
    try:
        row = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise InvalidRecord(path, index, None, "(line)", f"not valid JSON: {getattr(err, 'msg', err)}") from None
    if not isinstance(row, dict):
        raise InvalidRecord(path, index, None, "(line)", "must be a JSON object")
    case_id, text = row.get("case_id"), row.get("text")
    if not isinstance(case_id, str):
        raise InvalidRecord(path, index, None, "case_id", "missing or not a string")
    if not isinstance(text, str):
        raise InvalidRecord(path, index, case_id, "text", "missing or not a string")
    if row.get("handoff") is not None and not isinstance(row["handoff"], bool):
        raise InvalidRecord(path, index, case_id, "handoff", f"must be true, false or null, got {row['handoff']!r}")
    for name in ("latency_s", "tokens_in", "tokens_out", "cost"):
        value = row.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise InvalidRecord(path, index, case_id, name, f"must be a number, got {value!r}")
    return case_id


def _reply(row: dict) -> Reply:
    return Reply(text=row["text"], handoff=row.get("handoff"), latency_s=float(row.get("latency_s") or 0.0),
                 tokens_in=row.get("tokens_in"), tokens_out=row.get("tokens_out"), cost=row.get("cost"))
