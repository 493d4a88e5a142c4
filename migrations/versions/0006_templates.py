"""Message templates: the template library's submission and review status at Wappbíz.

Revision ID: 0006_templates
Revises: 0005_outbox
Create Date: 2026-12-02

Self-contained on purpose (no imports from ``bot``), like 0001: the migration must keep
producing the same schema after the models move on.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_templates"
down_revision: str | Sequence[str] | None = "0005_outbox"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _ts() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "message_templates",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=512), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("wappbiz_id", sa.String(length=32), nullable=False),
        # Open on purpose (no CHECK): Meta has more template statuses than we act on.
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("rejected_reason", sa.String(length=64), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("submitted_at", _ts(), nullable=False),
        sa.Column("updated_at", _ts(), nullable=False),
        sa.CheckConstraint(
            "category IN ('MARKETING', 'UTILITY', 'AUTHENTICATION')",
            name=op.f("ck_message_templates_category"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_templates")),
        sa.UniqueConstraint("name", "language", name=op.f("uq_message_templates_name_language")),
    )
    # ``message_template_status_update`` webhooks name the template by its Wappbíz id.
    op.create_index(op.f("ix_message_templates_wappbiz_id"), "message_templates", ["wappbiz_id"])


def downgrade() -> None:
    op.drop_table("message_templates")
