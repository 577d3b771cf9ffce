"""ABCD (Action-Based Conversations Dataset): a JSON array of {convo_id, scenario, original: [[speaker, text]]}.

Action turns (button clicks and their results) become system turns: tool output the bot sees, never produces.
Agents often send several messages in a row; they are merged into one agent turn, so one case is one reply.
"""

from __future__ import annotations

from typing import Any

from evalkit.errors import InvalidData, InvalidRecord
from evalkit.loaders.base import LoadedDataset, OnError, collect, file_digest, read_json
from evalkit.transcript import Transcript, Turn

_ROLES = {"customer": "customer", "agent": "agent", "action": "system"}


class AbcdLoader:
    def __init__(self, path: str, name: str = "abcd", on_error: OnError = "raise"):
        self.path = str(path)
        self.name = name
        self.on_error = on_error

    def load(self) -> LoadedDataset:
        records = read_json(self.path)
        if isinstance(records, dict):  # the full release is {"train": [...], "dev": [...], "test": [...]}
            records = [convo for split in records.values() for convo in split]
        if not isinstance(records, list):
            raise InvalidData(f"{self.path}: expected a JSON array of conversations, got {type(records).__name__}")
        transcripts, skipped = collect(records, self._build, self.on_error, self.path)
        return LoadedDataset(self.name, self.path, transcripts, skipped, file_digest(self.path))

    def _build(self, index: int, record: Any) -> Transcript:
        convo_id = record.get("convo_id") if isinstance(record, dict) else None
        record_id = None if convo_id is None else str(convo_id)

        def bad(field_name: str, problem: str) -> InvalidRecord:
            return InvalidRecord(self.path, index, record_id, field_name, problem)

        if not isinstance(record, dict):
            raise bad("(record)", "must be a JSON object")
        if record_id is None:
            raise bad("convo_id", "missing")
        original = record.get("original")
        if not isinstance(original, list) or not original:
            raise bad("original", "missing or not a non-empty list of [speaker, text]")
        turns: list[Turn] = []
        for i, pair in enumerate(original):
            if not (isinstance(pair, list) and len(pair) == 2):
                raise bad(f"original[{i}]", "must be a [speaker, text] pair")
            speaker, text = pair
            if speaker not in _ROLES:
                raise bad(f"original[{i}][0]", f"unknown role {speaker!r} (expected customer, agent or action)")
            if not isinstance(text, str) or not text.strip():
                raise bad(f"original[{i}][1]", "empty text" if isinstance(text, str) else "text must be a string")
            role = _ROLES[speaker]
            if role == "agent" and turns and turns[-1].role == "agent":
                turns[-1] = Turn("agent", f"{turns[-1].text} {text.strip()}", {"merged": True})
            else:
                turns.append(Turn(role, text.strip()))
        scenario = record.get("scenario") if isinstance(record.get("scenario"), dict) else {}
        flow = scenario.get("flow")
        meta = {"company": "abcd", "flow": flow, "intent": scenario.get("subflow"), "channel": "chat",
                "language": "en", "scenario": scenario}
        return Transcript(record_id, tuple(turns), {k: v for k, v in meta.items() if v is not None})
