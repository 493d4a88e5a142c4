"""Tickets: ``cancelled_at``, set when Hi.Events cancels the attendee (attendee.cancelled).

Revision ID: 0010_ticket_cancelled
Revises: 0009_status_callback
Create Date: 2026-11-25

Self-contained on purpose (no imports from ``bot``), like 0001.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_ticket_cancelled"
down_revision: str | Sequence[str] | None = "0009_status_callback"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("tickets", sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("cancelled_at")
