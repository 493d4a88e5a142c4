"""Engine factory: URL spellings, SQLite pragmas and transactions, clean process exit."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.storage.engine import SQLITE_BEGIN, create_engine, sqlite_file, to_async_url
from bot.storage.migrate import PROJECT_ROOT
from tests.storage.conftest import sqlite_url


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("postgresql://u:p@h/db", "postgresql+asyncpg://u:p@h/db"),
        ("postgres://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("postgresql+psycopg2://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("postgresql+asyncpg://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("sqlite:////var/app.db", "sqlite+aiosqlite:////var/app.db"),
        ("sqlite+aiosqlite:///rel.db", "sqlite+aiosqlite:///rel.db"),
    ],
)
def test_to_async_url(raw: str, expected: str) -> None:
    assert to_async_url(raw) == expected


def test_sqlite_file() -> None:
    assert sqlite_file("sqlite+aiosqlite:////srv/state/app.db") == Path("/srv/state/app.db")
    assert sqlite_file("sqlite+aiosqlite://") is None
    assert sqlite_file("sqlite+aiosqlite:///:memory:") is None
    assert sqlite_file("postgresql+asyncpg://h/db") is None


def test_unknown_pool_kind() -> None:
    with pytest.raises(ValueError, match="pool"):
        create_engine("sqlite+aiosqlite://", pool="static")


async def test_sqlite_connections_use_wal_and_busy_timeout(tmp_path: Path) -> None:
    engine = create_engine(sqlite_url(tmp_path / "pragmas.db"))
    try:
        async with engine.connect() as connection:
            mode = (await connection.execute(text("PRAGMA journal_mode"))).scalar()
            busy = (await connection.execute(text("PRAGMA busy_timeout"))).scalar()
            sync = (await connection.execute(text("PRAGMA synchronous"))).scalar()
    finally:
        await engine.dispose()
    assert (mode, busy, sync) == ("wal", 5000, 1)  # 1 == NORMAL


async def test_sqlite_transactions_are_real(tmp_path: Path) -> None:
    """DDL and DML roll back together: we emit BEGIN instead of sqlite3's lazy one."""
    engine = create_engine(sqlite_url(tmp_path / "tx.db"))
    try:
        with pytest.raises(RuntimeError):
            async with engine.begin() as connection:
                await connection.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY)"))
                await connection.execute(text("INSERT INTO t (id) VALUES (1)"))
                raise RuntimeError("roll back")
        async with engine.connect() as connection:
            tables = (
                await connection.execute(text("SELECT name FROM sqlite_master WHERE name = 't'"))
            ).all()
        assert tables == []
    finally:
        await engine.dispose()


def test_invalid_begin_mode_is_refused() -> None:
    with pytest.raises(ValueError, match=SQLITE_BEGIN):
        create_engine("sqlite+aiosqlite://", execution_options={SQLITE_BEGIN: "SOMETIMES"})


def test_unclosed_sqlite_engine_does_not_block_exit(tmp_path: Path) -> None:
    """A process that dies without Store.close() must still exit (aiosqlite 0.22 threads)."""
    script = textwrap.dedent(
        f"""
        import asyncio
        from sqlalchemy import text
        from bot.storage.engine import create_engine

        async def main():
            engine = create_engine({sqlite_url(tmp_path / "exit.db")!r})
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))

        asyncio.run(main())
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr
