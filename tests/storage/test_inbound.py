"""Inbound messages: de-duplication on the ack path, the durable inbox, retention."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest

from bot.storage.store import INBOUND_RETENTION_MIN, Store
from bot.storage.types import from_unix_seconds

BOGOTA = timezone(timedelta(hours=-5))
WA_ID = "573001234567"


async def _record(store: Store, wamid: str, **overrides: object) -> bool:
    fields: dict = {
        "wamid": wamid,
        "wa_id": WA_ID,
        "msg_type": "text",
        "text": "hola",
        "payload": {"type": "text", "text": {"body": "hola"}},
        "wa_timestamp": from_unix_seconds("1732530000"),
    }
    fields.update(overrides)
    return await store.record_inbound(**fields)


async def test_same_wamid_is_recorded_once(store: Store) -> None:
    assert await _record(store, "wamid.A") is True
    assert await _record(store, "wamid.A", text="otra vez") is False
    record = await store.get_inbound("wamid.A")
    assert record is not None
    assert record.text == "hola"  # the re-delivery did not overwrite anything
    assert record.state == "pending"
    assert record.attempts == 0


async def test_inbound_fields_round_trip(store: Store) -> None:
    payload = {"type": "text", "text": {"body": "¿Dónde compro la boleta? ñandú"}}
    assert await _record(store, "wamid.R", text=payload["text"]["body"], payload=payload)
    record = await store.get_inbound("wamid.R")
    assert record is not None
    assert record.payload == payload
    assert record.wa_id == WA_ID
    assert record.msg_type == "text"
    assert record.wa_timestamp == datetime(2024, 11, 25, 10, 20, tzinfo=timezone.utc)
    assert record.wa_timestamp.tzinfo is not None
    assert record.received_at.utcoffset() == timedelta(0)
    assert record.processed_at is None
    assert record.error is None


async def test_fifty_concurrent_deliveries_record_exactly_one(store: Store) -> None:
    results = await asyncio.gather(*(_record(store, "wamid.race") for _ in range(50)))
    assert results.count(True) == 1
    assert results.count(False) == 49


async def test_concurrent_deliveries_across_two_processes_record_one(
    store: Store, db_url: str
) -> None:
    """Two stores (think two rasa replicas) share the database, not memory."""
    async with Store(db_url) as other:
        calls = [_record(s, "wamid.replicas") for _ in range(25) for s in (store, other)]
        results = await asyncio.gather(*calls)
    assert results.count(True) == 1


async def test_non_utc_timestamps_are_stored_as_utc(store: Store) -> None:
    local = datetime(2024, 12, 24, 19, 30, tzinfo=BOGOTA)  # Nochebuena in Medellín
    assert await _record(store, "wamid.tz", wa_timestamp=local)
    record = await store.get_inbound("wamid.tz")
    assert record is not None
    assert record.wa_timestamp == datetime(2024, 12, 25, 0, 30, tzinfo=timezone.utc)
    assert record.wa_timestamp.utcoffset() == timedelta(0)


async def test_naive_timestamp_is_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        await _record(store, "wamid.naive", wa_timestamp=datetime(2024, 1, 1, 12, 0))
    assert await store.get_inbound("wamid.naive") is None


async def test_invalid_wa_id_is_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="wa_id"):
        await _record(store, "wamid.bad", wa_id="not-a-number")


async def test_pending_then_mark_lifecycle(store: Store) -> None:
    for wamid in ("wamid.1", "wamid.2", "wamid.3"):
        assert await _record(store, wamid)
    pending = await store.pending_inbound()
    assert [r.wamid for r in pending] == ["wamid.1", "wamid.2", "wamid.3"]  # oldest first
    assert [r.wamid for r in await store.pending_inbound(limit=2)] == ["wamid.1", "wamid.2"]

    await store.mark_inbound("wamid.1", "done")
    await store.mark_inbound("wamid.2", "pending", error="rasa timeout")  # retry later
    await store.mark_inbound("wamid.3", "skipped")

    done = await store.get_inbound("wamid.1")
    assert done is not None
    assert (done.state, done.attempts, done.error) == ("done", 1, None)
    assert done.processed_at is not None and done.processed_at >= done.received_at

    retry = await store.get_inbound("wamid.2")
    assert retry is not None
    assert (retry.state, retry.attempts, retry.error) == ("pending", 1, "rasa timeout")
    assert retry.processed_at is None
    assert [r.wamid for r in await store.pending_inbound()] == ["wamid.2"]

    await store.mark_inbound("wamid.2", "failed", error="rasa down")
    failed = await store.get_inbound("wamid.2")
    assert failed is not None
    assert (failed.state, failed.attempts, failed.error) == ("failed", 2, "rasa down")
    assert failed.processed_at is not None
    skipped = await store.get_inbound("wamid.3")
    assert skipped is not None and skipped.processed_at is not None
    assert await store.pending_inbound() == []


async def test_mark_unknown_or_invalid(store: Store) -> None:
    with pytest.raises(LookupError):
        await store.mark_inbound("wamid.never", "done")
    await _record(store, "wamid.x")
    with pytest.raises(ValueError, match="inbound state"):
        await store.mark_inbound("wamid.x", "finished")


async def test_purge_keeps_seven_days_and_pending_rows(store: Store, db_url: str) -> None:
    now = datetime.now(timezone.utc)
    async with Store(db_url, clock=lambda: now - timedelta(days=8)) as past:
        await _record(past, "wamid.old-done")
        await _record(past, "wamid.old-pending")
        await past.mark_inbound("wamid.old-done", "done")
    async with Store(db_url, clock=lambda: now - timedelta(days=6)) as recent:
        await _record(recent, "wamid.recent-done")
        await recent.mark_inbound("wamid.recent-done", "done")

    with pytest.raises(ValueError, match="7 days"):
        await store.purge_inbound(timedelta(days=6, hours=23))

    assert await store.purge_inbound(INBOUND_RETENTION_MIN) == 1
    assert await store.get_inbound("wamid.old-done") is None
    assert await store.get_inbound("wamid.old-pending") is not None  # undelivered work stays
    assert await store.get_inbound("wamid.recent-done") is not None
    assert await store.purge_inbound(timedelta(days=7)) == 0
    # Once forgotten, the id counts as new again: that is why retention is >= 7 days.
    assert await _record(store, "wamid.old-done") is True


async def test_store_lifecycle_errors(db_url: str) -> None:
    store = Store(db_url)
    assert store.dialect_name in ("sqlite", "postgresql")
    assert "password" not in repr(store)
    with pytest.raises(RuntimeError, match="start"):
        await store.pending_inbound()
    await store.start()
    await store.start()  # idempotent
    assert await store.pending_inbound() == []
    await store.close()
    await store.close()  # idempotent
    with pytest.raises(RuntimeError, match="start"):
        await store.pending_inbound()


def test_unsupported_url_fails_at_construction() -> None:
    with pytest.raises(ValueError, match="unsupported"):
        Store("mysql://root@localhost/app")
    with pytest.raises(ValueError, match="in-memory"):
        Store("sqlite+aiosqlite://")


def test_from_settings_uses_resolved_url(tmp_path) -> None:
    class FakeSettings:
        resolved_database_url = f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"

    assert Store.from_settings(FakeSettings()).dialect_name == "sqlite"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1732530000", datetime(2024, 11, 25, 10, 20, tzinfo=timezone.utc)),
        (1732530000, datetime(2024, 11, 25, 10, 20, tzinfo=timezone.utc)),
        (None, None),
        ("", None),
    ],
)
def test_from_unix_seconds(raw: object, expected: datetime | None) -> None:
    assert from_unix_seconds(raw) == expected  # type: ignore[arg-type]


def test_from_unix_seconds_rejects_garbage() -> None:
    with pytest.raises(ValueError, match="unix timestamp"):
        from_unix_seconds("yesterday")
