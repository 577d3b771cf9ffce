"""ABCD (Action-Based Conversations Dataset): a JSON array of {convo_id, scenario, original: [[speaker, text]]}.

Action turns (button clicks and their results) become system turns: tool output the bot sees, never produces.
Agents often send several messages in a row; they are merged into one agent turn, so one case is one reply.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from evalkit.loaders.fields import RecordAt, check_id, check_label, check_object, check_text, shown, type_name, valid_id
from evalkit.loaders.json_array import Elements, JsonArrayLoader, array_elements
from evalkit.loaders.json_stream import FORMAT_PROBLEM, JsonStream
from evalkit.loaders.source import SourceFile
from evalkit.loaders.strict_json import has_surrogate, key_not_text, key_twice
from evalkit.transcript import Transcript, Turn

_ROLES = {"customer": "customer", "agent": "agent", "action": "system"}
# The object of splits' own problems, in the order the whole-document check found them: a split named twice would
# silently lose the first; then a split name that is no text; then a split that is no array.
_TWICE, _NOT_TEXT, _NOT_ARRAY = FORMAT_PROBLEM, FORMAT_PROBLEM + 1, FORMAT_PROBLEM + 2


@dataclass(frozen=True)
class AbcdLoader(JsonArrayLoader):
    name: str = "abcd"
    id_field = "convo_id"
    turns_field = "original"

    def records(self, stream: JsonStream, source: SourceFile) -> Elements:
        if stream.first() != "{":
            return array_elements(stream, source, self.limits)
        return self._splits(stream)

    def _splits(self, stream: JsonStream) -> Elements:
        """The full release is {"train": [...], "dev": [...], "test": [...]}: records are numbered across splits."""
        seen: set[str] = set()
        for split in stream.members():
            if split in seen:
                stream.note(_TWICE, f"the object of splits {key_twice(split)}")
            elif has_surrogate(split):
                stream.note(_NOT_TEXT, f"the object of splits {key_not_text(split)}")
            seen.add(split)
            if stream.first() == "[":
                yield from stream.elements()
            else:
                convos, _ = stream.value()
                stream.note(_NOT_ARRAY, f"split {split[:40]!r} must be a JSON array of conversations, got "
                                        f"{type_name(convos)}")
        stream.end()

    def record_id(self, record: Any) -> str | None:
        convo_id = record.get("convo_id") if isinstance(record, dict) else None
        return str(convo_id) if _is_integer(convo_id) else valid_id(convo_id)

    def transcript(self, record: dict[str, Any], at: RecordAt) -> Transcript:
        convo_id = record.get("convo_id")
        # ABCD publishes integer ids (SOURCE.md: the id is str(convo_id)); anything else but a string is refused.
        if _is_integer(convo_id):
            record_id = str(convo_id)
        elif convo_id is None or isinstance(convo_id, str):
            record_id = check_id(convo_id, at, "convo_id")
        else:
            raise at.error("convo_id", f"must be an integer or a string, got {type_name(convo_id)} {shown(convo_id)}")
        original = record.get("original")
        if not isinstance(original, list) or not original:
            raise at.error("original", "missing or not a non-empty list of [speaker, text]")
        turns: list[Turn] = []
        for i, pair in enumerate(original):
            if not (isinstance(pair, list) and len(pair) == 2):
                raise at.error(f"original[{i}]", "must be a [speaker, text] pair")
            speaker, text = pair
            if not isinstance(speaker, str) or speaker not in _ROLES:
                raise at.error(f"original[{i}][0]", f"unknown role {shown(speaker)} (expected customer, agent or "
                                                    "action)")
            text = check_text(text, at, f"original[{i}][1]", self.limits).strip()
            role = _ROLES[speaker]
            if role == "agent" and turns and turns[-1].role == "agent":
                merged = check_text(f"{turns[-1].text} {text}", at, f"original[{i}][1]", self.limits)
                turns[-1] = Turn("agent", merged, {"merged": True})
            else:
                turns.append(Turn(role, text))
        scenario = check_object(record.get("scenario"), at, "scenario")
        meta = {"company": "abcd", "flow": check_label(scenario.get("flow"), at, "scenario.flow"),
                "intent": check_label(scenario.get("subflow"), at, "scenario.subflow"), "channel": "chat",
                "language": "en", "scenario": scenario}
        return Transcript(record_id, tuple(turns), {k: v for k, v in meta.items() if v is not None})


def _is_integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
