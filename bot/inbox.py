"""Background processing of inbound messages: in order per conversation, in parallel across.

The webhook acknowledges before any NLU runs; this executor then feeds the
messages of one WhatsApp user to Rasa strictly one after another (the order
the person wrote them), while different users proceed concurrently up to a cap.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


class KeyedSerialExecutor(Generic[T]):
    def __init__(self, handler: Callable[[T], Awaitable[None]], max_concurrency: int = 64) -> None:
        self._handler = handler
        self._queues: dict[str, deque[T]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._slots = asyncio.Semaphore(max_concurrency)
        self._idle = asyncio.Event()
        self._idle.set()

    def submit(self, key: str, item: T) -> None:
        queue = self._queues.get(key)
        if queue is not None:
            queue.append(item)
            return
        self._queues[key] = deque([item])
        self._idle.clear()
        task = asyncio.create_task(self._run(key))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @property
    def pending(self) -> int:
        return sum(len(q) for q in self._queues.values())

    async def _run(self, key: str) -> None:
        queue = self._queues[key]
        try:
            while queue:
                item = queue[0]
                async with self._slots:
                    try:
                        await self._handler(item)
                    except Exception:  # one bad message must not stop the conversation
                        log.exception("inbox.handler_failed")
                queue.popleft()
        finally:
            self._queues.pop(key, None)
            if not self._queues:
                self._idle.set()

    async def drain(self, timeout: float | None = None) -> bool:
        """Wait until every submitted item was handled; False on timeout."""
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except asyncio.TimeoutError:
            return False
        return True

    async def cancel(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        # A task cancelled before it first ran never reaches its ``finally``: drop its
        # queue too, or later submits for that key would wait behind a dead task.
        self._queues.clear()
        self._idle.set()
