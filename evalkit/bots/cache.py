"""A persistent reply cache that wraps any bot, so re-runs and resumed runs never pay twice for the same reply.

Key: sha256 of the bot's fingerprint (model, revision, generation parameters), the context (roles and texts) and
the sample index. That assumes the reply depends on the context alone; bots whose reply depends on more (the human
reference, recorded replies keyed by case id, a retrieval index that masks the case's own conversation) declare
`cacheable = False` and are not wrapped. Each reply is stored as soon as the bot finishes it (Bot.reply_each), so a
kill loses no finished reply; failed replies are never stored, so they are retried next time. Processes sharing the
store claim what they generate, so the same reply is not generated twice at once (evalkit.bots.reply_store).

Stored replies keep the latency, tokens and cost of the call that produced them: summaries describe the bot,
not the cache.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable, Sequence

from evalkit.bots.reply_store import ReplyStore
from evalkit.contract import Bot, Scorer
from evalkit.replay import Case
from evalkit.reply import ChoiceWeights, Reply
from evalkit.transcript import Transcript


def cache_key(fingerprint: str, case: Case, sample_index: int = 0) -> str:
    payload = json.dumps({"fingerprint": fingerprint, "context": [[t.role, t.text] for t in case.context],
                          "sample": sample_index}, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()


class CachedBot(Bot):
    """Any bot behind the store: hits are served from it, the misses go to the bot as one batch.

    `sample_index` tells sampled generations of the same context apart (sample 0, 1, ... of a case).
    """

    poll_s = 0.2  # how often a process waiting for another's replies looks for them

    def __init__(self, bot: Bot, store: ReplyStore, sample_index: int = 0):
        self.bot = bot
        self.store = store
        self.sample_index = sample_index
        self.name = bot.name
        self.replies_with_reference = bot.replies_with_reference
        self.needs_fit = bot.needs_fit
        self.weighs_choices = bot.weighs_choices
        self.hits = 0
        self.misses = 0

    def fingerprint(self) -> str:
        return self.bot.fingerprint()

    def fit(self, transcripts: Sequence[Transcript]) -> None:
        self.bot.fit(transcripts)

    def weigh_choices(self, cases: Sequence[Case], prefix: str, choices: Sequence[str]) -> list[ChoiceWeights]:
        # Not stored: one forward pass per question costs less than a generated reply, and holds no text to keep.
        return self.bot.weigh_choices(cases, prefix, choices)

    def reply_batch(self, cases: Sequence[Case]) -> list[Reply]:
        fingerprint = self.bot.fingerprint()
        keys = [cache_key(fingerprint, case, self.sample_index) for case in cases]
        replies: dict[str, Reply] = self.store.get_many(keys)
        missing = [i for i, key in enumerate(keys) if key not in replies]
        self.hits += len(cases) - len(missing)
        self.misses += len(missing)
        # Cases with the same context (e.g. "hi" opening many conversations) are generated once.
        first_of = {keys[i]: i for i in reversed(missing)}
        waiting: set[str] = set(first_of)
        while waiting:
            # Generate what no other process is generating; then wait for the rest, or take it over when its
            # generator stops (finished, failed or gone).
            mine = self.store.claim(sorted(waiting))
            if mine:
                replies.update(self._generate(fingerprint, [first_of[k] for k in sorted(mine)], cases, keys))
                waiting -= mine
            if waiting:
                replies.update(self.store.get_many(sorted(waiting)))
                waiting = {k for k in waiting if k not in replies}
                if waiting & self.store.claimed_by_others(sorted(waiting)) == waiting:
                    time.sleep(self.poll_s)
        return [replies[key] for key in keys]

    def _generate(self, fingerprint: str, todo: list[int], cases: Sequence[Case], keys: Sequence[str]
                  ) -> dict[str, Reply]:
        todo = sorted(todo)
        try:
            fresh = self.bot.reply_each([cases[i] for i in todo],
                                        lambda j, reply: self.store.put(fingerprint, keys[todo[j]], reply))
        finally:
            self.store.release(keys[i] for i in todo)  # anything not stored (a crash, a failure) is retried
        if len(fresh) != len(todo):
            raise RuntimeError(f"bot {self.name!r} returned {len(fresh)} replies for {len(todo)} cases")
        return {keys[i]: reply for i, reply in zip(todo, fresh, strict=True)}

    def stats(self) -> dict[str, int]:
        return {"cache_hits": self.hits, "cache_misses": self.misses}


def with_cache(bots: Iterable[Bot], store: ReplyStore | None) -> list[Bot]:
    """Wrap every bot that declares itself cacheable; without a store, the bots as they are."""
    if store is None:
        return list(bots)
    return [cached(bot, store) for bot in bots]


def cached(bot: Bot, store: ReplyStore) -> Bot:
    return CachedBot(bot, store) if bot.cacheable and not isinstance(bot, CachedBot) else bot


def cache_judges(scorers: Iterable[Scorer], store: ReplyStore | None) -> None:
    """Put the bots that scorers call (LLM judges) behind the store too. Re-scoring with the same judge then
    costs no call."""
    if store is None:
        return
    for scorer in scorers:
        scorer.wrap_judges(lambda bot: cached(bot, store))
