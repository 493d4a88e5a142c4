"""Broadcasts at the store level (SQLite and PostgreSQL): audience, Ley 2300 slots, cancel.

The clock is the ``now`` every service function takes: "Friday 21:00 in Bogotá" is an
argument, not a patched global.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.broadcasts import cancel_marketing_for, service, still_allowed
from bot.storage.store import Store
from tests.broadcasts.support import add_holder, approve, bogota, consent

EVENT = 9001
OTHER_EVENT = 9002
ES_OK = "573150000001"  # holder, es, marketing granted
EN_OK = "573150000002"  # holder, en, marketing granted
STOPPED = "573150000003"  # holder, granted then STOP
SILENT = "573150000004"  # holder, never decided
ELSEWHERE = "573150000005"  # granted, holds a ticket of another event only
VIP = "573150000006"  # holder of a VIP ticket, granted

OFFER = {
    "discount": "20 %",
    "event": "Pasarela Otoño 2026",
    "code": "FASHION20",
    "event_slug": "pasarela-otono-2026",
    "es": {"until": "domingo 8 de marzo"},
    "en": {"until": "Sunday, March 8"},
}
FRIDAY_NIGHT = bogota(2027, 3, 5, 21, 0)
SATURDAY_8 = bogota(2027, 3, 6, 8, 0)


async def _seed(store: Store) -> None:
    await add_holder(store, ES_OK, EVENT, holder_name="Laura Gómez")
    await add_holder(store, EN_OK, EVENT, language="en", holder_name="Ann Lee")
    await add_holder(store, STOPPED, EVENT)
    await add_holder(store, SILENT, EVENT)
    await add_holder(store, ELSEWHERE, OTHER_EVENT)
    await add_holder(store, VIP, EVENT, ticket_type="VIP", holder_name="Valeria")
    for wa_id in (ES_OK, EN_OK, STOPPED, ELSEWHERE, VIP):
        await consent(store, wa_id, ("transactional", "marketing"), True)
    await consent(store, STOPPED, ("marketing", "casting"), False)
    await approve(store, "special_offer")


async def _offer(store: Store, **overrides: Any) -> Any:
    data: dict[str, Any] = {
        "name": "Descuento socios",
        "template": "special_offer",
        "variables": OFFER,
        "segment": {"event_id": EVENT},
        "created_by": "laura",
        **overrides,
    }
    return await service.create(store, **data)


async def test_create_refuses_what_could_never_go(store: Store) -> None:
    with pytest.raises(service.BroadcastError, match="no 'nope'"):
        await _offer(store, template="nope")
    with pytest.raises(service.BroadcastError, match="MARKETING"):
        await _offer(store, purpose="utility")
    with pytest.raises(service.BroadcastError, match="missing code"):
        await _offer(store, variables={k: v for k, v in OFFER.items() if k != "code"})
    with pytest.raises(service.BroadcastError, match=r"segment\.role"):
        await _offer(store, segment={"role": "boss"})
    with pytest.raises(service.BroadcastError, match="unknown segment"):
        await _offer(store, segment={"city": "Medellín"})
    record = await _offer(store)
    assert record.status == "draft" and record.purpose == "marketing"
    assert record.segment == {"event_id": EVENT}


async def test_dry_run_counts_honour_consent_and_opt_out(store: Store) -> None:
    await _seed(store)
    record = await _offer(store)
    answer = await service.dry_run(store, record.id, now=FRIDAY_NIGHT)
    assert answer["candidates"] == 5  # the event's holders; ELSEWHERE is not one
    assert answer["recipients"] == 3
    assert answer["by_language"] == {"es": 2, "en": 1}
    assert answer["excluded"] == {"opted_out": 1, "no_marketing_consent": 1}
    assert answer["excluded_total"] == 2
    assert answer["first_slot"] == "2027-03-06T13:00:00+00:00"  # Saturday 08:00 Bogotá
    assert answer["sendable"] is True
    vip = await _offer(store, segment={"ticket_type": "VIP"})
    assert (await service.dry_run(store, vip.id, now=FRIDAY_NIGHT))["recipients"] == 1
    english = await _offer(store, segment={"event_id": EVENT, "language": "en"})
    assert (await service.dry_run(store, english.id, now=FRIDAY_NIGHT))["by_language"] == {"en": 1}


async def test_friday_night_send_waits_for_saturday_8(store: Store) -> None:
    await _seed(store)
    record = await _offer(store)
    answer = await service.send(store, record.id, now=FRIDAY_NIGHT)
    assert answer["status"] == "scheduled" and answer["queued"] == 3
    rows = await store.list_outbox(broadcast_id=record.id)
    assert {r.wa_id for r in rows} == {ES_OK, EN_OK, VIP}
    for row in rows:
        assert row.next_attempt_at == SATURDAY_8
        assert row.kind == "template" and row.purpose == "marketing" and row.priority == 3
    by_wa = {r.wa_id: r for r in rows}
    assert by_wa[EN_OK].payload["language"] == {"code": "en"}
    body = next(c for c in by_wa[ES_OK].payload["components"] if c["type"] == "body")
    assert body["parameters"][0] == {"type": "text", "text": "Laura"}  # personal name
    with pytest.raises(service.Conflict, match="only a draft"):
        await service.send(store, record.id, now=FRIDAY_NIGHT)


async def test_saturday_10_schedule_is_honoured_and_one_a_day(store: Store) -> None:
    await _seed(store)
    first = await _offer(store, scheduled_for=bogota(2027, 3, 6, 10, 0))
    await service.send(store, first.id, now=FRIDAY_NIGHT)
    rows = await store.list_outbox(broadcast_id=first.id)
    assert {r.next_attempt_at for r in rows} == {bogota(2027, 3, 6, 10, 0)}
    # a second promotion the same Saturday: one a day, so Monday 07:00 (Sunday: none)
    second = await _offer(store, name="Otra", scheduled_for=bogota(2027, 3, 6, 11, 0))
    dry = await service.dry_run(store, second.id, now=FRIDAY_NIGHT)
    assert dry["delayed_by_daily_cap"] == 3
    await service.send(store, second.id, now=FRIDAY_NIGHT)
    later = await store.list_outbox(broadcast_id=second.id)
    assert {r.next_attempt_at for r in later} == {bogota(2027, 3, 8, 7, 0)}
    # a schedule inside the hours on a weekday is kept as is
    third = await _offer(store, name="Martes", scheduled_for=bogota(2027, 3, 9, 18, 30))
    await service.send(store, third.id, now=FRIDAY_NIGHT)
    rows = await store.list_outbox(broadcast_id=third.id)
    assert {r.next_attempt_at for r in rows} == {bogota(2027, 3, 9, 18, 30)}


async def test_unapproved_template_is_refused_with_a_conflict(store: Store) -> None:
    await _seed(store)
    await approve(store, "special_offer", status="PENDING", languages=("en",))
    record = await _offer(store)
    dry = await service.dry_run(store, record.id, now=FRIDAY_NIGHT)
    assert dry["excluded"]["template_not_approved"] == 1 and dry["sendable"] is False
    assert "en" in dry["templates_not_approved"]
    with pytest.raises(service.Conflict, match=r"special_offer \[en\] is PENDING"):
        await service.send(store, record.id, now=FRIDAY_NIGHT)
    assert await store.list_outbox(broadcast_id=record.id) == []
    assert (await store.get_broadcast(record.id)).status == "draft"
    # Spanish speakers only: the English template does not matter
    spanish = await _offer(store, segment={"event_id": EVENT, "language": "es"})
    assert (await service.send(store, spanish.id, now=FRIDAY_NIGHT))["queued"] == 2


async def test_cancel_stops_queued_rows_and_progress_counts(store: Store) -> None:
    await _seed(store)
    record = await _offer(store)
    await service.send(store, record.id, now=FRIDAY_NIGHT)
    rows = await store.list_outbox(broadcast_id=record.id)
    # pretend the worker sent one and WhatsApp reported it delivered and read
    claimed = await store.claim("test-worker", limit=1, lease_s=30)
    assert claimed == []  # not due before Saturday 08:00 (the real clock is earlier)
    sent = rows[0]
    async with store.transaction() as session:
        from sqlalchemy import update

        from bot.storage.models import OutboxMessage

        table = OutboxMessage.__table__
        await session.execute(
            update(table)
            .where(table.c.id == sent.id)
            .values(status="sent", wamid="wamid.B1", sent_at=SATURDAY_8)
        )
    for status in ("sent", "delivered", "read"):
        await store.record_status(
            wamid="wamid.B1", status=status, recipient_id=sent.wa_id, wa_timestamp=None
        )
    progress = await service.progress(store, record.id, now=SATURDAY_8)
    assert progress["status"] == "sending"
    assert progress["total"] == 3
    assert progress["progress"] == {
        "queued": 2,
        "sending": 0,
        "sent": 1,
        "delivered": 1,
        "read": 1,
        "failed": 0,
        "dead": 0,
        "cancelled": 0,
    }
    answer = await service.cancel(store, record.id, now=SATURDAY_8)
    assert answer == {"broadcast_id": record.id, "status": "cancelled", "cancelled_rows": 2}
    progress = await service.progress(store, record.id, now=SATURDAY_8)
    assert progress["status"] == "cancelled"
    assert progress["progress"]["cancelled"] == 2 and progress["progress"]["sent"] == 1
    with pytest.raises(service.Conflict):
        await service.cancel(store, record.id, now=SATURDAY_8)


async def test_preview_renders_every_language_for_a_sample(store: Store) -> None:
    await _seed(store)
    record = await _offer(store)
    answer = await service.preview(store, record.id, now=FRIDAY_NIGHT)
    assert answer["sample"]["wa_id"] == ES_OK
    assert "Hola, Laura" in answer["languages"]["es"]["text"]
    assert "domingo 8 de marzo" in answer["languages"]["es"]["text"]
    assert "Sunday, March 8" in answer["languages"]["en"]["text"]
    english = await service.preview(store, record.id, now=FRIDAY_NIGHT, wa_id=EN_OK)
    assert english["sample"] == {"wa_id": EN_OK, "language": "en", "name": "Ann Lee"}
    with pytest.raises(service.NotFound):
        await service.preview(store, record.id, now=FRIDAY_NIGHT, wa_id=ELSEWHERE)


async def test_utility_broadcast_reaches_holders_even_after_stop(store: Store) -> None:
    await _seed(store)
    await approve(store, "schedule_update")
    await store.set_role("573150000099", "staff")  # no ticket, no consent, no chat
    record = await service.create(
        store,
        name="Cambio de hora",
        template="schedule_update",
        variables={
            "event": "Pasarela Otoño 2026",
            "new_date_time": "sábado 6 de marzo, 8:30 p. m.",
            "venue": "Plaza Mayor, Medellín",
            "details": "Empezamos 30 minutos más tarde.",
        },
        segment={"event_id": EVENT},
        created_by="laura",
    )
    assert record.purpose == "utility"
    answer = await service.send(store, record.id, now=FRIDAY_NIGHT)
    assert answer["status"] == "sending" and answer["queued"] == 5  # STOPPED included
    rows = await store.list_outbox(broadcast_id=record.id)
    assert {r.purpose for r in rows} == {"transactional"} and {r.priority for r in rows} == {2}
    assert {r.next_attempt_at for r in rows} == {FRIDAY_NIGHT}  # not advertising: no hours
    staff = await service.create(
        store,
        name="Staff",
        template="schedule_update",
        variables=record.variables,
        segment={"role": "staff"},
        created_by="laura",
    )
    dry = await service.dry_run(store, staff.id, now=FRIDAY_NIGHT)
    assert dry["excluded"] == {"no_transactional_relationship": 1}


async def test_stop_takes_effect_before_the_next_message(store: Store) -> None:
    await _seed(store)
    record = await _offer(store)
    await service.send(store, record.id, now=FRIDAY_NIGHT)
    await store.enqueue(
        idempotency_key="ticket:keep",
        wa_id=ES_OK,
        payload={"type": "text", "text": {"body": "Tu entrada"}},
    )
    row = await store.outbox_by_key(service.idempotency_key(record.id, ES_OK))
    assert await still_allowed(store, row)
    await consent(store, ES_OK, ("marketing", "casting"), False)  # STOP
    assert not await still_allowed(store, row)
    assert await still_allowed(store, await store.outbox_by_key("ticket:keep"))
    assert await cancel_marketing_for(store, ES_OK) == 1
    assert (await store.outbox_by_key(row.idempotency_key)).status == "cancelled"
    assert (await store.outbox_by_key("ticket:keep")).status == "queued"
    assert await cancel_marketing_for(store, ES_OK, ("transactional",)) == 0
