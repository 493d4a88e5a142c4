"""SQLAlchemy models of the application database (the system of record).

Written for SQLAlchemy 1.4 in 2.0 style: ``Column`` declarations (1.4 has no
``Mapped[...]`` annotation mapping), Core ``select()``/``insert()`` in the store.
The schema itself is created by Alembic (``migrations/``), never by
``metadata.create_all``; ``tests/storage/test_migrations.py`` checks that the
migrations and these models agree.

Closed vocabularies are plain strings guarded by CHECK constraints rather than
database enums: adding a value is then a small migration on both SQLite and
PostgreSQL. Statuses reported by WhatsApp (``message_statuses.status``) are left
open on purpose, so a new status from Meta is recorded instead of failing the webhook.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import declarative_base

from bot.storage.types import IdType, JSONType, UTCDateTime

# Deterministic constraint names, so later migrations (and SQLite batch mode) can refer to them.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)
Base = declarative_base(metadata=metadata)

LANGUAGES = ("es", "en")
LANGUAGE_SOURCES = ("default", "detected", "explicit")
ROLES = ("attendee", "model", "designer", "organizer", "staff")
INBOUND_STATES = ("pending", "done", "failed", "skipped")
OUTBOUND_STATUSES = ("pending", "accepted", "sent", "delivered", "read", "failed", "window_closed")

# WhatsApp ids are at most 15 digits; message ids ("wamid.HBgM...") are ~60 characters.
WA_ID_LEN = 20
WAMID_LEN = 255


def _one_of(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({quoted})"


class Contact(Base):
    """A WhatsApp user: identity, language preference and role in the event."""

    __tablename__ = "contacts"

    id = Column(IdType, primary_key=True, autoincrement=True)
    wa_id = Column(String(WA_ID_LEN), nullable=False)
    phone_e164 = Column(String(WA_ID_LEN), nullable=False)
    profile_name = Column(String(256), nullable=True)
    language = Column(String(2), nullable=False, server_default="es")
    language_source = Column(String(16), nullable=False, server_default="default")
    role = Column(String(16), nullable=False, server_default="attendee")
    #: Last message *from* the user: opens WhatsApp's 24-hour customer-service window.
    last_inbound_at = Column(UTCDateTime(), nullable=True)
    created_at = Column(UTCDateTime(), nullable=False)
    updated_at = Column(UTCDateTime(), nullable=False)

    __table_args__ = (
        UniqueConstraint("wa_id"),
        Index(None, "phone_e164"),
        CheckConstraint(_one_of("language", LANGUAGES), name="language"),
        CheckConstraint(_one_of("language_source", LANGUAGE_SOURCES), name="language_source"),
        CheckConstraint(_one_of("role", ROLES), name="role"),
    )


class InboundMessage(Base):
    """Every inbound WhatsApp message, written before the webhook is acknowledged.

    Doubles as the de-duplication record (``wamid`` is unique; WhatsApp delivers at
    least once, for up to 7 days) and as the durable inbox (``pending`` rows are
    replayed after a crash).
    """

    __tablename__ = "inbound_messages"

    id = Column(IdType, primary_key=True, autoincrement=True)
    wamid = Column(String(WAMID_LEN), nullable=False)
    wa_id = Column(String(WA_ID_LEN), nullable=False)
    msg_type = Column(String(32), nullable=False)
    text = Column(Text, nullable=True)
    payload = Column(JSONType, nullable=False)
    wa_timestamp = Column(UTCDateTime(), nullable=True)
    received_at = Column(UTCDateTime(), nullable=False)
    state = Column(String(16), nullable=False, server_default="pending")
    attempts = Column(Integer, nullable=False, server_default="0")
    error = Column(Text, nullable=True)
    processed_at = Column(UTCDateTime(), nullable=True)

    __table_args__ = (
        UniqueConstraint("wamid"),
        Index(None, "wa_id"),
        Index(None, "received_at"),
        # The replay query only ever looks at pending rows: a partial index stays tiny.
        Index(
            "ix_inbound_messages_pending",
            "received_at",
            postgresql_where=state == "pending",
            sqlite_where=state == "pending",
        ),
        CheckConstraint(_one_of("state", INBOUND_STATES), name="state"),
    )


class OutboundMessage(Base):
    """A message we send (or tried to send) through the Cloud API."""

    __tablename__ = "outbound_messages"

    id = Column(IdType, primary_key=True, autoincrement=True)
    wa_id = Column(String(WA_ID_LEN), nullable=False)
    msg_type = Column(String(32), nullable=False)
    #: The Cloud API request body, as sent.
    payload = Column(JSONType, nullable=False)
    status = Column(String(16), nullable=False, server_default="pending")
    #: Set once the API accepted the message; unique when set (NULLs never collide).
    wamid = Column(String(WAMID_LEN), nullable=True)
    attempts = Column(Integer, nullable=False, server_default="0")
    error_code = Column(Integer, nullable=True)
    error_detail = Column(Text, nullable=True)
    reply_to_wamid = Column(String(WAMID_LEN), nullable=True)
    created_at = Column(UTCDateTime(), nullable=False)
    updated_at = Column(UTCDateTime(), nullable=False)

    __table_args__ = (
        UniqueConstraint("wamid"),
        Index(None, "wa_id", "id"),
        Index(None, "status", "id"),
        CheckConstraint(_one_of("status", OUTBOUND_STATUSES), name="status"),
    )


class MessageStatus(Base):
    """One status webhook (sent/delivered/read/failed/played) per message and status.

    ``UNIQUE(wamid, status)`` makes a re-delivered status webhook a no-op; the rows feed
    analytics (delivery funnel, conversation categories, billing).
    """

    __tablename__ = "message_statuses"

    id = Column(IdType, primary_key=True, autoincrement=True)
    wamid = Column(String(WAMID_LEN), nullable=False)
    status = Column(String(16), nullable=False)
    # Lenient length: Meta is introducing business-scoped user ids beside phone numbers.
    recipient_id = Column(String(64), nullable=True)
    wa_timestamp = Column(UTCDateTime(), nullable=True)
    error_code = Column(Integer, nullable=True)
    error_title = Column(Text, nullable=True)
    error_detail = Column(Text, nullable=True)
    conversation_id = Column(String(WAMID_LEN), nullable=True)
    conversation_category = Column(String(32), nullable=True)
    pricing_category = Column(String(32), nullable=True)
    pricing_type = Column(String(32), nullable=True)
    billable = Column(Boolean, nullable=True)
    received_at = Column(UTCDateTime(), nullable=False)

    __table_args__ = (
        UniqueConstraint("wamid", "status"),
        Index(None, "received_at"),
    )
