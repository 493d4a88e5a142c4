"""Async engine factory shared by the store and the Alembic environment.

One place decides how we talk to each database, so the migrations run with exactly
the connection behaviour the application uses:

* **SQLite** (embedded mode): WAL journal so readers never block the writer,
  ``busy_timeout=5000`` so concurrent writers wait instead of failing with
  "database is locked", ``synchronous=NORMAL`` (durable with WAL, far fewer fsyncs).
  Python's ``sqlite3`` module only opens a transaction lazily before DML, which breaks
  isolation and makes DDL non-transactional; we switch that off and emit ``BEGIN``
  ourselves. Write transactions use ``BEGIN IMMEDIATE``: taking the write lock up
  front means a transaction that read first cannot later fail with ``SQLITE_BUSY``
  (busy_timeout does not help a deferred transaction upgrading its lock).
* **PostgreSQL**: asyncpg with a modest pool; several processes (rasa replicas,
  action servers, workers) share the server's connection limit.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.dialects.sqlite.aiosqlite import AsyncAdapt_aiosqlite_dbapi
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import AsyncAdaptedQueuePool, NullPool

#: Execution option read by the SQLite ``begin`` hook: "DEFERRED" (default) or "IMMEDIATE".
SQLITE_BEGIN = "fashionistas_sqlite_begin"
_BEGIN_MODES = frozenset({"DEFERRED", "IMMEDIATE", "EXCLUSIVE"})

SUPPORTED_DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg")

SQLITE_BUSY_TIMEOUT_MS = 5000


def to_async_url(url: str) -> str:
    """Map sync spellings (``postgresql://``, ``postgres://``, ``sqlite:///``) to async drivers.

    Same rules as ``Settings.resolved_database_url``, applied to URLs given directly
    (``-x url=...``, tests), so every entry point accepts what an operator would type.
    """
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+asyncpg://" + url.split("://", 1)[1]
    if url.startswith("postgresql+psycopg2://"):
        return "postgresql+asyncpg://" + url.split("://", 1)[1]
    if url == "sqlite://" or url.startswith("sqlite:///"):
        return "sqlite+aiosqlite://" + url[len("sqlite://") :]
    return url


def parse_url(url: str) -> URL:
    """Parse and validate an application database URL (async drivers only)."""
    parsed = make_url(to_async_url(url))
    if parsed.drivername not in SUPPORTED_DRIVERS:
        raise ValueError(
            f"unsupported database URL driver {parsed.drivername!r}; "
            f"use one of {', '.join(SUPPORTED_DRIVERS)}"
        )
    return parsed


def sqlite_file(url: str | URL) -> Path | None:
    """The database file of a SQLite URL, or ``None`` (in-memory or not SQLite)."""
    parsed = make_url(url) if isinstance(url, str) else url
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def ensure_sqlite_parent(url: str | URL) -> None:
    """Create the directory that will hold a SQLite file (a fresh checkout has no ``var/``)."""
    path = sqlite_file(url)
    if path is not None:
        path.expanduser().parent.mkdir(parents=True, exist_ok=True)


class _DaemonThreadAiosqlite:
    """The ``aiosqlite`` module, except that connections run on daemon threads.

    SQLAlchemy 1.4 marks each aiosqlite connection ``daemon`` because it used to *be*
    the worker thread. Since aiosqlite 0.22 the thread is a separate object, so that
    flag no longer reaches it: one connection left open (a crash path, a forgotten
    ``close()``) then blocks interpreter exit forever, and a supervisor never sees the
    process die. SQLite itself is crash-safe, so a daemon thread is the right trade.
    """

    def __init__(self, module: Any) -> None:
        self._module = module

    def __getattr__(self, name: str) -> Any:
        return getattr(self._module, name)

    def connect(self, *args: Any, **kwargs: Any) -> Any:
        connection = self._module.connect(*args, **kwargs)
        thread = getattr(connection, "_thread", None)
        if isinstance(thread, threading.Thread) and not thread.is_alive():
            thread.daemon = True
        return connection


def _aiosqlite_dbapi() -> Any:
    import aiosqlite

    return AsyncAdapt_aiosqlite_dbapi(_DaemonThreadAiosqlite(aiosqlite), sqlite3)


def _json_dumps(value: Any) -> str:
    # Keep Spanish text readable in the database (é, ñ, ¿) instead of \\u escapes.
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def create_engine(
    url: str,
    *,
    pool_size: int = 5,
    max_overflow: int = 5,
    pool: str = "queue",
    execution_options: dict[str, Any] | None = None,
    echo: bool = False,
) -> AsyncEngine:
    """Create the configured :class:`AsyncEngine` for ``url``.

    ``pool="null"`` opens a connection per use; migrations use it because they run
    once and must not leave idle connections (or aiosqlite threads) behind.
    """
    parsed = parse_url(url)
    begin_mode = str((execution_options or {}).get(SQLITE_BEGIN, "DEFERRED")).upper()
    if begin_mode not in _BEGIN_MODES:
        raise ValueError(f"{SQLITE_BEGIN} must be one of {sorted(_BEGIN_MODES)}")
    kwargs: dict[str, Any] = {
        "future": True,
        "echo": echo,
        "json_serializer": _json_dumps,
        "execution_options": dict(execution_options or {}),
    }
    if pool == "null":
        kwargs["poolclass"] = NullPool
    elif pool != "queue":
        raise ValueError(f"pool must be 'queue' or 'null', got {pool!r}")

    if parsed.get_backend_name() == "sqlite":
        if pool == "queue" and sqlite_file(parsed) is not None:
            # SQLAlchemy 1.4 defaults to NullPool for aiosqlite files, i.e. a new
            # connection (and thread) per transaction; a pool keeps the ack path fast.
            kwargs.update(
                poolclass=AsyncAdaptedQueuePool,
                pool_size=pool_size,
                max_overflow=max_overflow,
                pool_timeout=30,
            )
        engine = create_async_engine(parsed, module=_aiosqlite_dbapi(), **kwargs)
        _install_sqlite_hooks(engine, in_memory=sqlite_file(parsed) is None)
        return engine

    if pool == "queue":
        kwargs.update(
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_pre_ping=True,  # survive server restarts and idle-connection reapers
            pool_recycle=1800,
        )
    kwargs["connect_args"] = {"server_settings": {"application_name": "fashionistas"}}
    return create_async_engine(parsed, **kwargs)


def _install_sqlite_hooks(engine: AsyncEngine, *, in_memory: bool) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Disable the sqlite3 module's implicit BEGIN; the "begin" hook below emits it.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            # busy_timeout first, so even the switch to WAL waits for other writers.
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            if not in_memory:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
        finally:
            cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        options = connection.get_execution_options()
        if options.get("isolation_level") == "AUTOCOMMIT":
            return
        mode = str(options.get(SQLITE_BEGIN, "DEFERRED")).upper()
        if mode not in _BEGIN_MODES:
            raise ValueError(f"{SQLITE_BEGIN} must be one of {sorted(_BEGIN_MODES)}")
        connection.exec_driver_sql(f"BEGIN {mode}")
