"""Consent log and data-subject requests: consent_log, data_subject_requests.

Revision ID: 0002_consent
Revises: 0001
Create Date: 2026-11-25

Self-contained on purpose (no imports from ``bot``), like 0001. ``consent_log`` is the
accountability record of Ley 1581 (D.1377 arts. 26–27): append-only, so triggers on
both databases refuse UPDATE and DELETE (a revocation is a new row). ``TRUNCATE`` on
PostgreSQL fires no row triggers; dropping the table (downgrade) removes them.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_consent"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
APPEND_ONLY_MESSAGE = "consent_log is append-only: record a new decision instead"


def _ts() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "consent_log",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("wa_id", sa.String(length=20), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("policy_version", sa.String(length=32), nullable=False),
        sa.Column("policy_hash", sa.String(length=64), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=True),
        sa.Column("inbound_wamid", sa.String(length=255), nullable=True),
        sa.Column("created_at", _ts(), nullable=False),
        sa.CheckConstraint(
            "purpose IN ('transactional', 'marketing', 'casting')",
            name=op.f("ck_consent_log_purpose"),
        ),
        sa.CheckConstraint(
            "source IN ('button', 'text', 'keyword')", name=op.f("ck_consent_log_source")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_log")),
        sa.UniqueConstraint(
            "inbound_wamid", "purpose", name=op.f("uq_consent_log_inbound_wamid_purpose")
        ),
    )
    op.create_index(
        op.f("ix_consent_log_wa_id_purpose_id"), "consent_log", ["wa_id", "purpose", "id"]
    )

    op.create_table(
        "data_subject_requests",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("wa_id", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("received_at", _ts(), nullable=False),
        sa.Column("due_at", _ts(), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="received", nullable=False),
        sa.Column("inbound_wamid", sa.String(length=255), nullable=True),
        sa.Column("updated_at", _ts(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('erasure', 'access', 'rectification')",
            name=op.f("ck_data_subject_requests_kind"),
        ),
        sa.CheckConstraint(
            "status IN ('received', 'in_progress', 'completed', 'rejected')",
            name=op.f("ck_data_subject_requests_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_subject_requests")),
        sa.UniqueConstraint("inbound_wamid", name=op.f("uq_data_subject_requests_inbound_wamid")),
    )
    op.create_index(
        op.f("ix_data_subject_requests_wa_id_kind_status"),
        "data_subject_requests",
        ["wa_id", "kind", "status"],
    )
    op.create_index(
        op.f("ix_data_subject_requests_status_due_at"),
        "data_subject_requests",
        ["status", "due_at"],
    )
    _create_append_only_guard()


def _create_append_only_guard() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION consent_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN RAISE EXCEPTION '{APPEND_ONLY_MESSAGE}'; END $$"
        )
        op.execute(
            "CREATE TRIGGER consent_log_append_only BEFORE UPDATE OR DELETE ON consent_log "
            "FOR EACH ROW EXECUTE PROCEDURE consent_log_append_only()"
        )
        return
    for verb in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER consent_log_no_{verb.lower()} BEFORE {verb} ON consent_log "
            f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END"
        )


def downgrade() -> None:
    # Dropping a table drops its indexes, constraints and triggers with it.
    op.drop_table("data_subject_requests")
    op.drop_table("consent_log")
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS consent_log_append_only()")
