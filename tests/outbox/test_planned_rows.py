"""Store additions for the Hi.Events triggers (issue 5), on SQLite and PostgreSQL:
cancelling planned rows by key and prefix, reviving a plan, cancelled tickets, and
finding an earlier buyer by e-mail."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timezone

import pytest

from bot.storage.store import Store

WA = "573001112233"
TEXT = {"type": "text", "text": {"body": "Recordatorio"}}
SHOW = datetime(2026, 12, 12, 1, 0, tzinfo=timezone.utc)


@pytest.fixture
async def planned(db_url: str) -> AsyncIterator[Store]:
    async with Store(db_url) as started:
        yield started


async def _status(store: Store, key: str) -> str:
    row = await store.outbox_by_key(key)
    assert row is not None
    return row.status


async def test_planned_rows_are_cancelled_by_key_and_prefix_but_kept_ones_stay(
    planned: Store,
) -> None:
    keys = [
        "reminder:7d:FN-A_1",
        "reminder:7d:FN-A_1:2026-12-12T01:00:00Z",
        "reminder:7d:FN-A_1:2026-12-13T01:00:00Z",
        "reminder:7d:FN-AX1:2026-12-12T01:00:00Z",  # '_' is not a wildcard
        "feedback:FN-A_1",
    ]
    for key in keys:
        await planned.enqueue(idempotency_key=key, wa_id=WA, payload=TEXT, not_before=SHOW)
    done = await planned.cancel_queued_keys(
        ["reminder:7d:FN-A_1", "feedback:FN-A_1"],
        prefixes=["reminder:7d:FN-A_1:"],
        keep=["reminder:7d:FN-A_1:2026-12-13T01:00:00Z"],
    )
    assert done == 3
    assert [await _status(planned, k) for k in keys] == [
        "cancelled",
        "cancelled",
        "queued",
        "queued",
        "cancelled",
    ]
    assert await planned.cancel_queued_keys([], prefixes=[]) == 0
    assert await planned.requeue_cancelled(["reminder:7d:FN-A_1:2026-12-12T01:00:00Z"]) == 1
    assert await _status(planned, "reminder:7d:FN-A_1:2026-12-12T01:00:00Z") == "queued"


async def test_cancelled_tickets_and_buyers_by_email(planned: Store) -> None:
    purchase = await planned.create_purchase(
        reference="FN-MAIL0001",
        wa_id=WA,
        language="en",
        event_id=1,
        event_title="Medellín Fashion Night",
        event_starts_at=SHOW,
        product_id=1,
        price_id=101,
        ticket_type="VIP",
        quantity=1,
        unit_price_cop=150000,
        total_cop=150000,
        buyer_name="Ana Gómez",
        buyer_email="Ana.Gomez@Example.com",
    )
    for public_id in ("A-AAAA001", "A-BBBB002"):
        await planned.add_ticket(
            purchase_id=purchase.id,
            attendee_public_id=public_id,
            attendee_id=None,
            holder_name="Ana Gómez",
            ticket_type="VIP",
            wa_id=WA,
        )
    assert await planned.cancel_ticket("A-AAAA001") is True
    assert await planned.cancel_ticket("A-AAAA001") is False
    assert await planned.cancel_ticket("A-UNKNOWN") is False  # not one of ours
    assert await planned.cancelled_tickets(["A-AAAA001", "A-BBBB002"]) == {"A-AAAA001"}
    assert await planned.cancelled_tickets([]) == set()
    by_id = {t.attendee_public_id: t for t in await planned.tickets_for_purchase(purchase.id)}
    assert by_id["A-AAAA001"].cancelled_at is not None and by_id["A-BBBB002"].cancelled_at is None
    found = await planned.purchase_by_email(" ana.gomez@example.com ")
    assert found is not None and found.id == purchase.id and found.language == "en"
    assert await planned.purchase_by_email("other@example.com") is None
    later = datetime(2026, 12, 13, 1, 0, tzinfo=timezone.utc)
    moved = await planned.set_event_start(purchase.id, later)
    assert moved is not None and moved.event_starts_at == later
    assert [p.id for p in await planned.purchases_of_event(1, states=("awaiting_payment",))] == [
        purchase.id
    ]
