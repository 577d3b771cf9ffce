"""Faults `evalkit serve` injects for testing clients and measuring throughput: per request at most one of a 500, a
429 with Retry-After, a hang, a malformed body or an empty choice list, drawn with the given rates from a seed."""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, fields
from typing import Any

from starlette.requests import Request

from evalkit.errors import InvalidData


@dataclass(frozen=True)
class Faults:
    """Per-request probabilities of each injected fault (at most one per request), plus latency added to all."""

    error_500: float = 0.0
    error_429: float = 0.0  # answered with Retry-After: retry_after_s
    timeout: float = 0.0  # the request hangs for hang_s (or until the client gives up and disconnects)
    malformed: float = 0.0  # 200 with a body that is not valid JSON
    empty_choices: float = 0.0  # 200 with "choices": []
    latency_ms: float = 0.0
    retry_after_s: int = 1
    hang_s: float = 30.0
    seed: int = 0

    KINDS = ("error_500", "error_429", "timeout", "malformed", "empty_choices")

    def __post_init__(self) -> None:
        rates = [getattr(self, kind) for kind in self.KINDS]
        if any(r < 0 for r in rates) or sum(rates) > 1:
            given = dict(zip(self.KINDS, rates, strict=True))
            raise InvalidData(f"fault rates must be >= 0 and sum to at most 1, got {given}")

    def draw(self, rng: random.Random) -> str | None:
        u = rng.random()
        for kind in self.KINDS:
            u -= getattr(self, kind)
            if u < 0:
                return kind
        return None


def faults_from(settings: dict[str, Any] | None) -> Faults:
    known = {f.name for f in fields(Faults)}
    unknown = set(settings or {}) - known
    if unknown:
        raise InvalidData(f"unknown fault settings {sorted(unknown)}; known: {sorted(known)}")
    return Faults(**(settings or {}))



async def hang(request: Request, seconds: float) -> None:
    """Sleep, but stop as soon as the client hangs up, so abandoned requests do not pile up until shutdown."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not await request.is_disconnected():
        await asyncio.sleep(min(0.05, max(0.0, deadline - time.monotonic())))
