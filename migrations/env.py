"""Alembic environment for the application database (async drivers only).

The URL comes, in order, from: ``config.attributes["url"]`` (set by
:func:`bot.storage.migrate.upgrade`), ``alembic -x url=...``, ``sqlalchemy.url`` in
the ini file, and finally ``bot.settings`` (``DATABASE_URL`` or the SQLite file in
``STATE_DIR``). Connections are made by :func:`bot.storage.engine.create_engine`, so
migrations run with the same SQLite pragmas and transaction handling as the app.

Concurrency: several processes may call ``upgrade`` at boot. On PostgreSQL a
transaction-scoped advisory lock serialises them; on SQLite ``BEGIN IMMEDIATE`` does.
In both cases the loser then sees the winner's committed ``alembic_version`` and has
nothing left to do.
"""

from __future__ import annotations

import asyncio
import zlib
from logging.config import fileConfig

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection

from bot.storage.engine import SQLITE_BEGIN, create_engine, ensure_sqlite_parent, to_async_url
from bot.storage.models import metadata

config = context.config

# Programmatic callers (bot.storage.migrate) own logging; only the CLI configures it here.
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = metadata

#: Key of the PostgreSQL advisory lock held while migrating (any stable 32-bit number).
MIGRATION_LOCK_KEY = zlib.crc32(b"fashionistas.migrations")


def _database_url() -> str:
    url = (
        config.attributes.get("url")
        or context.get_x_argument(as_dictionary=True).get("url")
        or config.get_main_option("sqlalchemy.url")
    )
    if not url:
        from bot.settings import get_settings  # imported late: -x url works without settings

        url = get_settings().resolved_database_url
    return to_async_url(url)


def run_migrations_offline() -> None:
    """Emit SQL to stdout (``alembic upgrade head --sql``) without connecting."""
    url = _database_url()
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        render_as_batch=url.startswith("sqlite"),
    )
    with context.begin_transaction():
        context.run_migrations()


def _run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        # Alembic assumes SQLite DDL is not transactional because Python's sqlite3 module
        # commits around it; our engine emits BEGIN itself, so one transaction holds.
        transactional_ddl=True,
        compare_type=True,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
            )
        context.run_migrations()


async def _run_migrations_online(url: str) -> None:
    engine = create_engine(url, pool="null", execution_options={SQLITE_BEGIN: "IMMEDIATE"})
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run_migrations)
    finally:
        await engine.dispose()


def run_migrations_online() -> None:
    url = _database_url()
    ensure_sqlite_parent(url)
    # Runs in its own loop: alembic is synchronous. bot.storage.migrate.upgrade moves
    # the whole command to a worker thread when the caller already runs a loop.
    asyncio.run(_run_migrations_online(url))


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
