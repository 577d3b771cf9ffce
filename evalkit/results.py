"""The per-turn results log: one JSON line per (bot, case), appended and flushed as replies are scored.

It is the source of truth: summaries and reports are derived from it, an interrupted run resumes from it, and an
old run can be re-scored from it without calling any bot.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Mapping
from contextlib import suppress
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from evalkit.files import writing
from evalkit.replay import Case
from evalkit.reply import Reply, Score


@dataclass(frozen=True)
class Record:
    bot: str
    case_id: str
    transcript_id: str
    turn_index: int
    slices: Mapping[str, str]
    context: tuple[Mapping[str, str], ...]  # [{"role", "text"}]: what QA needs to judge the reply
    reference: str
    reply: Reply
    scores: Mapping[str, float | None] = field(default_factory=dict)
    details: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # scorer -> {label, rationale}
    expected_handoff: bool | None = None
    reply_is_reference: bool = False  # the human row: the reply is the reference (Bot.replies_with_reference)

    @classmethod
    def of(cls, bot: str, case: Case, reply: Reply, scores: Mapping[str, Score], reply_is_reference: bool = False
           ) -> Record:
        return cls(
            bot=bot,
            case_id=case.id,
            transcript_id=case.transcript_id,
            turn_index=case.turn_index,
            slices=dict(case.slices),
            context=tuple({"role": t.role, "text": t.text} for t in case.context),
            reference=case.reference.text,
            reply=reply,
            scores={key: value for name, s in scores.items()
                    for key, value in ((name, s.value), *((f"{name}/{p}", v) for p, v in s.parts.items()))},
            details={name: {k: v for k, v in (("label", s.label), ("rationale", s.rationale)) if v is not None}
                     for name, s in scores.items() if s.label is not None or s.rationale is not None},
            expected_handoff=_expected_handoff(case),
            reply_is_reference=reply_is_reference,
        )

    def to_json(self) -> str:
        # Field by field rather than asdict(), which deep-copies every context turn: this runs once per record.
        row = {f.name: getattr(self, f.name) for f in fields(self)}
        row.update(reply=asdict(self.reply), slices=dict(self.slices), context=[dict(t) for t in self.context],
                   scores=dict(self.scores), details={k: dict(v) for k, v in self.details.items()})
        return json.dumps(row, ensure_ascii=False)

    @classmethod
    def from_json(cls, line: str) -> Record:
        row = json.loads(line)
        row["reply"] = Reply(**row["reply"])
        row["context"] = tuple(row["context"])
        # Logs written before the flag existed: their human row was the bot named "human".
        row.setdefault("reply_is_reference", row["bot"] == "human")
        return cls(**row)


def _expected_handoff(case: Case) -> bool | None:
    """The human agent escalated at this turn, or the customer asked for a human since the last agent turn."""
    since_agent = []
    for turn in reversed(case.context):
        if turn.role == "agent":
            break
        since_agent.append(turn)
    if any(t.role == "customer" and t.meta.get("asks_for_human") for t in since_agent):
        return True
    if "handoff" in case.reference.meta:
        return bool(case.reference.meta["handoff"])
    return None


class ResultsLog:
    """Append-only JSONL. A line cut short by a killed process is dropped on open, so appends stay well-formed.

    Iterating reads the file line by line, every time: the log is never held in memory, however long the run.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)

    def append(self, records: Iterable[Record]) -> None:
        """Append whole lines or nothing: a write the disk refuses (full, I/O error) is cut back off, so the log
        holds what was done before it and a resumed run redoes only the refused batch."""
        records = list(records)
        data = memoryview("".join(record.to_json() + "\n" for record in records).encode())
        with writing(self.path):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                kept = os.lseek(fd, 0, os.SEEK_END)
                try:
                    while data:
                        data = data[os.write(fd, data):]
                    os.fsync(fd)
                except OSError:
                    with suppress(OSError):
                        os.ftruncate(fd, kept)
                    raise
            finally:
                os.close(fd)

    def __iter__(self) -> Iterator[Record]:
        if not self.path.exists():
            return
        with self.path.open(encoding="utf-8") as lines:
            for line in lines:
                if line.endswith("\n"):
                    yield Record.from_json(line)

    def read(self) -> list[Record]:
        return list(self)

    def repair(self) -> int:
        """Cut a trailing partial line (from a kill mid-write); returns the bytes removed. Reads back from the end
        only as far as the last newline."""
        if not self.path.exists():
            return 0
        with self.path.open("r+b") as log:
            size = end = log.seek(0, os.SEEK_END)
            while end > 0:
                start = max(0, end - 65536)
                log.seek(start)
                newline = log.read(end - start).rfind(b"\n")
                if newline >= 0:
                    end = start + newline + 1
                    break
                end = start
            if end < size:
                log.truncate(end)
        return size - end

    def done(self) -> set[tuple[str, str]]:
        return {(record.bot, record.case_id) for record in self}


def as_row(r: Record) -> dict[str, Any]:
    """A flat row for tables (MLflow, pandas): scores as columns."""
    return {"case_id": r.case_id, "bot": r.bot, **{f"slice.{k}": v for k, v in r.slices.items()},
            "context": "\n".join(f"{t['role']}: {t['text']}" for t in r.context),
            "reference": r.reference, "reply": r.reply.text, "error": r.reply.error,
            "handoff": r.reply.handoff, "expected_handoff": r.expected_handoff, "latency_s": r.reply.latency_s,
            **r.scores}


ROW_FIELDS = ("case_id", "bot", "context", "reference", "reply", "error", "handoff", "expected_handoff", "latency_s")
