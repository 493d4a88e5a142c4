"""A show moves in Hi.Events (``event.updated``): reminders are re-planned for the new
time and every holder is told once, over real HTTP (emulator → action server → SQLite).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from bot.calendar import BOGOTA
from bot.storage.purchases import PurchaseRecord
from bot.ticketing.catalog import Event
from bot.ticketing.lifecycle import REMINDERS
from bot.ticketing.replan import iso_stamp
from bot.ticketing.schedule_changes import schedule_update_row
from tests.support.ticketing import TicketingHarness, running_ticketing
from tests.ticketing.test_hi_events_triggers import (
    buy_and_pay,
    delivered,
    hi_api,
    outbox,
    post_webhook,
    queued_reminders,
    webhook_logs,
)

SHOW = datetime(2026, 12, 11, 20, 0, tzinfo=BOGOTA)


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TicketingHarness]:
    with running_ticketing(tmp_path_factory.mktemp("schedule")) as h:
        yield h


def _purchase(lang: str) -> PurchaseRecord:
    blank = {f.name: None for f in dataclasses.fields(PurchaseRecord)}
    values = {"id": 1, "reference": "FN-TEST00001", "wa_id": "573001112233", "language": lang}
    values |= {"event_id": 1, "event_title": "Medellín Fashion Night", "buyer_name": "Ana Gómez"}
    return PurchaseRecord(**{**blank, **values, "event_starts_at": SHOW, "state": "fulfilled"})


def _event(starts: datetime) -> Event:
    return Event(
        id=1,
        title="Medellín Fashion Night",
        starts_at=starts,
        ends_at=starts + timedelta(hours=4),
        venue="Plaza Mayor",
        address=None,
        city="Medellín",
        maps_url=None,
        latitude=None,
        longitude=None,
        dress_code={},
        programme={},
        doors_open=None,
        description_text="",
        ticket_types=[],
        check_in_list_short_id=None,
    )


@pytest.mark.parametrize(
    ("lang", "words", "code"), [("es", "Antes estaba", "es_CO"), ("en", "It was", "en")]
)
def test_schedule_update_row_is_transactional_with_the_template_behind(
    lang: str, words: str, code: str
) -> None:
    moved = SHOW + timedelta(minutes=30)
    row = schedule_update_row(_purchase(lang), _event(moved), SHOW, SHOW - timedelta(days=10))
    assert row["idempotency_key"] == "schedule:1:2026-12-12T01:30:00Z:573001112233"
    assert (row["purpose"], row["priority"], row["kind"]) == ("transactional", 1, "message")
    text = row["payload"]["text"]["body"]
    assert "Medellín Fashion Night" in text and "Plaza Mayor" in text and words in text
    assert "8:30" in text and "Ana" in text
    fallback = row["template_fallback"]
    assert fallback["name"] == "schedule_update" and fallback["language"]["code"] == code


def _reschedule(h: TicketingHarness, event_id: int, starts_utc: datetime) -> dict[str, Any]:
    local = starts_utc.astimezone(BOGOTA).strftime("%Y-%m-%d %H:%M:%S")
    response = httpx.post(
        f"{h.sandbox_url}/hi-events/_sandbox/events/{event_id}/reschedule",
        json={"start_date": local},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return response.json()["data"]


def _schedule_rows(h: TicketingHarness, wa_id: str) -> list[str]:
    return sorted(k for k in outbox(h, wa_id) if k.startswith("schedule:"))


def test_a_moved_show_replans_reminders_and_tells_each_holder_once(
    harness: TicketingHarness,
) -> None:
    h = harness
    store = h.ticketing.store
    first = buy_and_pay(h, quantity=1)
    # the same person buys again: two purchases, one holder, one message
    second = buy_and_pay(h, quantity=1, wa_id=first.wa_id)
    other = buy_and_pay(h, quantity=2)
    old_start = first.event_starts_at
    old_keys = {p.reference: queued_reminders(h, p.wa_id, p.reference) for p in (first, other)}
    assert all(old_keys.values())

    new_start = old_start + timedelta(days=1, minutes=30)
    updated = len([e for e in webhook_logs(h) if e["event_type"] == "event.updated"])
    event = _reschedule(h, first.event_id, new_start)
    assert event["start_date"].startswith(iso_stamp(new_start)[:19])
    delivered(h, "event.updated", updated + 1)

    stamp = iso_stamp(new_start)
    for purchase in (first, second, other):
        now = h.run(store.get_purchase(purchase.id))
        assert now.event_starts_at == new_start
        rows = outbox(h, purchase.wa_id)
        for key in old_keys.get(purchase.reference, []):
            assert rows[key].status == "cancelled"
        planned = queued_reminders(h, purchase.wa_id, purchase.reference)
        assert planned and all(key.endswith(f":{stamp}") for key in planned)
        for label, before, _template in REMINDERS:
            row = rows.get(f"reminder:{label}:{purchase.reference}:{stamp}")
            if row is not None:
                assert row.next_attempt_at == new_start - before
    schedule_key = f"schedule:{first.event_id}:{stamp}"
    assert _schedule_rows(h, first.wa_id) == [f"{schedule_key}:{first.wa_id}"]
    assert _schedule_rows(h, other.wa_id) == [f"{schedule_key}:{other.wa_id}"]
    message = outbox(h, other.wa_id)[f"{schedule_key}:{other.wa_id}"]
    assert message.template_fallback["name"] == "schedule_update"
    assert message.priority == 1 and message.purpose == "transactional"

    # redelivered: refused as a duplicate; a copy sent later: same keys, nothing new
    log = [e for e in webhook_logs(h) if e["event_type"] == "event.updated"][-1]
    before = {k: r.status for k, r in outbox(h, other.wa_id).items()}
    assert post_webhook(h, log["payload"].encode()).json()["outcome"] == "duplicate"
    body = json.loads(log["payload"])
    body["event_sent_at"] = "2030-01-01T00:00:00+00:00"
    assert post_webhook(h, json.dumps(body).encode()).json()["outcome"] == "replanning"
    h.run(h.ticketing.drain())
    assert {k: r.status for k, r in outbox(h, other.wa_id).items()} == before

    # an edit that does not move the show tells nobody anything
    _reschedule(h, first.event_id, new_start)
    delivered(h, "event.updated", updated + 2)
    assert {k: r.status for k, r in outbox(h, other.wa_id).items()} == before

    # moved back: a new plan for the old time, the holder is told again
    _reschedule(h, first.event_id, old_start)
    delivered(h, "event.updated", updated + 3)
    back = iso_stamp(old_start)
    planned = queued_reminders(h, other.wa_id, other.reference)
    assert planned and all(key.endswith(f":{back}") for key in planned)
    assert len(_schedule_rows(h, other.wa_id)) == 2
    assert h.run(store.get_purchase(other.id)).event_starts_at == old_start.astimezone(timezone.utc)


def test_buyers_confirmed_from_the_box_office_hear_of_the_move_too(
    harness: TicketingHarness,
) -> None:
    h = harness
    earlier = buy_and_pay(h, quantity=1, email="taquilla@example.com")
    created = len([e for e in webhook_logs(h) if e["event_type"] == "order.created"])
    with hi_api(h) as api:
        response = api.post(
            f"/events/{earlier.event_id}/attendees",
            json={
                "product_id": earlier.product_id,
                "product_price_id": earlier.price_id,
                "email": "taquilla@example.com",
                "first_name": "Lucía",
                "amount_paid": 150000,
            },
        )
        assert response.status_code == 201, response.text
        order = api.get(
            f"/events/{earlier.event_id}/orders/{response.json()['data']['order_id']}"
        ).json()["data"]
    delivered(h, "order.created", created + 1)
    public_id = order["public_id"]
    start = h.run(h.ticketing.store.get_purchase(earlier.id)).event_starts_at
    assert f"feedback:{public_id}:{iso_stamp(start)}" in outbox(h, earlier.wa_id)

    moved = start + timedelta(hours=2)
    updated = len([e for e in webhook_logs(h) if e["event_type"] == "event.updated"])
    _reschedule(h, earlier.event_id, moved)
    delivered(h, "event.updated", updated + 1)
    rows = outbox(h, earlier.wa_id)
    planned = queued_reminders(h, earlier.wa_id, public_id)
    assert planned and all(key.endswith(f":{iso_stamp(moved)}") for key in planned)
    assert rows[f"feedback:{public_id}:{iso_stamp(start)}"].status == "cancelled"
    # one message for the person, though they hold a bot purchase and a box-office order
    assert _schedule_rows(h, earlier.wa_id) == [
        f"schedule:{earlier.event_id}:{iso_stamp(moved)}:{earlier.wa_id}"
    ]
