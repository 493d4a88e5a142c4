"""The action server's shared services, reachable from inside rasa-sdk actions.

rasa-sdk instantiates actions itself and passes them no application context, so an
action that needs the database asks here. The action server registers the Store it
opened at start-up (:func:`set_store`), so every action and the admin API share one
engine and connection pool; anywhere else (``rasa run actions`` without our entry
point, a script) the first :func:`get_store` opens one from the settings, once.
Tests register a store on a temporary database with :func:`set_store`.
"""

from __future__ import annotations

import asyncio
from typing import Any

from bot.settings import get_settings
from bot.storage.store import Store

__all__ = ["get_store", "get_ticketing", "reset", "set_store", "set_ticketing"]

_store: Store | None = None
_lock: asyncio.Lock | None = None
_ticketing: Any = None


def set_store(store: Store | None) -> None:
    """Register the started Store of this process (``None`` forgets it)."""
    global _store
    _store = store


async def get_store() -> Store:
    """The process's started Store, opening one from the settings on first use."""
    global _store, _lock
    if _store is not None:
        return _store
    if _lock is None:
        _lock = asyncio.Lock()
    async with _lock:
        if _store is None:
            store = Store.from_settings(get_settings())
            await store.start()
            _store = store
    return _store


def set_ticketing(ticketing: Any) -> None:
    """Register the process's :class:`bot.ticketing.context.Ticketing` (issue 4)."""
    global _ticketing
    _ticketing = ticketing


async def get_ticketing() -> Any:
    """Hi.Events, the payment gateway and the messenger, built once per process."""
    global _ticketing
    if _ticketing is None:
        from bot.ticketing.context import Ticketing

        _ticketing = Ticketing.from_settings(get_settings(), await get_store())
    return _ticketing


def reset() -> None:
    """Forget the registered store and lock (tests switch event loops between cases)."""
    global _store, _lock, _ticketing
    _store = None
    _lock = None
    _ticketing = None
