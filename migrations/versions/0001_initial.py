"""Initial schema: contacts, inbound_messages, outbound_messages, message_statuses.

Revision ID: 0001
Revises:
Create Date: 2025-11-25

Self-contained on purpose (no imports from ``bot``): a migration must keep producing
the same schema even after the models move on. ``bot.storage.types.UTCDateTime`` is
a Python-side wrapper, so its DDL is plain ``DateTime(timezone=True)``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _ts() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "contacts",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("wa_id", sa.String(length=20), nullable=False),
        sa.Column("phone_e164", sa.String(length=20), nullable=False),
        sa.Column("profile_name", sa.String(length=256), nullable=True),
        sa.Column("language", sa.String(length=2), server_default="es", nullable=False),
        sa.Column(
            "language_source", sa.String(length=16), server_default="default", nullable=False
        ),
        sa.Column("role", sa.String(length=16), server_default="attendee", nullable=False),
        sa.Column("last_inbound_at", _ts(), nullable=True),
        sa.Column("created_at", _ts(), nullable=False),
        sa.Column("updated_at", _ts(), nullable=False),
        sa.CheckConstraint("language IN ('es', 'en')", name=op.f("ck_contacts_language")),
        sa.CheckConstraint(
            "language_source IN ('default', 'detected', 'explicit')",
            name=op.f("ck_contacts_language_source"),
        ),
        sa.CheckConstraint(
            "role IN ('attendee', 'model', 'designer', 'organizer', 'staff')",
            name=op.f("ck_contacts_role"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contacts")),
        sa.UniqueConstraint("wa_id", name=op.f("uq_contacts_wa_id")),
    )
    op.create_index(op.f("ix_contacts_phone_e164"), "contacts", ["phone_e164"])

    op.create_table(
        "inbound_messages",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("wamid", sa.String(length=255), nullable=False),
        sa.Column("wa_id", sa.String(length=20), nullable=False),
        sa.Column("msg_type", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("wa_timestamp", _ts(), nullable=True),
        sa.Column("received_at", _ts(), nullable=False),
        sa.Column("state", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("processed_at", _ts(), nullable=True),
        sa.CheckConstraint(
            "state IN ('pending', 'done', 'failed', 'skipped')",
            name=op.f("ck_inbound_messages_state"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_messages")),
        sa.UniqueConstraint("wamid", name=op.f("uq_inbound_messages_wamid")),
    )
    op.create_index(op.f("ix_inbound_messages_wa_id"), "inbound_messages", ["wa_id"])
    op.create_index(op.f("ix_inbound_messages_received_at"), "inbound_messages", ["received_at"])
    op.create_index(
        "ix_inbound_messages_pending",
        "inbound_messages",
        ["received_at"],
        postgresql_where=sa.text("state = 'pending'"),
        sqlite_where=sa.text("state = 'pending'"),
    )

    op.create_table(
        "outbound_messages",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("wa_id", sa.String(length=20), nullable=False),
        sa.Column("msg_type", sa.String(length=32), nullable=False),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("status", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("wamid", sa.String(length=255), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("error_code", sa.Integer(), nullable=True),
        sa.Column("error_detail", sa.Text(), nullable=True),
        sa.Column("reply_to_wamid", sa.String(length=255), nullable=True),
        sa.Column("created_at", _ts(), nullable=False),
        sa.Column("updated_at", _ts(), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'accepted', 'sent', 'delivered', 'read', 'failed',"
            " 'window_closed')",
            name=op.f("ck_outbound_messages_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbound_messages")),
        sa.UniqueConstraint("wamid", name=op.f("uq_outbound_messages_wamid")),
    )
    op.create_index(op.f("ix_outbound_messages_wa_id_id"), "outbound_messages", ["wa_id", "id"])
    op.create_index(op.f("ix_outbound_messages_status_id"), "outbound_messages", ["status", "id"])

    op.create_table(
        "message_statuses",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("wamid", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("recipient_id", sa.String(length=64), nullable=True),
        sa.Column("wa_timestamp", _ts(), nullable=True),
        sa.Column("error_code", sa.Integer(), nullable=True),
        sa.Column("error_title", sa.Text(), nullable=True),
        sa.Column("error_detail", sa.Text(), nullable=True),
        sa.Column("conversation_id", sa.String(length=255), nullable=True),
        sa.Column("conversation_category", sa.String(length=32), nullable=True),
        sa.Column("pricing_category", sa.String(length=32), nullable=True),
        sa.Column("pricing_type", sa.String(length=32), nullable=True),
        sa.Column("billable", sa.Boolean(), nullable=True),
        sa.Column("received_at", _ts(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_statuses")),
        sa.UniqueConstraint("wamid", "status", name=op.f("uq_message_statuses_wamid_status")),
    )
    op.create_index(op.f("ix_message_statuses_received_at"), "message_statuses", ["received_at"])


def downgrade() -> None:
    # Dropping a table drops its indexes and constraints with it, on both databases.
    op.drop_table("message_statuses")
    op.drop_table("outbound_messages")
    op.drop_table("inbound_messages")
    op.drop_table("contacts")
