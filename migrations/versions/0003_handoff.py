"""Hand-off to a person and staff incidents: handoffs, incidents.

Revision ID: 0003_handoff
Revises: 0002_consent
Create Date: 2026-11-25

Self-contained on purpose (no imports from ``bot``), like 0001: the migration must keep
producing the same schema after the models move on.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_handoff"
down_revision: str | Sequence[str] | None = "0002_consent"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _ts() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "handoffs",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("wa_id", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("last_user_text", sa.Text(), nullable=True),
        sa.Column("requested_at", _ts(), nullable=False),
        sa.Column("released_at", _ts(), nullable=True),
        sa.Column("released_by", sa.String(length=64), nullable=True),
        sa.Column("release_reason", sa.String(length=16), nullable=True),
        sa.CheckConstraint(
            "reason IN ('user_request', 'fallback', 'bot_challenge', 'journey_pending',"
            " 'staff_request')",
            name=op.f("ck_handoffs_reason"),
        ),
        sa.CheckConstraint(
            "release_reason IS NULL OR release_reason IN ('released', 'opt_out')",
            name=op.f("ck_handoffs_release_reason"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handoffs")),
    )
    # One open hand-off per person: a partial unique index (both databases support it).
    op.create_index(
        "uq_handoffs_open_wa_id",
        "handoffs",
        ["wa_id"],
        unique=True,
        postgresql_where=sa.text("released_at IS NULL"),
        sqlite_where=sa.text("released_at IS NULL"),
    )
    op.create_index(op.f("ix_handoffs_requested_at"), "handoffs", ["requested_at"])

    op.create_table(
        "incidents",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("wa_id", sa.String(length=20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("event", sa.String(length=256), nullable=True),
        sa.Column("created_at", _ts(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incidents")),
    )
    op.create_index(op.f("ix_incidents_created_at"), "incidents", ["created_at"])


def downgrade() -> None:
    op.drop_table("incidents")
    op.drop_table("handoffs")
