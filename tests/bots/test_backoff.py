import asyncio
import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from evalkit.bots.backoff import AimdLimit, ConcurrencyGate, retry_after_seconds, retry_delay
from evalkit.errors import InvalidData


def test_retry_delay_is_full_jitter_under_an_exponential_cap():
    rng = random.Random(0)
    for attempt, bound in [(1, 0.5), (2, 1.0), (3, 2.0), (6, 10.0), (9, 10.0)]:
        delays = [retry_delay(attempt, base_s=0.5, cap_s=10.0, rng=rng) for _ in range(500)]
        assert all(0.0 <= d <= bound for d in delays)
        assert max(delays) > 0.9 * bound and min(delays) < 0.1 * bound  # spread over the whole range


def test_retry_after_reads_seconds_and_http_dates():
    now = datetime(2026, 11, 3, 12, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("3") == 3.0
    assert retry_after_seconds(" 0 ") == 0.0
    assert retry_after_seconds(format_datetime(now + timedelta(seconds=10), usegmt=True), now=now) == 10.0
    assert retry_after_seconds(format_datetime(now - timedelta(seconds=10), usegmt=True), now=now) == 0.0
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None
    assert retry_after_seconds("") is None


def test_aimd_halves_once_per_burst_and_climbs_back_one_by_one():
    limit = AimdLimit(16)
    epoch = limit.epoch
    assert limit.on_throttle(epoch) is True
    assert limit.limit == 8
    # The rest of the same burst: requests that started before the decrease do not halve again.
    assert not any(limit.on_throttle(epoch) for _ in range(20))
    assert limit.limit == 8
    assert limit.on_throttle(limit.epoch) is True
    assert limit.limit == 4
    for _ in range(3):
        limit.on_success()
    assert limit.limit == 7
    for _ in range(100):
        limit.on_success()
    assert limit.limit == 16  # never above the configured maximum
    assert (limit.lowest, limit.decreases) == (4, 2)


def test_aimd_never_goes_below_one():
    limit = AimdLimit(3)
    for _ in range(10):
        limit.on_throttle(limit.epoch)
    assert limit.limit == 1
    with pytest.raises(InvalidData, match="at least 1"):
        AimdLimit(0)


def _run_through_gate(gate: ConcurrencyGate, n: int, on_slot=None) -> None:
    async def one() -> None:
        async with gate.slot():
            if on_slot:
                on_slot()
            await asyncio.sleep(0.001)

    async def main() -> None:
        await asyncio.gather(*(one() for _ in range(n)))

    asyncio.run(main())


def test_gate_admits_no_more_than_the_limit():
    limit = AimdLimit(8)
    limit.on_throttle(limit.epoch)
    gate = ConcurrencyGate(limit)
    _run_through_gate(gate, 40)
    assert gate.peak == 4
    assert gate.in_flight == 0


def test_gate_admits_more_as_the_limit_grows():
    limit = AimdLimit(8)
    for _ in range(3):
        limit.on_throttle(limit.epoch)
    assert limit.limit == 1
    gate = ConcurrencyGate(limit)
    _run_through_gate(gate, 40, on_slot=limit.on_success)  # successes raise the limit while others wait
    assert gate.peak == 8


def test_a_slow_success_does_not_raise_the_limit():
    limit = AimdLimit(8, slow_s=1.0)
    limit.on_throttle(0)
    limit.on_success(latency_s=2.0)  # answered, but only just in time: more in flight would queue longer
    assert limit.limit == 4
    limit.on_success(latency_s=0.5)
    assert limit.limit == 5
