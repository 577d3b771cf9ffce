"""What leaves the process is redacted here, once: transcripts before any case is made from them, and every reply
and error before it is scored, cached, logged or shown.

Values become stable placeholders (`<EMAIL_1>`, `<CARD_2>`): within a conversation the same value is always the
same placeholder, numbered by first appearance, so "the bot quoted the customer's e-mail back" stays visible and
a reply that repeats the human agent's account number still matches it. A value a reply brings that the
conversation never had gets the next number, for that reply alone.

Reference-based scores are computed on the redacted texts, the ones the report shows: a score never depends on text
nobody can see. What the bot itself is given is a separate choice (`bot_sees`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from evalkit.errors import check_choice
from evalkit.redaction.detectors import KINDS, NATIONAL_IDS, Detectors
from evalkit.redaction.secrets import environment_secrets, scrub_secrets
from evalkit.reply import Reply
from evalkit.transcript import Transcript

BotSees = Literal["original", "redacted"]


@dataclass(frozen=True)
class RedactionSettings:
    enabled: bool = True
    bot_sees: BotSees = "original"  # a replay of production traffic sends the bot what production did
    kinds: Sequence[str] = KINDS
    phone_regions: Sequence[str] = ("US", "GB")
    national_ids: Sequence[str] = tuple(NATIONAL_IDS)
    patterns: Mapping[str, str] = field(default_factory=dict)  # extra kinds: name -> regular expression
    keep_handles: Sequence[str] = ()  # handles that are no person's, besides the agents' own accounts
    keep_agent_handles: bool = True  # the support accounts agents write from (@AppleSupport) are kept

    def __post_init__(self) -> None:
        check_choice("redaction.bot_sees", self.bot_sees, ("original", "redacted"))


class Redactor:
    """Redacts transcripts and replies. With redaction off it only scrubs secrets. Takes RedactionSettings' fields
    (the `redaction` config group)."""

    def __init__(self, **settings: object):
        self.settings = settings = RedactionSettings(**settings)  # type: ignore[arg-type]
        self._detectors = Detectors(settings.kinds, settings.phone_regions, settings.national_ids, settings.patterns,
                                    settings.keep_handles)
        self._mappings: dict[str, dict[tuple[str, str], str]] = {}  # transcript id -> (kind, value) -> placeholder
        self._secrets = environment_secrets()

    @property
    def enabled(self) -> bool:
        return self.settings.enabled

    def fingerprint(self) -> dict[str, object]:
        """What changes redacted text, for the fingerprint of a bot that is given it."""
        s = self.settings
        return {"enabled": s.enabled, "kinds": list(s.kinds), "phone_regions": list(s.phone_regions),
                "national_ids": list(s.national_ids), "patterns": dict(s.patterns), "keep": sorted(s.keep_handles),
                "keep_agents": s.keep_agent_handles}

    def keep_agent_accounts(self, accounts: Iterable[str]) -> None:
        """The support accounts the dataset's agents write from (turn meta `speaker`: @AppleSupport) are no
        person's: with keep_agent_handles they are left as written. Given once, from the whole dataset, so every
        part of a run redacts alike."""
        if self.settings.keep_agent_handles:
            self._detectors = Detectors(self.settings.kinds, self.settings.phone_regions, self.settings.national_ids,
                                        self.settings.patterns, [*self.settings.keep_handles, *accounts])

    def transcripts(self, transcripts: Collection[Transcript]) -> Collection[Transcript]:
        """The transcripts with every turn redacted (the same objects when redaction is off), redacted one at a
        time as they are iterated, and as often: a view, never a copy of a whole dataset."""
        return RedactedTranscripts(self, transcripts) if self.enabled else transcripts

    def transcript(self, transcript: Transcript) -> Transcript:
        if not self.enabled:
            return transcript
        mapping = self._mappings.setdefault(transcript.id, {})
        turns = tuple(replace(turn, text=self._text(turn.text, mapping)) for turn in transcript.turns)
        return replace(transcript, turns=turns)

    def forget(self, transcript_ids: Iterable[str]) -> None:
        """Drop the placeholders of conversations whose replies are all redacted: a long run keeps only the
        current part's. Redacting a conversation again numbers its values as before (by first appearance)."""
        for transcript_id in transcript_ids:
            self._mappings.pop(transcript_id, None)

    def reply(self, transcript_id: str, reply: Reply) -> Reply:
        """The reply's text and error, redacted with its conversation's placeholders; secrets always scrubbed."""
        text, error = (None if value is None else scrub_secrets(value, self._secrets) for value in (reply.text,
                                                                                                   reply.error))
        if self.enabled:
            mapping = dict(self._mappings.get(transcript_id, {}))  # a copy: a reply's new values are its own
            text, error = (None if value is None else self._text(value, mapping) for value in (text, error))
        return reply if (text, error) == (reply.text, reply.error) else replace(reply, text=text, error=error)

    def text(self, text: str, transcript_id: str | None = None) -> str:
        """Any other text bound for an output (a judge's answer quoting a reply, a message)."""
        text = scrub_secrets(text, self._secrets)
        return self._text(text, dict(self._mappings.get(transcript_id or "", {}))) if self.enabled else text

    def _text(self, text: str, mapping: dict[tuple[str, str], str]) -> str:
        spans = self._detectors.find(text)
        if not spans:
            return text
        out, last = [], 0
        for span in spans:
            value = text[span.start:span.end]
            key = (span.kind, _canonical(span.kind, value))
            if key not in mapping:
                count = 1 + sum(1 for kind, _ in mapping if kind == span.kind)
                mapping[key] = f"<{span.kind.upper()}_{count}>"
            out += [text[last:span.start], mapping[key]]
            last = span.end
        out.append(text[last:])
        return "".join(out)


@dataclass(frozen=True)
class RedactedTranscripts(Collection[Transcript]):
    redactor: Redactor
    source: Collection[Transcript]

    def __iter__(self) -> Iterator[Transcript]:
        return map(self.redactor.transcript, self.source)

    def __len__(self) -> int:
        return len(self.source)

    def __contains__(self, item: object) -> bool:
        return any(item == t for t in self)


def _canonical(kind: str, value: str) -> str:
    """One value written two ways ("4111 1111 ..." and "4111-1111-...", "Bob@X.com" and "bob@x.com") is one value."""
    if kind in ("card", "iban", "phone", "national_id"):
        return "".join(c for c in value if c.isalnum()).upper()
    return value.lower() if kind in ("email", "handle") else value
