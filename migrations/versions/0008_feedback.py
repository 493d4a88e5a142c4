"""Feedback: opinions about an event (give_feedback), a rating 1–5 and/or a comment.

Revision ID: 0008_feedback
Revises: 0007_broadcasts
Create Date: 2026-11-25

Self-contained on purpose (no imports from ``bot``), like 0001: the migration must keep
producing the same schema after the models move on.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_feedback"
down_revision: str | Sequence[str] | None = "0007_broadcasts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _ts() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "feedback",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("wa_id", sa.String(length=20), nullable=False),
        sa.Column("event_id", ID, nullable=True),
        sa.Column("event_title", sa.String(length=256), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("inbound_wamid", sa.String(length=255), nullable=True),
        sa.Column("created_at", _ts(), nullable=False),
        sa.Column("updated_at", _ts(), nullable=False),
        sa.CheckConstraint(
            "rating IS NULL OR (rating >= 1 AND rating <= 5)", name=op.f("ck_feedback_rating")
        ),
        sa.CheckConstraint("source IN ('button', 'text')", name=op.f("ck_feedback_source")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback")),
        sa.UniqueConstraint("inbound_wamid", name=op.f("uq_feedback_inbound_wamid")),
    )
    op.create_index(op.f("ix_feedback_event_id_id"), "feedback", ["event_id", "id"])
    op.create_index(op.f("ix_feedback_wa_id_id"), "feedback", ["wa_id", "id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_feedback_wa_id_id"), table_name="feedback")
    op.drop_index(op.f("ix_feedback_event_id_id"), table_name="feedback")
    op.drop_table("feedback")
