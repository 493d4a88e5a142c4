"""Column types and time helpers shared by the models, the store and the migrations.

Everything time-related in storage is UTC and timezone-aware. SQLite has no
timezone-aware timestamp type, so :class:`UTCDateTime` converts to naive UTC on the
way in and re-attaches UTC on the way out; PostgreSQL uses ``timestamptz``. Callers
therefore always get aware UTC datetimes back, whichever database runs underneath.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Integer
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

#: Surrogate keys: BIGINT on PostgreSQL (the inbox grows by every message), but plain
#: INTEGER on SQLite, where only ``INTEGER PRIMARY KEY`` aliases the auto-incrementing rowid.
IdType = BigInteger().with_variant(Integer(), "sqlite")

#: JSON documents (webhook messages, Cloud API bodies): JSONB on PostgreSQL so they can be
#: indexed and queried later, the portable JSON type (TEXT) elsewhere.
JSONType = JSON().with_variant(postgresql.JSONB(), "postgresql")


def utcnow() -> datetime:
    """The current time as an aware UTC datetime."""
    return datetime.now(timezone.utc)


def as_utc(value: datetime, name: str = "datetime") -> datetime:
    """Return ``value`` converted to UTC, refusing naive datetimes.

    A naive value is ambiguous (server local time or UTC?). In Medellín (UTC-5) a wrong
    guess moves the 24-hour customer-service window by five hours, so we refuse rather
    than guess.
    """
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (got naive {value.isoformat()})")
    return value.astimezone(timezone.utc)


def from_unix_seconds(value: str | int | float | None) -> datetime | None:
    """Parse a webhook ``timestamp`` (unix seconds, usually sent as a string) into UTC.

    Returns ``None`` for a missing or empty value. A value that is not a number raises
    ``ValueError``: a malformed timestamp is a parsing bug worth seeing, not hiding.
    """
    if value is None or value == "":
        return None
    try:
        seconds = float(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"not a unix timestamp: {value!r}") from exc
    return datetime.fromtimestamp(seconds, tz=timezone.utc)


class UTCDateTime(TypeDecorator):
    """``DateTime(timezone=True)`` that only accepts aware values and always returns UTC.

    SQLite stores the naive UTC wall time (as ISO text, so ``<`` comparisons stay
    chronological); PostgreSQL stores ``timestamptz``.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = as_utc(value)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)
