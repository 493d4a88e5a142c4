"""Run a Store on an event loop of its own thread.

Why: the rasa server runs TensorFlow inference on its event loop. A transaction
opened there (``BEGIN IMMEDIATE`` on SQLite) can sit behind a turn's inference
before its ``COMMIT`` runs, holding SQLite's single write lock the whole time and
stalling the ingress that must record the next webhook. On its own loop every
transaction runs from start to commit without waiting for inference (TensorFlow
releases the GIL in its kernels). PostgreSQL does not need it, but it costs little.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from bot.storage.store import Store

T = TypeVar("T")


class ThreadedStore:
    """Same async methods as :class:`Store`, executed on a private loop thread."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="store-loop", daemon=True
        )
        self._thread.start()

    async def _call(self, factory: Callable[[], Awaitable[T]]) -> T:
        future = asyncio.run_coroutine_threadsafe(_run(factory), self._loop)
        return await asyncio.wrap_future(future)

    async def start(self) -> None:
        await self._call(self._store.start)

    async def close(self) -> None:
        await self._call(self._store.close)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._store, name)
        if not asyncio.iscoroutinefunction(attr):
            return attr

        async def proxy(*args: Any, **kwargs: Any) -> Any:
            return await self._call(lambda: attr(*args, **kwargs))

        return proxy


async def _run(factory: Callable[[], Awaitable[T]]) -> T:
    return await factory()
