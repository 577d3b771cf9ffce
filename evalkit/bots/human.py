"""The human agent's own reply: the baseline row every report carries."""

from __future__ import annotations

from collections.abc import Sequence

from evalkit.bots.fingerprint import fingerprint_of
from evalkit.contract import Bot
from evalkit.replay import Case
from evalkit.reply import Reply


class HumanBot(Bot):
    cacheable = False  # replies with the reference, which the context does not determine
    replies_with_reference = True  # so reference-based scorers skip it: they would compare the reference with itself

    def __init__(self, name: str = "human"):
        self.name = name

    def fingerprint(self) -> str:
        return fingerprint_of("human")

    def reply_batch(self, cases: Sequence[Case]) -> list[Reply]:
        return [Reply(text=case.reference.text, handoff=bool(case.reference.meta.get("handoff", False)))
                for case in cases]
