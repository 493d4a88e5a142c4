"""Fixtures of the outbox tests: databases, the Wappbíz emulator, Redis.

The database fixtures are the storage tests' own (``backend`` runs a test on SQLite and
on the real PostgreSQL at 127.0.0.1:5432). The emulator runs in-process on a loopback
port (``ServerThread``), reset before each test; its status webhooks go nowhere (the
outbox does not read them). Redis at ``REDIS_TEST_URL`` (default 127.0.0.1:6379, db 5)
being down skips the Redis tests locally and fails them when ``CI=true``.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.clients.wappbiz import WappbizClient
from bot.storage.migrate import upgrade
from bot.storage.store import Store
from tests.storage import pg
from tests.storage.conftest import (  # noqa: F401 - fixtures shared with the storage tests
    APP_TABLES,
    backend,
    db_url,
    postgres_migrated,
    sqlite_url,
    store,
)
from tests.support.emulator import EmulatorHandle, quiet_config, serving

ACCESS_TOKEN = "outbox-test-access-token-0123456789"
REDIS_TEST_URL = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/5")


class Emulator(EmulatorHandle):
    """The running Wappbíz emulator and a way to read what it accepted."""

    async def outbound(self) -> list[dict[str, Any]]:
        """Every message the emulator accepted, oldest first."""
        async with self.api() as api:
            response = await api.get("/sandbox/api/messages", params={"direction": "out"})
            response.raise_for_status()
            return response.json()["messages"]

    async def per_key(self) -> dict[str, int]:
        """Accepted messages per idempotency key (``biz_opaque_callback_data``)."""
        counts: dict[str, int] = {}
        for message in await self.outbound():
            key = message["body"].get("biz_opaque_callback_data")
            counts[key] = counts.get(key, 0) + 1
        return counts

    async def fault(self, mode: str, count: int = 1) -> None:
        async with self.api() as api:
            response = await api.post("/sandbox/api/faults", json={"mode": mode, "count": count})
            response.raise_for_status()

    async def open_window(self, wa_id: str) -> None:
        async with self.api() as api:
            response = await api.post(
                f"/sandbox/api/conversations/{wa_id}/window", json={"open": True}
            )
            response.raise_for_status()


@pytest.fixture(scope="session")
def emulator_server() -> Iterator[Emulator]:
    config = quiet_config(ACCESS_TOKEN, "outbox", fault_timeout_s=1.0)
    with serving(config) as base_url:
        yield Emulator(base_url, config)


@pytest.fixture
async def emulator(emulator_server: Emulator) -> Emulator:
    """The emulator, reset: seeded templates, no messages, no faults, initial config."""
    async with emulator_server.api() as api:
        (await api.delete("/sandbox/api/reset")).raise_for_status()
    return emulator_server


@pytest.fixture
async def client(emulator: Emulator) -> AsyncIterator[WappbizClient]:
    """The send client with ONE attempt and a short timeout: the worker's policy is tested."""
    wappbiz = WappbizClient(
        graph_url=emulator.graph_url,
        access_token=ACCESS_TOKEN,
        phone_number_id=emulator.config.phone_number_id,
        timeout_s=0.3,
        max_attempts=1,
    )
    yield wappbiz
    await wappbiz.aclose()


@pytest.fixture
def sqlite_db(tmp_path: Path) -> str:
    url = sqlite_url(tmp_path / "outbox.db")
    upgrade(url)
    return url


@pytest.fixture
async def sqlite_store(sqlite_db: str) -> AsyncIterator[Store]:
    async with Store(sqlite_db) as started:
        yield started


@pytest.fixture
def pg_db(request: pytest.FixtureRequest) -> str:
    """The shared migrated PostgreSQL database, emptied (skips/fails like the storage tests)."""
    url = request.getfixturevalue("postgres_migrated")
    pg.truncate(url, APP_TABLES)
    return url


_numbers = itertools.count(1)


@pytest.fixture
def new_wa_id() -> Any:
    """A factory of fresh Colombian mobiles, so conversations never mix."""
    return lambda: f"57301{next(_numbers):07d}"


@pytest.fixture
def redis_url() -> str:
    """Redis for the shared-bucket tests: skipped locally when down, a failure in CI."""
    import redis

    shown = REDIS_TEST_URL.split("@")[-1]
    try:
        client = redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=2)
        try:
            client.ping()
        finally:
            client.close()
    except redis.RedisError as exc:
        reason = f"Redis not reachable at {shown}: {exc}"
        if pg.in_ci():
            pytest.fail(f"{reason} (CI=true, so Redis tests must run)", pytrace=False)
        pytest.skip(f"{reason}; start Redis or set CI=true to turn this into a failure")
    return REDIS_TEST_URL
