"""The IBM Twitter customer-care format: a JSON array of {dialogHeader, dialogContent, agentURL}.

Every tweet in `dialogContent` is a turn (client/clientN -> customer, agent -> agent); the final agent reply in
`agentURL.url_utterance` is the last agent turn, marked `is_final_url_turn`.
"""

from __future__ import annotations

import re
from typing import Any

from evalkit.errors import InvalidData, InvalidRecord
from evalkit.loaders.base import LoadedDataset, OnError, collect, file_digest, read_json
from evalkit.transcript import Transcript, Turn

_CUSTOMER_KEY = re.compile(r"client\d*")
_TWEET_FIELDS = {"datetime", "message", "tweet_ID"}


class TwitterCareLoader:
    def __init__(self, path: str, name: str = "twitter_care", on_error: OnError = "raise"):
        self.path = str(path)
        self.name = name
        self.on_error = on_error

    def load(self) -> LoadedDataset:
        records = read_json(self.path)
        if not isinstance(records, list):
            raise InvalidData(f"{self.path}: expected a JSON array of conversations, got {type(records).__name__}")
        transcripts, skipped = collect(records, self._build, self.on_error, self.path)
        return LoadedDataset(self.name, self.path, transcripts, skipped, file_digest(self.path))

    def _build(self, index: int, record: Any) -> Transcript:
        header = record.get("dialogHeader") if isinstance(record, dict) else None
        session = header.get("sessionID") if isinstance(header, dict) else None
        record_id = None if session is None else str(session)

        def bad(field_name: str, problem: str) -> InvalidRecord:
            return InvalidRecord(self.path, index, record_id, field_name, problem)

        if not isinstance(record, dict):
            raise bad("(record)", "must be a JSON object")
        if not isinstance(header, dict):
            raise bad("dialogHeader", "missing or not an object")
        if not record_id:
            raise bad("dialogHeader.sessionID", "missing or empty")
        content, final = record.get("dialogContent"), record.get("agentURL")
        if not isinstance(content, list):
            raise bad("dialogContent", "missing or not a list")
        if not isinstance(final, dict):
            raise bad("agentURL", "missing or not an object")

        turns = []
        for i, tweet in enumerate(content):
            if not isinstance(tweet, dict):
                raise bad(f"dialogContent[{i}]", "must be an object")
            speakers = [k for k in tweet if k not in _TWEET_FIELDS]
            if len(speakers) != 1:
                raise bad(f"dialogContent[{i}]", f"expected one speaker key (client, clientN or agent), got {speakers}")
            speaker = speakers[0]
            if speaker == "agent":
                role = "agent"
            elif _CUSTOMER_KEY.fullmatch(speaker):
                role = "customer"
            else:
                raise bad(f"dialogContent[{i}].{speaker}", "unknown role: speaker key must be client, clientN or agent")
            turns.append(Turn(role, self._text(tweet.get("message"), bad, f"dialogContent[{i}].message"), {
                "speaker": tweet[speaker], "speaker_field": speaker,
                "datetime": tweet.get("datetime"), "tweet_id": tweet.get("tweet_ID"),
            }))
        text = self._text(final.get("url_utterance"), bad, "agentURL.url_utterance")
        turns.append(Turn("agent", text, {"is_final_url_turn": True, "tweet_id": final.get("tweet_ID"),
                                          "doc_id": final.get("doc_id"), "url": final.get("url")}))
        meta = {
            "company": header.get("company"),
            "conversation_datetime": header.get("conversationDateTime"),
            "duration": header.get("duration"),
            "message_count": header.get("messageCount"),
            "doc_id": final.get("doc_id"),
            "doc_url": final.get("url"),
            "channel": "twitter",
            "language": "en",
        }
        return Transcript(record_id, tuple(turns), {k: v for k, v in meta.items() if v is not None})

    @staticmethod
    def _text(value: Any, bad: Any, field_name: str) -> str:
        if value is None:
            raise bad(field_name, "missing")
        if not isinstance(value, str):
            raise bad(field_name, f"must be a string, got {type(value).__name__}")
        if not value.strip():
            raise bad(field_name, "empty text")
        return value
