"""Fixtures for the storage tests: real SQLite files and real PostgreSQL databases.

``backend`` is parametrised over ``sqlite`` and ``postgres`` (the latter marked
``postgres``), so every store test runs against both. PostgreSQL being unreachable
skips those cases locally and fails them in CI (``CI=true``); see ``tests/storage/pg.py``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from bot.storage.migrate import upgrade
from bot.storage.models import metadata
from bot.storage.store import Store
from tests.storage import pg

APP_TABLES = sorted(metadata.tables)

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture(scope="session")
def postgres_migrated() -> Iterator[str]:
    """One migrated PostgreSQL database shared by the session (emptied per test)."""
    pg.check_server()
    url = pg.create_database()
    try:
        upgrade(url)
        yield url
    finally:
        pg.drop_database(url)


@pytest.fixture
def fresh_db(backend: str, tmp_path: Path) -> Iterator[Callable[[], str]]:
    """Factory of empty, never-migrated databases of the parametrised backend."""
    made: list[str] = []

    def make() -> str:
        if backend == "sqlite":
            url = sqlite_url(tmp_path / f"fresh{len(made)}.db")
        else:
            pg.check_server()
            url = pg.create_database()
        made.append(url)
        return url

    yield make
    if backend == "postgres":
        for url in made:
            pg.drop_database(url)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database of the parametrised backend."""
    if backend == "sqlite":
        url = sqlite_url(tmp_path / "app.db")
        upgrade(url)
        return url
    url = request.getfixturevalue("postgres_migrated")
    pg.truncate(url, APP_TABLES)
    return url


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[Store]:
    async with Store(db_url) as started:
        yield started
