"""Any bot behind redaction: its replies and errors come back redacted, so the cache, the results and every output
only ever hold redacted text; the bot itself is given the original conversation or the redacted one."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

from evalkit.bots.fingerprint import fingerprint_of
from evalkit.contract import Bot
from evalkit.redaction.redactor import Redactor
from evalkit.replay import Case
from evalkit.reply import Reply
from evalkit.transcript import Transcript


class RedactedBot(Bot):
    def __init__(self, bot: Bot, redactor: Redactor, redacted: Mapping[str, Case]):
        self.bot = bot
        self.redactor = redactor
        self.redacted = redacted  # case id -> the case made from the redacted transcript
        self.name = bot.name
        self.cacheable = bot.cacheable
        self.replies_with_reference = bot.replies_with_reference
        self.needs_fit = bot.needs_fit
        self._sees_redacted = redactor.enabled and redactor.settings.bot_sees == "redacted"

    def fingerprint(self) -> str:
        # The cache keeps redacted replies: another redaction gives other text for the same bot and conversation.
        return fingerprint_of("redacted", bot=self.bot.fingerprint(), redaction=self.redactor.fingerprint(),
                              sees=self.redactor.settings.bot_sees)

    def fit(self, transcripts: Sequence[Transcript]) -> None:
        self.bot.fit(transcripts)

    def reply_batch(self, cases: Sequence[Case]) -> list[Reply]:
        return self.reply_each(cases, lambda index, reply: None)

    def reply_each(self, cases: Sequence[Case], done: Callable[[int, Reply], None]) -> list[Reply]:
        given = [self.redacted[c.id] for c in cases] if self._sees_redacted else list(cases)
        redacted: dict[int, Reply] = {}

        def finished(index: int, reply: Reply) -> None:
            redacted[index] = self._redact(cases[index], reply)
            done(index, redacted[index])

        began = time.perf_counter()
        replies = self.bot.reply_each(given, finished)
        # The bot's time, not redaction's: backends that time themselves keep theirs; the rest get a share.
        share = (time.perf_counter() - began) / max(1, len(cases))
        out = [redacted.get(i) or self._redact(case, reply) for i, (case, reply) in enumerate(zip(cases, replies,
                                                                                                 strict=True))]
        return [reply if reply.latency_s else replace(reply, latency_s=share) for reply in out]

    def _redact(self, case: Case, reply: Reply) -> Reply:
        return self.redactor.reply(case.transcript_id, reply)
