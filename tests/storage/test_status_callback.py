"""Status webhooks keep ``biz_opaque_callback_data``; ``accepted_wamid`` finds a send by key.

The outbox worker's reconciliation after a crash rests on these two: every outbox send
carries its idempotency key as callback data, WhatsApp echoes it in each status, and a
restarted worker asks whether a send it has no record of was accepted. SQLite and
PostgreSQL (the ``store`` fixture runs each test on both).
"""

from __future__ import annotations

from sqlalchemy import select

from bot.storage.models import MessageStatus
from bot.storage.store import Store
from bot.storage.types import from_unix_seconds

WA_ID = "573001234567"
KEY = "bcast:42:573001234567"


async def _status(store: Store, wamid: str, status: str, callback_data: str | None) -> bool:
    return await store.record_status(
        wamid=wamid,
        status=status,
        recipient_id=WA_ID,
        wa_timestamp=from_unix_seconds("1732530000"),
        callback_data=callback_data,
    )


async def _callback_column(store: Store) -> dict[tuple[str, str], str | None]:
    table = MessageStatus.__table__
    async with store._read() as session:
        rows = (
            await session.execute(select(table.c.wamid, table.c.status, table.c.callback_data))
        ).all()
    return {(row.wamid, row.status): row.callback_data for row in rows}


async def test_statuses_record_their_callback_data(store: Store) -> None:
    assert await _status(store, "wamid.a", "sent", KEY)
    assert await _status(store, "wamid.a", "delivered", KEY)
    assert await _status(store, "wamid.b", "sent", None)  # a send without callback data
    # the existing callers (no callback_data argument) keep working
    assert await store.record_status(
        wamid="wamid.c", status="read", recipient_id=WA_ID, wa_timestamp=None
    )
    assert await _callback_column(store) == {
        ("wamid.a", "sent"): KEY,
        ("wamid.a", "delivered"): KEY,
        ("wamid.b", "sent"): None,
        ("wamid.c", "read"): None,
    }


async def test_record_batch_records_callback_data(store: Store) -> None:
    item = {"wamid": "wamid.d", "status": "sent", "recipient_id": WA_ID, "wa_timestamp": None}
    assert await store.record_batch([], [{**item, "callback_data": KEY}, {**item}]) == []
    assert await store.accepted_wamid(KEY) == "wamid.d"


async def test_accepted_wamid_finds_any_status_but_failed(store: Store) -> None:
    assert await store.accepted_wamid(KEY) is None  # nothing arrived yet
    assert await _status(store, "wamid.refused", "failed", KEY)
    assert await store.accepted_wamid(KEY) is None  # a failed send was not accepted

    # Statuses arrive unordered: a ``delivered`` before its ``sent`` already tells.
    assert await _status(store, "wamid.ok", "delivered", KEY)
    assert await store.accepted_wamid(KEY) == "wamid.ok"
    assert await _status(store, "wamid.ok", "sent", KEY)
    assert await store.accepted_wamid(KEY) == "wamid.ok"

    assert await store.accepted_wamid("bcast:42:other") is None  # keys do not mix
    assert await store.accepted_wamid("") is None


async def test_a_long_callback_data_is_cut_to_the_column(store: Store) -> None:
    """Not one of our keys (they are at most 200 characters), but it must not fail the row."""
    long = "x" * 600
    assert await _status(store, "wamid.long", "sent", long)
    assert await _callback_column(store) == {("wamid.long", "sent"): "x" * 512}
