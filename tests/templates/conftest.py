"""Fixtures of the template tests: the Wappbíz emulator over real HTTP, and databases.

The emulator runs in-process on a loopback port (``ServerThread``), reset before each
test (seed templates only, initial config). Its review delay is short, so a test sees a
template go from PENDING to the emulator's decision in a fraction of a second; its
status webhooks go nowhere (port 9). The database fixtures are the storage tests' own
(``store`` runs on SQLite and on PostgreSQL); the sync tests use a SQLite file.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.clients.wappbiz_templates import WappbizTemplatesClient
from bot.storage.migrate import upgrade
from bot.storage.store import Store
from tests.storage.conftest import (  # noqa: F401 - fixtures shared with the storage tests
    backend,
    db_url,
    postgres_migrated,
    sqlite_url,
    store,
)
from tests.support.emulator import EmulatorHandle, quiet_config, serving

ACCESS_TOKEN = "templates-test-access-token-0123456789"
REVIEW_DELAY_S = 0.15


class Emulator(EmulatorHandle):
    """The running Wappbíz emulator and its template registry."""

    async def templates(self) -> list[dict[str, Any]]:
        """Every template the emulator holds (seeds included)."""
        async with self.api() as api:
            response = await api.get("/sandbox/api/templates")
            response.raise_for_status()
            return response.json()["data"]

    async def set_status(self, template_id: str, status: str, reason: str | None = None) -> None:
        async with self.api() as api:
            body = {"status": status, **({"reason": reason} if reason else {})}
            response = await api.post(f"/sandbox/api/templates/{template_id}/status", json=body)
            response.raise_for_status()


@pytest.fixture(scope="session")
def emulator_server() -> Iterator[Emulator]:
    config = quiet_config(ACCESS_TOKEN, "templates", template_review_delay_s=REVIEW_DELAY_S)
    with serving(config) as base_url:
        yield Emulator(base_url, config)


def reset_emulator(emulator: Emulator) -> None:
    with httpx.Client(base_url=emulator.base_url, timeout=10) as api:
        api.delete("/sandbox/api/reset").raise_for_status()


@pytest.fixture
def emulator(emulator_server: Emulator) -> Emulator:
    """The emulator, reset: seeded templates only, initial config."""
    reset_emulator(emulator_server)
    return emulator_server


@pytest.fixture
async def client(emulator: Emulator) -> AsyncIterator[WappbizTemplatesClient]:
    wappbiz = WappbizTemplatesClient(
        graph_url=emulator.graph_url,
        access_token=ACCESS_TOKEN,
        waba_id=emulator.config.waba_id,
        phone_number_id=emulator.config.phone_number_id,
        timeout_s=5.0,
        max_attempts=2,
        backoff_base_s=0.01,
    )
    yield wappbiz
    await wappbiz.aclose()


@pytest.fixture
def sqlite_db(tmp_path: Path) -> str:
    url = sqlite_url(tmp_path / "templates.db")
    upgrade(url)
    return url


@pytest.fixture
async def sqlite_store(sqlite_db: str) -> AsyncIterator[Store]:
    async with Store(sqlite_db) as started:
        yield started
