"""Talking to the running assistant as WhatsApp users, for the end-to-end tests."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

from bot.cli import SandboxSession, simplify
from bot.storage.store import Store
from tests.support.stack import RunningStack


def phone_numbers(first: int) -> Iterator[str]:
    """A range of numbers of its own per test file, so no two suites share a contact."""
    return (str(number) for number in range(first, first + 9_999_998))


def new_user(running: RunningStack, numbers: Iterator[str], name: str) -> SandboxSession:
    session = SandboxSession(running.settings, next(numbers), name)
    session.check_running()
    return session


def say(session: SandboxSession, text: str) -> list[dict[str, Any]]:
    session.send({"type": "text", "text": text})
    return [simplify(m) for m in session.replies(first_timeout=30)]


def tap(session: SandboxSession, button: dict[str, Any]) -> list[dict[str, Any]]:
    session.send({"type": "interactive", "button_reply": button})
    return [simplify(m) for m in session.replies(first_timeout=30)]


def store_call(running: RunningStack, fn: Any) -> Any:
    """Run ``fn(store)`` on the stack's database from synchronous test code."""

    async def go() -> Any:
        async with Store(running.settings.resolved_database_url) as store:
            return await fn(store)

    return asyncio.run(go())
