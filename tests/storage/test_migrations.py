"""Migrations: they create the schema the models describe, and are safe to re-run."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from bot.storage.engine import create_engine
from bot.storage.migrate import PROJECT_ROOT, alembic_config, current, downgrade, head, upgrade
from bot.storage.models import metadata
from bot.storage.store import Store
from tests.storage.conftest import APP_TABLES, sqlite_url


async def _inspect(url: str, func: Callable[[Connection], object]) -> object:
    engine = create_engine(url, pool="null")
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(func)
    finally:
        await engine.dispose()


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


def _env_without_database() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "STATE_DIR")}
    env["PYTHONPATH"] = str(PROJECT_ROOT)
    return env


def test_revisions_form_one_chain() -> None:
    """0001, then 0002_consent (issue 3), then later ones: one head, no branches."""
    script = ScriptDirectory.from_config(alembic_config())
    chain = [revision.revision for revision in script.walk_revisions()][::-1]
    assert chain[:2] == ["0001", "0002_consent"]
    assert chain[2:3] == ["0003_handoff"]  # hand-offs and incidents (issue 3)
    assert "0004_purchases" in chain[3:]  # ticket purchases
    assert "0005_outbox" in chain[chain.index("0004_purchases") + 1 :]  # outbox (issue 5)
    assert "0006_templates" in chain[chain.index("0005_outbox") + 1 :]  # message templates
    assert "0007_broadcasts" in chain[chain.index("0006_templates") + 1 :]  # broadcasts
    assert "0008_feedback" in chain[chain.index("0007_broadcasts") + 1 :]  # feedback
    # status webhooks keep biz_opaque_callback_data (outbox reconciliation)
    assert "0009_status_callback" in chain[chain.index("0008_feedback") + 1 :]
    assert "0010_ticket_cancelled" in chain[chain.index("0009_status_callback") + 1 :]
    assert script.get_heads() == [head()] == [chain[-1]]


async def test_upgrade_creates_every_table_and_index(fresh_db: Callable[[], str]) -> None:
    url = fresh_db()
    assert current(url) is None
    upgrade(url)  # inside a running loop: upgrade moves to a worker thread
    assert current(url) == head()

    def indexes(connection: Connection) -> dict[str, set[str]]:
        inspector = inspect(connection)
        # PostgreSQL also lists the indexes behind UNIQUE constraints; those are checked below.
        return {
            t: {ix["name"] for ix in inspector.get_indexes(t) if "duplicates_constraint" not in ix}
            for t in APP_TABLES
        }

    def uniques(connection: Connection) -> dict[str, set[tuple[str, ...]]]:
        inspector = inspect(connection)
        return {
            t: {tuple(uq["column_names"]) for uq in inspector.get_unique_constraints(t)}
            for t in APP_TABLES
        }

    assert await _inspect(url, _tables) == {*APP_TABLES, "alembic_version"}
    found = await _inspect(url, indexes)
    assert found == {
        "contacts": {"ix_contacts_phone_e164"},
        "inbound_messages": {
            "ix_inbound_messages_wa_id",
            "ix_inbound_messages_received_at",
            "ix_inbound_messages_pending",
        },
        "outbound_messages": {"ix_outbound_messages_wa_id_id", "ix_outbound_messages_status_id"},
        # callback_data: outbox reconciliation after a crash (0009_status_callback)
        "message_statuses": {
            "ix_message_statuses_received_at",
            "ix_message_statuses_callback_data",
        },
        # consent log and data-subject requests (0002_consent)
        "consent_log": {"ix_consent_log_wa_id_purpose_id"},
        "data_subject_requests": {
            "ix_data_subject_requests_wa_id_kind_status",
            "ix_data_subject_requests_status_due_at",
        },
        # hand-offs and incidents (0003_handoff); one open hand-off per wa_id is a
        # partial unique index, which inspectors list as an index, not a constraint
        "handoffs": {"uq_handoffs_open_wa_id", "ix_handoffs_requested_at"},
        "incidents": {"ix_incidents_created_at"},
        # ticket purchases (0004_purchases); one pending refund per purchase is a
        # partial unique index, listed as an index
        "purchases": {"ix_purchases_wa_id_id", "ix_purchases_state_next_attempt_at"},
        "payment_events": {"ix_payment_events_purchase_id"},
        "tickets": {"ix_tickets_purchase_id", "ix_tickets_wa_id_id"},
        "refund_requests": {
            "uq_refund_requests_pending_purchase_id",
            "ix_refund_requests_wa_id_id",
            "ix_refund_requests_status_id",
        },
        "webhook_receipts": {"ix_webhook_receipts_received_at"},
        # outbox of proactive messages (0005_outbox)
        "outbox": {
            "ix_outbox_status_priority_next_attempt_at",
            "ix_outbox_wa_id_id",
            "ix_outbox_broadcast_id_status",
        },
        # message templates and their review status (0006_templates)
        "message_templates": {"ix_message_templates_wappbiz_id"},
        # organizer broadcasts (0007_broadcasts)
        "broadcasts": {"ix_broadcasts_status_id"},
        # opinions about events (0008_feedback)
        "feedback": {"ix_feedback_event_id_id", "ix_feedback_wa_id_id"},
    }
    assert await _inspect(url, uniques) == {
        "contacts": {("wa_id",)},
        "inbound_messages": {("wamid",)},
        "outbound_messages": {("wamid",)},
        "message_statuses": {("wamid", "status")},
        # consent log and data-subject requests (0002_consent)
        "consent_log": {("inbound_wamid", "purpose")},
        "data_subject_requests": {("inbound_wamid",)},
        "handoffs": set(),
        "incidents": set(),
        # ticket purchases (0004_purchases)
        "purchases": {("reference",), ("provider", "link_id")},
        "payment_events": {("provider", "transaction_id", "status")},
        "tickets": {("attendee_public_id",)},
        "refund_requests": set(),
        "webhook_receipts": {("source", "key")},
        "outbox": {("idempotency_key",)},  # outbox (0005_outbox)
        "message_templates": {("name", "language")},  # message templates (0006_templates)
        "broadcasts": set(),  # organizer broadcasts (0007_broadcasts)
        "feedback": {("inbound_wamid",)},  # opinions about events (0008_feedback)
    }


async def test_models_match_migrations(fresh_db: Callable[[], str]) -> None:
    """Autogenerate finds nothing to do: models and migrations describe the same schema."""
    url = fresh_db()
    upgrade(url)

    def diff(connection: Connection) -> list:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, metadata)

    assert await _inspect(url, diff) == []


async def test_upgrade_twice_is_a_no_op_and_keeps_data(fresh_db: Callable[[], str]) -> None:
    url = fresh_db()
    upgrade(url)
    async with Store(url) as store:
        assert await store.record_inbound(
            wamid="wamid.keep",
            wa_id="573001234567",
            msg_type="text",
            text="hola",
            payload={},
            wa_timestamp=None,
        )
    upgrade(url)
    assert current(url) == head()
    async with Store(url) as store:
        assert (await store.get_inbound("wamid.keep")) is not None


async def test_downgrade_to_base_and_back(fresh_db: Callable[[], str]) -> None:
    url = fresh_db()
    upgrade(url)
    downgrade(url, "base")
    assert await _inspect(url, _tables) == {"alembic_version"}
    assert current(url) is None
    upgrade(url)
    assert current(url) == head()


def test_concurrent_upgrades_in_one_process(fresh_db: Callable[[], str]) -> None:
    """Alembic's module-global state must not break threads migrating at once."""
    url = fresh_db()
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def run() -> None:
        barrier.wait()
        try:
            upgrade(url)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert current(url) == head()


def test_concurrent_upgrades_from_several_processes(fresh_db: Callable[[], str]) -> None:
    """Replicas migrate at boot together: the database lock makes the losers wait, then no-op."""
    url = fresh_db()
    cmd = [sys.executable, "-m", "bot.storage.migrate", "--url", url]
    procs = [
        subprocess.Popen(
            cmd,
            cwd=PROJECT_ROOT,
            env=_env_without_database(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    outcomes = [(proc.wait(timeout=120), proc.communicate()[1]) for proc in procs]
    assert [code for code, _ in outcomes] == [0, 0, 0, 0], [err for _, err in outcomes]
    assert current(url) == head()


def test_upgrade_creates_missing_sqlite_directory(tmp_path: Path) -> None:
    path = tmp_path / "not" / "yet" / "there" / "app.db"
    assert not path.parent.exists()
    upgrade(sqlite_url(path))
    assert path.is_file()
    assert current(sqlite_url(path)) == head()


def test_upgrade_accepts_sync_url_spelling(tmp_path: Path) -> None:
    path = tmp_path / "plain.db"
    upgrade(f"sqlite:///{path}")
    assert current(sqlite_url(path)) == head()


def test_unsupported_url_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported database URL driver"):
        upgrade("mysql+aiomysql://root@localhost/app")


def test_cli_upgrades_configured_database(tmp_path: Path) -> None:
    """``python -m bot.storage.migrate`` with no URL uses settings: the SQLite file in STATE_DIR."""
    state_dir = tmp_path / "state"
    env = {**_env_without_database(), "STATE_DIR": str(state_dir)}
    cmd = [sys.executable, "-m", "bot.storage.migrate"]
    check = subprocess.run([*cmd, "--check"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert check.returncode == 1, check.stderr
    done = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert f"at {head()}" in done.stdout
    assert (state_dir / "fashionistas.db").is_file()
    check = subprocess.run([*cmd, "--check"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert check.returncode == 0, check.stderr


def test_alembic_cli_with_x_url(fresh_db: Callable[[], str]) -> None:
    """The plain Alembic CLI works from the repo root with ``-x url=...``."""
    url = fresh_db()
    result = subprocess.run(
        [sys.executable, "-m", "alembic", "-x", f"url={url}", "upgrade", "head"],
        cwd=PROJECT_ROOT,
        env=_env_without_database(),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert current(url) == head()


def test_upgrade_from_a_plain_sync_context_leaves_no_loop(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "sync.db")
    upgrade(url)
    with pytest.raises(RuntimeError):
        asyncio.get_running_loop()
