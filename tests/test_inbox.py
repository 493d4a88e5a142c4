"""KeyedSerialExecutor: strictly in order per conversation, concurrent across conversations.

Overlap is measured with counters and events inside the handlers, never with timings.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import defaultdict

import pytest

from bot.inbox import KeyedSerialExecutor


class Probe:
    """Records what the handlers saw: order per key and how many ran at once."""

    def __init__(self) -> None:
        self.seen: dict[str, list[int]] = defaultdict(list)
        self.active = 0
        self.max_active = 0
        self.active_per_key: dict[str, int] = defaultdict(int)
        self.max_active_per_key = 0

    def enter(self, key: str) -> None:
        self.active += 1
        self.max_active = max(self.max_active, self.active)
        self.active_per_key[key] += 1
        self.max_active_per_key = max(self.max_active_per_key, self.active_per_key[key])

    def leave(self, key: str) -> None:
        self.active -= 1
        self.active_per_key[key] -= 1


async def test_order_is_preserved_per_key_under_concurrency() -> None:
    rng = random.Random(1234)
    probe = Probe()
    sleeps = {(k, i): rng.uniform(0, 0.002) for k in range(5) for i in range(50)}

    async def handler(item: tuple[str, int]) -> None:
        key, index = item
        probe.enter(key)
        await asyncio.sleep(sleeps[(int(key[1:]), index)])
        probe.seen[key].append(index)
        probe.leave(key)

    executor: KeyedSerialExecutor[tuple[str, int]] = KeyedSerialExecutor(handler)
    keys = [f"k{k}" for k in range(5)]
    order = [(key, i) for i in range(50) for key in keys]
    # Interleave submissions with the running handlers: some arrive mid-conversation.
    for n, (key, index) in enumerate(order):
        executor.submit(key, (key, index))
        if n % 7 == 0:
            await asyncio.sleep(rng.uniform(0, 0.001))
    assert await executor.drain(timeout=30)
    assert {key: probe.seen[key] for key in keys} == {key: list(range(50)) for key in keys}
    assert probe.max_active_per_key == 1  # one conversation never runs two at once
    assert probe.max_active > 1  # while several conversations did
    assert executor.pending == 0


async def test_different_keys_run_concurrently() -> None:
    """Each handler waits for the other one to have started: only possible if they overlap."""
    started = {"a": asyncio.Event(), "b": asyncio.Event()}
    overlapped: list[str] = []

    async def handler(key: str) -> None:
        started[key].set()
        other = "b" if key == "a" else "a"
        await asyncio.wait_for(started[other].wait(), timeout=10)
        overlapped.append(key)

    executor: KeyedSerialExecutor[str] = KeyedSerialExecutor(handler)
    executor.submit("a", "a")
    executor.submit("b", "b")
    assert await executor.drain(timeout=20)
    assert sorted(overlapped) == ["a", "b"]


async def test_same_key_never_overlaps_even_if_it_could() -> None:
    release = asyncio.Event()
    probe = Probe()

    async def handler(item: int) -> None:
        probe.enter("k")
        if item == 0:
            await release.wait()
        probe.seen["k"].append(item)
        probe.leave("k")

    executor: KeyedSerialExecutor[int] = KeyedSerialExecutor(handler)
    for i in range(3):
        executor.submit("k", i)
    for _ in range(20):
        await asyncio.sleep(0)
    assert probe.seen["k"] == []  # item 1 and 2 wait behind the blocked item 0
    assert executor.pending == 3
    release.set()
    assert await executor.drain(timeout=10)
    assert probe.seen["k"] == [0, 1, 2]
    assert probe.max_active_per_key == 1


async def test_handler_exception_does_not_stop_later_items(
    caplog: pytest.LogCaptureFixture,
) -> None:
    seen: list[int] = []

    async def handler(item: int) -> None:
        if item in (1, 3):
            raise RuntimeError(f"boom {item}")
        seen.append(item)

    executor: KeyedSerialExecutor[int] = KeyedSerialExecutor(handler)
    with caplog.at_level(logging.ERROR, logger="bot.inbox"):
        for i in range(6):
            executor.submit("573001234567", i)
        executor.submit("other", 10)
        assert await executor.drain(timeout=10)
    assert seen == [0, 2, 4, 5, 10]
    failures = [r for r in caplog.records if r.getMessage() == "inbox.handler_failed"]
    assert len(failures) == 2
    assert all(r.exc_info and isinstance(r.exc_info[1], RuntimeError) for r in failures)


async def test_drain_true_when_idle_and_when_done() -> None:
    async def handler(item: int) -> None:
        await asyncio.sleep(0)

    executor: KeyedSerialExecutor[int] = KeyedSerialExecutor(handler)
    assert await executor.drain(timeout=1)  # nothing submitted
    for i in range(10):
        executor.submit(str(i % 3), i)
    assert await executor.drain()
    assert executor.pending == 0


async def test_drain_false_on_timeout_then_true() -> None:
    gate = asyncio.Event()
    done: list[int] = []

    async def handler(item: int) -> None:
        await gate.wait()
        done.append(item)

    executor: KeyedSerialExecutor[int] = KeyedSerialExecutor(handler)
    executor.submit("k", 1)
    executor.submit("k", 2)
    assert await executor.drain(timeout=0.05) is False
    assert done == []
    assert executor.pending == 2
    gate.set()
    assert await executor.drain(timeout=10) is True
    assert done == [1, 2]


async def test_max_concurrency_is_respected() -> None:
    probe = Probe()
    cap = 3

    async def handler(item: tuple[str, int]) -> None:
        key, _ = item
        probe.enter(key)
        for _ in range(5):
            await asyncio.sleep(0.001)
        probe.leave(key)

    executor: KeyedSerialExecutor[tuple[str, int]] = KeyedSerialExecutor(
        handler, max_concurrency=cap
    )
    for key in range(10):
        for index in range(4):
            executor.submit(f"k{key}", (f"k{key}", index))
    assert await executor.drain(timeout=30)
    assert probe.max_active == cap


async def test_max_concurrency_one_is_fully_serial() -> None:
    probe = Probe()
    seen: list[tuple[str, int]] = []

    async def handler(item: tuple[str, int]) -> None:
        probe.enter(item[0])
        await asyncio.sleep(0)
        seen.append(item)
        probe.leave(item[0])

    executor: KeyedSerialExecutor[tuple[str, int]] = KeyedSerialExecutor(handler, max_concurrency=1)
    items = [(k, i) for i in range(5) for k in ("a", "b", "c")]
    for key, index in items:
        executor.submit(key, (key, index))
    assert await executor.drain(timeout=10)
    assert probe.max_active == 1
    assert sorted(seen) == sorted(items)
    for key in ("a", "b", "c"):
        assert [i for k, i in seen if k == key] == list(range(5))


async def test_a_key_is_reusable_after_its_queue_emptied() -> None:
    seen: list[int] = []

    async def handler(item: int) -> None:
        seen.append(item)

    executor: KeyedSerialExecutor[int] = KeyedSerialExecutor(handler)
    executor.submit("k", 1)
    assert await executor.drain(timeout=5)
    executor.submit("k", 2)
    assert await executor.drain(timeout=5)
    assert seen == [1, 2]


async def test_cancel_stops_work_and_the_executor_stays_usable() -> None:
    gate = asyncio.Event()
    seen: list[str] = []

    async def handler(item: str) -> None:
        if item.startswith("block"):
            await gate.wait()
        seen.append(item)

    executor: KeyedSerialExecutor[str] = KeyedSerialExecutor(handler)
    executor.submit("running", "block-1")
    await asyncio.sleep(0)  # "running" starts and blocks
    executor.submit("never-started", "block-2")  # cancelled before its first step
    await executor.cancel()
    assert seen == []
    assert await executor.drain(timeout=1)
    executor.submit("never-started", "after")
    executor.submit("running", "after-2")
    assert await executor.drain(timeout=5)
    assert sorted(seen) == ["after", "after-2"]
