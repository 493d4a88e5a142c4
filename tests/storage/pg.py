"""Throw-away PostgreSQL databases for the storage tests.

Each test session creates uniquely named databases on the server at
``TEST_POSTGRES_ADMIN_URL`` (default: ``postgresql://postgres@127.0.0.1:5432/postgres``,
trust auth) and drops them at the end, so parallel runs and developers' own data
never collide.
"""

from __future__ import annotations

import os
import secrets

import psycopg2
import pytest
from psycopg2 import sql
from sqlalchemy.engine import make_url

ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() == "true"


def unavailable(reason: str) -> None:
    """Skip locally, but fail in CI: there a missing PostgreSQL is a broken pipeline."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true, so PostgreSQL tests must run)", pytrace=False)
    pytest.skip(f"{reason}; start PostgreSQL or set CI=true to turn this into a failure")


def check_server() -> None:
    """Skip/fail (see :func:`unavailable`) unless the admin database accepts connections."""
    shown = make_url(ADMIN_URL).render_as_string(hide_password=True)
    try:
        psycopg2.connect(ADMIN_URL, connect_timeout=3).close()
    except psycopg2.OperationalError as exc:
        unavailable(f"PostgreSQL not reachable at {shown}: {str(exc).strip()}")


def _admin() -> psycopg2.extensions.connection:
    connection = psycopg2.connect(ADMIN_URL, connect_timeout=5)
    connection.autocommit = True  # CREATE/DROP DATABASE cannot run in a transaction
    return connection


def create_database(prefix: str = "fashionistas_test") -> str:
    """Create an empty database; returns its async (asyncpg) URL."""
    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(4)}"
    connection = _admin()
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    finally:
        connection.close()
    url = make_url(ADMIN_URL).set(drivername="postgresql+asyncpg", database=name)
    return url.render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    """Drop a database made by :func:`create_database`, closing leftover sessions first."""
    name = make_url(url).database
    connection = _admin()
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
    finally:
        connection.close()


def truncate(url: str, tables: list[str]) -> None:
    """Empty ``tables`` and reset their id sequences (fast per-test isolation)."""
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = psycopg2.connect(dsn, connect_timeout=5)
    try:
        with connection, connection.cursor() as cursor:
            cursor.execute(
                sql.SQL("TRUNCATE {} RESTART IDENTITY").format(
                    sql.SQL(", ").join(sql.Identifier(table) for table in tables)
                )
            )
    finally:
        connection.close()
