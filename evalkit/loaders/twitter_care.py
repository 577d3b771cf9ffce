"""The IBM Twitter customer-care format: a JSON array of {dialogHeader, dialogContent, agentURL}.

Every tweet in `dialogContent` is a turn (client/clientN -> customer, agent -> agent); the final agent reply in
`agentURL.url_utterance` is the last agent turn, marked `is_final_url_turn`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from evalkit.loaders.fields import RecordAt, check_id, check_label, check_text, shown, valid_id
from evalkit.loaders.json_array import JsonArrayLoader
from evalkit.transcript import Transcript, Turn

_CUSTOMER_KEY = re.compile(r"client\d*")
_TWEET_FIELDS = {"datetime", "message", "tweet_ID"}


@dataclass(frozen=True)
class TwitterCareLoader(JsonArrayLoader):
    name: str = "twitter_care"
    id_field = "dialogHeader.sessionID"
    turns_field = "dialogContent"

    def record_id(self, record: Any) -> str | None:
        header = record.get("dialogHeader") if isinstance(record, dict) else None
        return valid_id(header.get("sessionID")) if isinstance(header, dict) else None

    def transcript(self, record: dict[str, Any], at: RecordAt) -> Transcript:
        header = record.get("dialogHeader")
        if not isinstance(header, dict):
            raise at.error("dialogHeader", "missing or not an object")
        record_id = check_id(header.get("sessionID"), at, "dialogHeader.sessionID")
        content, final = record.get("dialogContent"), record.get("agentURL")
        if not isinstance(content, list) or not content:
            raise at.error("dialogContent", "missing or not a non-empty list of tweets")
        if not isinstance(final, dict):
            raise at.error("agentURL", "missing or not an object")
        turns = [self._tweet(tweet, at, f"dialogContent[{i}]") for i, tweet in enumerate(content)]
        text = check_text(final.get("url_utterance"), at, "agentURL.url_utterance", self.limits)
        turns.append(Turn("agent", text, {"is_final_url_turn": True, "tweet_id": final.get("tweet_ID"),
                                          "doc_id": final.get("doc_id"), "url": final.get("url")}))
        meta = {
            "company": check_label(header.get("company"), at, "dialogHeader.company"),
            "conversation_datetime": header.get("conversationDateTime"),
            "duration": header.get("duration"),
            "message_count": header.get("messageCount"),
            "doc_id": final.get("doc_id"),
            "doc_url": final.get("url"),
            "channel": "twitter",
            "language": "en",
        }
        return Transcript(record_id, tuple(turns), {k: v for k, v in meta.items() if v is not None})

    def _tweet(self, tweet: Any, at: RecordAt, where: str) -> Turn:
        if not isinstance(tweet, dict):
            raise at.error(where, "must be an object")
        speakers = [k for k in tweet if k not in _TWEET_FIELDS]
        if len(speakers) != 1:
            raise at.error(where, f"expected one speaker key (client, clientN or agent), got {shown(speakers)}")
        speaker = speakers[0]
        if speaker == "agent":
            role = "agent"
        elif _CUSTOMER_KEY.fullmatch(speaker):
            role = "customer"
        else:
            raise at.error(f"{where}.{speaker[:40]}", "unknown role: speaker key must be client, clientN or agent")
        text = check_text(tweet.get("message"), at, f"{where}.message", self.limits)
        return Turn(role, text, {"speaker": tweet[speaker], "speaker_field": speaker,
                                 "datetime": tweet.get("datetime"), "tweet_id": tweet.get("tweet_ID")})
