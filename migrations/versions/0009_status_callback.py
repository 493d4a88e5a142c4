"""Status webhooks keep ``biz_opaque_callback_data`` (``message_statuses.callback_data``).

Revision ID: 0009_status_callback
Revises: 0008_feedback
Create Date: 2026-11-27

Every outbox send carries its row's idempotency key as ``biz_opaque_callback_data`` and
WhatsApp echoes it in the status webhooks. Recorded and indexed, it lets a delivery
worker restarted after a crash look up whether a send it has no record of was accepted
(and under which wamid) instead of sending it again.

Self-contained on purpose (no imports from ``bot``), like 0001: the migration must keep
producing the same schema after the models move on.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_status_callback"
down_revision: str | Sequence[str] | None = "0008_feedback"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A nullable column without a default: a metadata-only change on PostgreSQL (no
    # table rewrite), a plain ALTER TABLE .. ADD COLUMN on SQLite.
    op.add_column(
        "message_statuses", sa.Column("callback_data", sa.String(length=512), nullable=True)
    )
    op.create_index(
        op.f("ix_message_statuses_callback_data"), "message_statuses", ["callback_data"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_message_statuses_callback_data"), table_name="message_statuses")
    # Batch mode: SQLite rebuilds the table where it cannot drop the column in place.
    with op.batch_alter_table("message_statuses") as batch:
        batch.drop_column("callback_data")
