"""Ticket purchases: purchases, payment_events, tickets, refund_requests, webhook_receipts.

Revision ID: 0004_purchases
Revises: 0003_handoff
Create Date: 2026-11-26

Self-contained on purpose (no imports from ``bot``), like 0001: the migration must keep
producing the same schema after the models move on. Money and Hi.Events ids are 64-bit
(BIGINT on PostgreSQL; SQLite's INTEGER is 64-bit already).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004_purchases"
down_revision: str | Sequence[str] | None = "0003_handoff"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
INT64 = ID
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _ts() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "purchases",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("reference", sa.String(length=40), nullable=False),
        sa.Column("wa_id", sa.String(length=20), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("event_id", INT64, nullable=False),
        sa.Column("event_title", sa.String(length=256), nullable=False),
        sa.Column("event_starts_at", _ts(), nullable=False),
        sa.Column("product_id", INT64, nullable=False),
        sa.Column("price_id", INT64, nullable=False),
        sa.Column("ticket_type", sa.String(length=64), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price_cop", INT64, nullable=False),
        sa.Column("total_cop", INT64, nullable=False),
        sa.Column("currency", sa.String(length=3), server_default="COP", nullable=False),
        sa.Column("buyer_name", sa.String(length=128), nullable=False),
        sa.Column("buyer_email", sa.String(length=254), nullable=False),
        sa.Column("hi_order_short_id", sa.String(length=32), nullable=True),
        sa.Column("hi_order_public_id", sa.String(length=16), nullable=True),
        sa.Column("hi_order_id", INT64, nullable=True),
        sa.Column("hi_session", sa.String(length=64), nullable=True),
        sa.Column("provider", sa.String(length=16), nullable=True),
        sa.Column("link_id", sa.String(length=64), nullable=True),
        sa.Column("link_url", sa.Text(), nullable=True),
        sa.Column("link_expires_at", _ts(), nullable=True),
        sa.Column("state", sa.String(length=16), server_default="awaiting_payment", nullable=False),
        sa.Column("payment_transaction_id", sa.String(length=64), nullable=True),
        sa.Column("payment_method", sa.String(length=32), nullable=True),
        sa.Column("paid_at", _ts(), nullable=True),
        sa.Column("fulfilled_at", _ts(), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", _ts(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", _ts(), nullable=False),
        sa.Column("updated_at", _ts(), nullable=False),
        sa.CheckConstraint("language IN ('es', 'en')", name=op.f("ck_purchases_language")),
        sa.CheckConstraint(
            "state IN ('awaiting_payment', 'paid', 'fulfilled', 'expired', 'flagged', 'cancelled')",
            name=op.f("ck_purchases_state"),
        ),
        sa.CheckConstraint(
            "provider IS NULL OR provider IN ('wompi', 'mercadopago')",
            name=op.f("ck_purchases_provider"),
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_purchases_quantity")),
        sa.CheckConstraint(
            "unit_price_cop >= 0 AND total_cop >= 0", name=op.f("ck_purchases_amounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchases")),
        sa.UniqueConstraint("reference", name=op.f("uq_purchases_reference")),
        sa.UniqueConstraint("provider", "link_id", name=op.f("uq_purchases_provider_link_id")),
    )
    op.create_index(op.f("ix_purchases_wa_id_id"), "purchases", ["wa_id", "id"])
    op.create_index(
        op.f("ix_purchases_state_next_attempt_at"), "purchases", ["state", "next_attempt_at"]
    )

    op.create_table(
        "payment_events",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("transaction_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("purchase_id", ID, nullable=True),
        sa.Column("amount_cop", INT64, nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("reference", sa.String(length=64), nullable=True),
        sa.Column("link_id", sa.String(length=64), nullable=True),
        sa.Column("method", sa.String(length=32), nullable=True),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.Column("received_at", _ts(), nullable=False),
        sa.Column("raw", JSON, nullable=False),
        sa.CheckConstraint(
            "provider IN ('wompi', 'mercadopago')", name=op.f("ck_payment_events_provider")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_events")),
        sa.UniqueConstraint(
            "provider",
            "transaction_id",
            "status",
            name=op.f("uq_payment_events_provider_transaction_id_status"),
        ),
    )
    op.create_index(op.f("ix_payment_events_purchase_id"), "payment_events", ["purchase_id"])

    op.create_table(
        "tickets",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("purchase_id", ID, nullable=False),
        sa.Column("attendee_public_id", sa.String(length=16), nullable=False),
        sa.Column("attendee_id", INT64, nullable=True),
        sa.Column("holder_name", sa.String(length=128), nullable=False),
        sa.Column("ticket_type", sa.String(length=64), nullable=False),
        sa.Column("wa_id", sa.String(length=20), nullable=False),
        sa.Column("media_id", sa.String(length=128), nullable=True),
        sa.Column("wamid", sa.String(length=255), nullable=True),
        sa.Column("sent_at", _ts(), nullable=True),
        sa.Column("checked_in_at", _ts(), nullable=True),
        sa.Column("welcomed_at", _ts(), nullable=True),
        sa.Column("created_at", _ts(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tickets")),
        sa.UniqueConstraint("attendee_public_id", name=op.f("uq_tickets_attendee_public_id")),
    )
    op.create_index(op.f("ix_tickets_purchase_id"), "tickets", ["purchase_id"])
    op.create_index(op.f("ix_tickets_wa_id_id"), "tickets", ["wa_id", "id"])

    op.create_table(
        "refund_requests",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("purchase_id", ID, nullable=False),
        sa.Column("wa_id", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("basis", sa.String(length=32), nullable=False),
        sa.Column("eligible", sa.Boolean(), nullable=False),
        sa.Column("retracto_deadline", _ts(), nullable=True),
        sa.Column("refund_due_by", _ts(), nullable=True),
        sa.Column("status", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("requested_at", _ts(), nullable=False),
        sa.Column("decided_at", _ts(), nullable=True),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("notified_at", _ts(), nullable=True),
        sa.CheckConstraint(
            "basis IN ('retracto', 'outside_retracto')", name=op.f("ck_refund_requests_basis")
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'rejected')",
            name=op.f("ck_refund_requests_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refund_requests")),
    )
    # One pending request per purchase: a partial unique index (both databases support it).
    op.create_index(
        "uq_refund_requests_pending_purchase_id",
        "refund_requests",
        ["purchase_id"],
        unique=True,
        postgresql_where=sa.text("status = 'pending'"),
        sqlite_where=sa.text("status = 'pending'"),
    )
    op.create_index(op.f("ix_refund_requests_wa_id_id"), "refund_requests", ["wa_id", "id"])
    op.create_index(op.f("ix_refund_requests_status_id"), "refund_requests", ["status", "id"])

    op.create_table(
        "webhook_receipts",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("received_at", _ts(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_receipts")),
        sa.UniqueConstraint("source", "key", name=op.f("uq_webhook_receipts_source_key")),
    )
    op.create_index(op.f("ix_webhook_receipts_received_at"), "webhook_receipts", ["received_at"])


def downgrade() -> None:
    op.drop_table("webhook_receipts")
    op.drop_table("refund_requests")
    op.drop_table("tickets")
    op.drop_table("payment_events")
    op.drop_table("purchases")
