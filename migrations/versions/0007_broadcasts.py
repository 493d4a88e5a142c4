"""Broadcasts: organizer campaigns from the template library, sent through the outbox.

Revision ID: 0007_broadcasts
Revises: 0006_templates
Create Date: 2026-12-03

Self-contained on purpose (no imports from ``bot``), like 0001: the migration must keep
producing the same schema after the models move on.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007_broadcasts"
down_revision: str | Sequence[str] | None = "0006_templates"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _ts() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "broadcasts",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("template", sa.String(length=512), nullable=False),
        sa.Column("variables", JSON, nullable=False),
        sa.Column("segment", JSON, nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="draft", nullable=False),
        sa.Column("scheduled_for", _ts(), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", _ts(), nullable=False),
        sa.Column("started_at", _ts(), nullable=True),
        sa.Column("finished_at", _ts(), nullable=True),
        sa.Column("counts", JSON, nullable=True),
        sa.CheckConstraint(
            "purpose IN ('marketing', 'utility')", name=op.f("ck_broadcasts_purpose")
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'scheduled', 'sending', 'done', 'cancelled')",
            name=op.f("ck_broadcasts_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcasts")),
    )
    op.create_index(op.f("ix_broadcasts_status_id"), "broadcasts", ["status", "id"])


def downgrade() -> None:
    op.drop_table("broadcasts")
