"""Fixtures of the broadcast tests: the storage tests' databases (SQLite and PostgreSQL)."""

from __future__ import annotations

from tests.storage.conftest import (  # noqa: F401 - fixtures shared with the storage tests
    backend,
    db_url,
    postgres_migrated,
    store,
)
