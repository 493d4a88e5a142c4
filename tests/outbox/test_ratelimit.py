"""Token buckets: the arithmetic on a fake clock, the rate over real time, and Redis.

Timing assertions are loose on purpose (a loaded CI machine is slow, never fast): the
rate over about a second must not exceed the limit plus the burst and a small slack,
and must reach a fraction of it.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from bot.outbox.ratelimit import (
    InProcessTokenBucket,
    RedisTokenBucket,
    TokenBucket,
    default_number_burst,
    make_bucket,
    number_bucket,
    pair_key,
    pair_pacer,
)


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


async def test_in_process_arithmetic_on_a_fake_clock() -> None:
    fake = FakeTime()
    bucket = InProcessTokenBucket(2.0, 3, clock=fake, sleep=fake.sleep)
    assert [await bucket.try_acquire("k") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert await bucket.try_acquire("k") == pytest.approx(0.5)  # nothing taken
    assert await bucket.try_acquire("other") == 0.0  # keys are independent
    fake.now += 0.5
    assert await bucket.try_acquire("k") == 0.0
    # acquire reserves: two callers in a row wait 0.5 s and 1.0 s of refill
    assert await bucket.acquire("k") == pytest.approx(0.5)
    assert await bucket.acquire("k") == pytest.approx(0.5)
    assert fake.slept == [pytest.approx(0.5), pytest.approx(0.5)]
    fake.now += 10  # refilled, but never beyond the capacity
    assert [await bucket.try_acquire("k") for _ in range(4)][-1] == pytest.approx(0.5)
    await bucket.penalize("k", 3.0)
    assert await bucket.try_acquire("k") == pytest.approx(3.5)
    with pytest.raises(ValueError):
        await bucket.acquire("k", tokens=4)


def test_defaults_follow_the_contract() -> None:
    number = number_bucket()
    assert number.rate == 80.0 and number.capacity == default_number_burst(80.0) == 8.0
    pacer = pair_pacer()
    assert pacer.rate == pytest.approx(1 / 6) and pacer.capacity == 6
    assert isinstance(make_bucket(None, rate=5), InProcessTokenBucket)
    assert "573001234567" not in pair_key("573001234567")
    assert pair_key("573001234567") != pair_key("573001234568")


async def measure(buckets: list[TokenBucket], key: str, seconds: float) -> tuple[int, float]:
    """Acquire from every bucket concurrently (2 tasks each) for ``seconds``."""
    count = 0
    start = time.monotonic()
    stop_at = start + seconds

    async def take(bucket: TokenBucket) -> None:
        nonlocal count
        while time.monotonic() < stop_at:
            await bucket.acquire(key)
            if time.monotonic() <= stop_at:
                count += 1

    await asyncio.gather(*(take(b) for b in buckets for _ in range(2)))
    return count, time.monotonic() - start


async def test_in_process_rate_over_a_second_is_not_exceeded() -> None:
    bucket = InProcessTokenBucket(50.0, 5)
    count, elapsed = await measure([bucket], "number:1", 1.0)
    assert count <= 5 + 50 * elapsed + 2
    assert count >= 0.5 * 50 * 1.0


# ----------------------------------------------------------------------------- Redis


@pytest.fixture
async def prefix(redis_url: str) -> AsyncIterator[str]:
    name = f"fashionistas:test:{uuid.uuid4().hex[:10]}:"
    yield name
    client = aioredis.from_url(redis_url)
    try:
        keys = [key async for key in client.scan_iter(match=name + "*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.close()


@pytest.mark.redis
async def test_two_redis_buckets_on_two_clients_share_one_limit(
    redis_url: str, prefix: str
) -> None:
    first = RedisTokenBucket.from_url(redis_url, 2.0, 3, prefix=prefix)
    second = RedisTokenBucket.from_url(redis_url, 2.0, 3, prefix=prefix)
    try:
        assert [await first.try_acquire("number:1") for _ in range(3)] == [0.0, 0.0, 0.0]
        wait = await second.try_acquire("number:1")  # the other process sees it empty
        assert 0.2 < wait <= 0.5
        assert await second.try_acquire("number:2") == 0.0
        await second.penalize("number:2", 5.0)
        assert await first.try_acquire("number:2") > 4.0
        raw = aioredis.from_url(redis_url)
        try:
            ttl = await raw.pttl(prefix + "number:1")
            assert 0 < ttl <= 3000  # forgotten once full again
        finally:
            await raw.close()
    finally:
        await first.aclose()
        await second.aclose()


@pytest.mark.redis
async def test_redis_rate_across_two_clients_is_not_exceeded(redis_url: str, prefix: str) -> None:
    buckets = [RedisTokenBucket.from_url(redis_url, 40.0, 4, prefix=prefix) for _ in range(2)]
    try:
        count, elapsed = await measure(list(buckets), "number:shared", 1.0)
    finally:
        for bucket in buckets:
            await bucket.aclose()
    assert count <= 4 + 40 * elapsed + 2
    assert count >= 0.5 * 40 * 1.0


@pytest.mark.redis
async def test_make_bucket_uses_redis_when_configured(redis_url: str, prefix: str) -> None:
    bucket = make_bucket(redis_url, rate=10, capacity=1, prefix=prefix)
    try:
        assert isinstance(bucket, RedisTokenBucket)
        assert await bucket.try_acquire("k") == 0.0
        assert await bucket.try_acquire("k") > 0.0
    finally:
        await bucket.aclose()
