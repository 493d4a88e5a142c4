"""Token buckets for the delivery worker: per sending number, and per recipient.

Two limits of the Cloud API apply to proactive messages (contract §8):

* **throughput per number**: 80 messages/s by default (130429 beyond it). Every worker
  sending from the same number shares one bucket, keyed ``number:<phone_number_id>``.
* **pair rate** (business → one user): about 1 message per 6 s, a short burst borrows
  future quota (131056 beyond it). The worker paces each recipient with a second bucket,
  keyed ``pair:<hash of wa_id>`` (no phone number in Redis keys).

:class:`InProcessTokenBucket` serves one process (embedded mode, tests);
:class:`RedisTokenBucket` is shared by every process through one Lua script that refills
and takes atomically on Redis' own clock (``TIME``), so workers on several machines
neither race nor disagree about time. Buckets are created full and forgotten when full
again (a Redis key expires then), so a million recipients cost no memory at rest.

``acquire`` *reserves*: it takes the tokens at once, possibly into debt, and sleeps
until the debt is paid. Concurrent callers are thus served in the order they asked, with
one round trip each and no polling. ``try_acquire`` takes only when available and
otherwise says how long to wait (the worker defers a row instead of blocking its batch).
``penalize`` empties a bucket for a while: the provider said 429/130429/131056.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

__all__ = [
    "DEFAULT_NUMBER_RATE_PER_S",
    "DEFAULT_PAIR_BURST",
    "DEFAULT_PAIR_INTERVAL_S",
    "InProcessTokenBucket",
    "RedisTokenBucket",
    "TokenBucket",
    "default_number_burst",
    "make_bucket",
    "number_bucket",
    "number_key",
    "pair_key",
    "pair_pacer",
]

#: Contract §8: 80 msg/s per number unless Meta upgraded it (then configure 1000).
DEFAULT_NUMBER_RATE_PER_S = 80.0
#: Pair limit: ~1 message per 6 s per recipient, after a small burst (docs/decisions/outbox.md).
DEFAULT_PAIR_INTERVAL_S = 6.0
DEFAULT_PAIR_BURST = 6
DEFAULT_PREFIX = "fashionistas:ratelimit:"

Sleep = Callable[[float], Awaitable[None]]


def default_number_burst(rate_per_s: float) -> float:
    """A tenth of a second of sends (8 at 80/s): rides over short stalls, never over 1 s."""
    return max(1.0, rate_per_s / 10.0)


def number_key(phone_number_id: str) -> str:
    """The shared bucket of one sending number."""
    return f"number:{phone_number_id}"


def pair_key(wa_id: str) -> str:
    """The pacing bucket of one recipient (hashed: Redis keys are not a phone book)."""
    return "pair:" + hashlib.sha256(wa_id.encode()).hexdigest()[:20]


class TokenBucket(Protocol):
    """What the worker needs from a rate limiter (both implementations satisfy it)."""

    rate: float
    capacity: float

    async def acquire(self, key: str, tokens: float = 1) -> float:
        """Take ``tokens``, waiting as long as needed; returns the seconds waited."""
        ...

    async def try_acquire(self, key: str, tokens: float = 1) -> float:
        """``0.0`` when taken; otherwise the seconds until they would be (nothing taken)."""
        ...

    async def penalize(self, key: str, seconds: float) -> None:
        """Grant nothing new for ``seconds`` (on top of debts already reserved)."""
        ...

    async def aclose(self) -> None: ...


class _BucketBase:
    def __init__(self, rate: float, capacity: float | None, sleep: Sleep) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive (tokens per second)")
        self.rate = float(rate)
        self.capacity = float(capacity if capacity is not None else max(1.0, rate))
        if self.capacity < 1:
            raise ValueError("capacity must be at least 1")
        self._sleep = sleep

    def _check_tokens(self, tokens: float) -> float:
        if tokens <= 0 or tokens > self.capacity:
            raise ValueError(f"tokens must be in (0, {self.capacity}]")
        return float(tokens)

    async def _take(self, mode: str, key: str, amount: float) -> float:
        raise NotImplementedError

    async def acquire(self, key: str, tokens: float = 1) -> float:
        wait = await self._take("reserve", key, self._check_tokens(tokens))
        if wait > 0:
            await self._sleep(wait)
        return wait

    async def try_acquire(self, key: str, tokens: float = 1) -> float:
        return await self._take("try", key, self._check_tokens(tokens))

    async def penalize(self, key: str, seconds: float) -> None:
        if seconds > 0:
            await self._take("penalize", key, float(seconds))

    async def aclose(self) -> None:
        return None


class InProcessTokenBucket(_BucketBase):
    """A token bucket per key in this process (asyncio-safe: no await while updating)."""

    #: Past this many keys, full buckets are dropped (they equal a missing key).
    _PRUNE_AT = 10_000

    def __init__(
        self,
        rate: float,
        capacity: float | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        super().__init__(rate, capacity, sleep)
        self._clock = clock
        self._state: dict[str, tuple[float, float]] = {}

    async def _take(self, mode: str, key: str, amount: float) -> float:
        return self.take_now(mode, key, amount)

    def take_now(self, mode: str, key: str, amount: float) -> float:
        """The bucket arithmetic (same as the Lua script); returns the wait in seconds."""
        now = self._clock()
        tokens, stamp = self._state.get(key, (self.capacity, now))
        if now > stamp:
            tokens = min(self.capacity, tokens + (now - stamp) * self.rate)
            stamp = now
        wait = 0.0
        if mode == "reserve":
            tokens -= amount
            if tokens < 0:
                wait = -tokens / self.rate
        elif mode == "try":
            if tokens >= amount:
                tokens -= amount
            else:
                wait = (amount - tokens) / self.rate
        elif mode == "penalize":
            tokens = min(tokens, 0.0) - amount * self.rate
        else:  # pragma: no cover - internal
            raise ValueError(mode)
        self._state[key] = (tokens, stamp)
        if len(self._state) > self._PRUNE_AT:
            self._prune(now)
        return wait

    def _prune(self, now: float) -> None:
        for key, (tokens, stamp) in list(self._state.items()):
            if tokens + (now - stamp) * self.rate >= self.capacity:
                del self._state[key]


#: KEYS[1] the bucket; ARGV: mode (reserve|try|penalize), amount, rate, capacity.
#: Returns the wait in seconds as a string (Lua numbers would be truncated to integers).
_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local mode = ARGV[1]
local amount = tonumber(ARGV[2])
local rate = tonumber(ARGV[3])
local capacity = tonumber(ARGV[4])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil or ts == nil then
  tokens = capacity
  ts = now
end
if now > ts then
  tokens = math.min(capacity, tokens + (now - ts) * rate)
  ts = now
end
local wait = 0
if mode == 'reserve' then
  tokens = tokens - amount
  if tokens < 0 then wait = -tokens / rate end
elseif mode == 'try' then
  if tokens >= amount then tokens = tokens - amount else wait = (amount - tokens) / rate end
elseif mode == 'penalize' then
  tokens = math.min(tokens, 0) - amount * rate
else
  return redis.error_reply('unknown mode ' .. tostring(mode))
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(ts))
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) / rate * 1000) + 1000)
return tostring(wait)
"""


class RedisTokenBucket(_BucketBase):
    """A token bucket per key in Redis, shared by every process that uses the same prefix.

    ``redis`` is a ``redis.asyncio.Redis``; :meth:`from_url` makes (and owns) one.
    """

    def __init__(
        self,
        redis: Any,
        rate: float,
        capacity: float | None = None,
        *,
        prefix: str = DEFAULT_PREFIX,
        sleep: Sleep = asyncio.sleep,
        owns_client: bool = False,
    ) -> None:
        super().__init__(rate, capacity, sleep)
        self._redis = redis
        self._script = redis.register_script(_LUA)
        self.prefix = prefix
        self._owns_client = owns_client

    @classmethod
    def from_url(
        cls, url: str, rate: float, capacity: float | None = None, **kwargs: Any
    ) -> RedisTokenBucket:
        from redis.asyncio import from_url

        return cls(from_url(url), rate, capacity, owns_client=True, **kwargs)

    async def _take(self, mode: str, key: str, amount: float) -> float:
        args = [mode, repr(amount), repr(self.rate), repr(self.capacity)]
        result = await self._script(keys=[self.prefix + key], args=args)
        wait = float(result.decode() if isinstance(result, bytes) else result)
        return 0.0 if math.isnan(wait) else max(0.0, wait)

    async def aclose(self) -> None:
        if self._owns_client:
            await self._redis.close()


def make_bucket(
    redis_url: str | None,
    *,
    rate: float,
    capacity: float | None = None,
    prefix: str = DEFAULT_PREFIX,
) -> InProcessTokenBucket | RedisTokenBucket:
    """A Redis bucket when ``redis_url`` is set (``REDIS_URL``), an in-process one otherwise."""
    if redis_url:
        return RedisTokenBucket.from_url(redis_url, rate, capacity, prefix=prefix)
    return InProcessTokenBucket(rate, capacity)


def number_bucket(
    redis_url: str | None = None,
    *,
    rate_per_s: float = DEFAULT_NUMBER_RATE_PER_S,
    burst: float | None = None,
    prefix: str = DEFAULT_PREFIX,
) -> InProcessTokenBucket | RedisTokenBucket:
    """The shared per-number bucket: ``rate_per_s`` (80) with a burst of a tenth of a second."""
    capacity = default_number_burst(rate_per_s) if burst is None else burst
    return make_bucket(redis_url, rate=rate_per_s, capacity=capacity, prefix=prefix)


def pair_pacer(
    redis_url: str | None = None,
    *,
    interval_s: float = DEFAULT_PAIR_INTERVAL_S,
    burst: int = DEFAULT_PAIR_BURST,
    prefix: str = DEFAULT_PREFIX,
) -> InProcessTokenBucket | RedisTokenBucket:
    """The per-recipient bucket: ``burst`` at once, then one message per ``interval_s``."""
    return make_bucket(redis_url, rate=1.0 / interval_s, capacity=burst, prefix=prefix)
