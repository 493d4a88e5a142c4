"""Apply the Alembic migrations programmatically, or from the command line.

    python -m bot.storage.migrate                 # upgrade the configured database to head
    python -m bot.storage.migrate --url URL       # another database
    python -m bot.storage.migrate --check         # exit 1 unless the database is at head

The functions here are synchronous because Alembic is. The environment
(``migrations/env.py``) drives the async drivers with ``asyncio.run``; when the caller
is itself inside a running event loop (an async app's startup), the work moves to a
short-lived worker thread that has a loop of its own. That blocks the caller's loop
for the duration: from async code prefer ``await asyncio.to_thread(upgrade, url)``.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from bot.storage.engine import create_engine, ensure_sqlite_parent, parse_url, to_async_url

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ALEMBIC_INI = PROJECT_ROOT / "alembic.ini"
MIGRATIONS_DIR = PROJECT_ROOT / "migrations"

T = TypeVar("T")

# Alembic keeps the running migration environment in module globals (``alembic.context``),
# so two commands in one process must not overlap. Across processes the database lock
# taken in migrations/env.py does the serialising.
_ALEMBIC_LOCK = threading.Lock()


def resolve_url(url: str | None = None) -> str:
    """``url`` (sync spellings accepted, see ``to_async_url``) or the configured one."""
    if url is None:
        from bot.settings import get_settings

        url = get_settings().resolved_database_url
    parse_url(url)  # refuse unsupported drivers before alembic starts
    return to_async_url(url)


def alembic_config(url: str | None = None) -> Config:
    """An Alembic :class:`Config` for our migrations, independent of the working directory.

    The URL travels in ``config.attributes`` rather than ``sqlalchemy.url`` so that a
    password containing ``%`` is not mangled by configparser interpolation.
    """
    config = Config(str(ALEMBIC_INI)) if ALEMBIC_INI.exists() else Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["configure_logger"] = False  # don't clobber the app's logging setup
    if url is not None:
        config.attributes["url"] = url
    return config


def upgrade(url: str | None = None, revision: str = "head") -> None:
    """Migrate the database at ``url`` (default: the configured one) up to ``revision``.

    Idempotent, and safe when several processes call it at once. Creates the SQLite
    file's directory if needed.
    """
    resolved = resolve_url(url)
    ensure_sqlite_parent(resolved)
    _outside_event_loop(lambda: _locked(command.upgrade, alembic_config(resolved), revision))


def downgrade(url: str | None = None, revision: str = "base") -> None:
    """Migrate down to ``revision`` (default: drop everything). For tests and rollbacks."""
    resolved = resolve_url(url)
    _outside_event_loop(lambda: _locked(command.downgrade, alembic_config(resolved), revision))


def head() -> str | None:
    """The newest revision shipped with the code."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current(url: str | None = None) -> str | None:
    """The revision the database is at (``None`` for a database never migrated)."""
    resolved = resolve_url(url)

    def read(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async def go() -> str | None:
        engine = create_engine(resolved, pool="null")
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(read)
        finally:
            await engine.dispose()

    return _outside_event_loop(lambda: asyncio.run(go()))


def _locked(func: Callable[..., None], *args: object) -> None:
    with _ALEMBIC_LOCK:
        func(*args)


def _outside_event_loop(func: Callable[[], T]) -> T:
    """Run ``func`` here, or in a worker thread if this thread already runs an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return func()

    outcome: dict[str, object] = {}

    def target() -> None:
        try:
            outcome["value"] = func()
        except BaseException as exc:  # re-raised in the caller's thread below
            outcome["error"] = exc

    worker = threading.Thread(target=target, name="alembic-migrate", daemon=True)
    worker.start()
    worker.join()
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["value"]  # type: ignore[return-value]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot.storage.migrate",
        description="Migrate the application database (default: DATABASE_URL or the SQLite file).",
    )
    parser.add_argument("--url", help="database URL (default: from settings)")
    parser.add_argument("--revision", default="head", help="target revision (default: head)")
    parser.add_argument(
        "--check", action="store_true", help="only check; exit 1 if the database is not at head"
    )
    args = parser.parse_args(argv)
    url = resolve_url(args.url)
    shown = parse_url(url).render_as_string(hide_password=True)
    if args.check:
        at, newest = current(url), head()
        print(f"{shown}: at {at or 'nothing'}, head is {newest}")
        return 0 if at == newest else 1
    upgrade(url, args.revision)
    print(f"{shown}: at {current(url)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
