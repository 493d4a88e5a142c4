"""Outbox of proactive messages: the durable queue the delivery worker drains.

Revision ID: 0005_outbox
Revises: 0004_purchases
Create Date: 2026-12-01

Self-contained on purpose (no imports from ``bot``), like 0001: the migration must keep
producing the same schema after the models move on.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005_outbox"
down_revision: str | Sequence[str] | None = "0004_purchases"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
INT64 = ID
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _ts() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("wa_id", sa.String(length=20), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("template_fallback", JSON, nullable=True),
        sa.Column("status", sa.String(length=16), server_default="queued", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=True),
        sa.Column("next_attempt_at", _ts(), nullable=False),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("claimed_until", _ts(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_code", sa.Integer(), nullable=True),
        sa.Column("wamid", sa.String(length=255), nullable=True),
        sa.Column("broadcast_id", INT64, nullable=True),
        sa.Column("created_at", _ts(), nullable=False),
        sa.Column("sent_at", _ts(), nullable=True),
        sa.Column("updated_at", _ts(), nullable=False),
        sa.CheckConstraint(
            "status IN ('queued', 'sending', 'sent', 'dead', 'cancelled')",
            name=op.f("ck_outbox_status"),
        ),
        sa.CheckConstraint(
            "purpose IN ('transactional', 'marketing', 'casting', 'emergency')",
            name=op.f("ck_outbox_purpose"),
        ),
        sa.CheckConstraint("kind IN ('message', 'template')", name=op.f("ck_outbox_kind")),
        sa.CheckConstraint("priority BETWEEN 0 AND 3", name=op.f("ck_outbox_priority")),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_outbox_attempts")),
        sa.CheckConstraint(
            "max_attempts IS NULL OR max_attempts > 0", name=op.f("ck_outbox_max_attempts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_outbox_idempotency_key")),
    )
    # The claim: status = 'queued' (or an expired 'sending'), by priority, then due time.
    op.create_index(
        op.f("ix_outbox_status_priority_next_attempt_at"),
        "outbox",
        ["status", "priority", "next_attempt_at"],
    )
    op.create_index(op.f("ix_outbox_wa_id_id"), "outbox", ["wa_id", "id"])
    op.create_index(op.f("ix_outbox_broadcast_id_status"), "outbox", ["broadcast_id", "status"])


def downgrade() -> None:
    op.drop_table("outbox")
