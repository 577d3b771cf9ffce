"""How a client waits between attempts and how many requests it keeps in flight when the server pushes back.

- `retry_delay`: exponential backoff with full jitter (a random wait in [0, min(cap, base·2^attempt)]), so clients
  that failed together do not retry together; a server's `Retry-After` overrides it.
- `AimdLimit`: additive-increase / multiplicative-decrease of the number of requests in flight, as TCP does with its
  window: each success adds one, a burst of congestion signals halves it (once per burst, not once per signal),
  never below one. Signals are 429s and timeouts: a server that answers one request at a time never says 429, it
  just answers later, so requests queued behind each other time out. A success that took more than `slow_s` adds
  nothing: the server is answering, but only just in time, and more in flight would only queue longer.
- `ConcurrencyGate`: the asyncio side of the limit — a request waits for a slot while the limit is full.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from evalkit.errors import InvalidData


def retry_delay(attempt: int, base_s: float, cap_s: float, rng: random.Random) -> float:
    """Full-jitter wait before retry number `attempt` (1 = the first retry)."""
    return rng.uniform(0.0, min(cap_s, base_s * 2 ** (attempt - 1)))


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds a `Retry-After` header asks for (delta-seconds or an HTTP date); None when absent or unreadable."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # HTTP dates are GMT by definition
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class AimdLimit:
    """The current in-flight limit. Plain state, no asyncio: it outlives the event loop of one batch call.

    A burst is told apart from repeated news of the same burst by an epoch: every request notes the epoch it started
    in, and only a 429 from a request started after the last decrease halves the limit again. A hundred requests
    throttled together thus halve the limit once, as they should.
    """

    def __init__(self, maximum: int, slow_s: float | None = None):
        if maximum < 1:
            raise InvalidData(f"the in-flight limit must be at least 1, got {maximum}")
        self.maximum = maximum
        self.slow_s = slow_s
        self.limit = maximum
        self.epoch = 0
        self.decreases = 0
        self.lowest = maximum  # how far the server pushed it down: worth reporting after a run

    def on_success(self, latency_s: float | None = None) -> None:
        if self.slow_s is not None and latency_s is not None and latency_s > self.slow_s:
            return
        self.limit = min(self.maximum, self.limit + 1)

    def on_throttle(self, started_epoch: int) -> bool:
        """A 429 or a timeout for a request started in `started_epoch`; returns whether the limit was lowered."""
        if started_epoch != self.epoch:
            return False
        self.limit = max(1, self.limit // 2)
        self.lowest = min(self.lowest, self.limit)
        self.epoch += 1
        self.decreases += 1
        return True


class ConcurrencyGate:
    """Admits at most `limit.limit` requests at a time; the limit may move while requests wait."""

    def __init__(self, limit: AimdLimit):
        self.limit = limit
        self.in_flight = 0
        self.peak = 0
        self._changed = asyncio.Condition()

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[int]:
        """Hold one slot for the duration of a request; yields the epoch the request started in."""
        async with self._changed:
            await self._changed.wait_for(lambda: self.in_flight < self.limit.limit)
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
        try:
            yield self.limit.epoch
        finally:
            async with self._changed:
                self.in_flight -= 1
                # Wake only as many waiters as there are free slots (the limit may have grown): waking all of
                # them on every release would cost O(waiters) per request.
                self._changed.notify(max(0, self.limit.limit - self.in_flight))
