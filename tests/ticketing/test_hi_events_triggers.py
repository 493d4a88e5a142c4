"""Hi.Events triggers of issue 5 over real HTTP: the emulator fires signed webhooks at
the real action server route, whose handlers write the real store (SQLite).

Covers ``order.created`` for orders sold elsewhere, ``attendee.updated`` /
``attendee.cancelled`` keeping tickets and reminders in step, the route's signature
check and its answer to unknown types, and redelivery being a no-op.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from bot.ticketing.catalog import find_event, find_ticket_type, upcoming_events
from bot.ticketing.purchase import PurchaseRequest, start_purchase
from bot.ticketing.reach import phone_answer
from bot.ticketing.replan import planned_keys
from tests.support.ticketing import TicketingHarness, images, running_ticketing

NEQUI_OK = {"method": "NEQUI", "phone": "3991111111"}
_numbers = iter(range(573_190_000_001, 573_199_999_999))


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TicketingHarness]:
    with running_ticketing(tmp_path_factory.mktemp("triggers")) as h:
        yield h


# --- helpers ------------------------------------------------------------------------------------
@contextmanager
def hi_api(h: TicketingHarness) -> Iterator[httpx.Client]:
    """The emulated Hi.Events API as staff use it (JWT)."""
    base = f"{h.sandbox_url}/hi-events/api"
    with httpx.Client(base_url=base, headers={"Accept": "application/json"}, timeout=10) as client:
        password = h.settings.secret("hi_events_password")
        login = client.post(
            "/auth/login", json={"email": h.settings.hi_events_email, "password": password}
        )
        login.raise_for_status()
        client.headers["Authorization"] = f"Bearer {login.json()['token']}"
        yield client


def post_webhook(h: TicketingHarness, body: bytes, signature: str | None = None) -> httpx.Response:
    secret = h.settings.secret("hi_events_webhook_secret")
    sig = signature or hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return httpx.post(
        f"{h.action_url}/webhooks/hi-events",
        content=body,
        headers={"Content-Type": "application/json", "Signature": sig},
        timeout=10,
    )


def webhook_logs(h: TicketingHarness) -> list[dict[str, Any]]:
    response = httpx.get(f"{h.sandbox_url}/hi-events/_sandbox/webhook-logs", timeout=10)
    response.raise_for_status()
    return response.json()["data"]


def delivered(h: TicketingHarness, event_type: str, count: int = 1) -> list[dict[str, Any]]:
    """Wait until the emulator delivered ``count`` webhooks of this type; their logs."""
    deadline = time.monotonic() + 20
    while True:
        found = [e for e in webhook_logs(h) if e["event_type"] == event_type]
        if len(found) >= count and all(e["response_code"] for e in found):
            h.run(h.ticketing.drain())  # and the bot's background work is done
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"{event_type}: {len(found)} of {count} delivered")
        time.sleep(0.05)


def outbox(h: TicketingHarness, wa_id: str) -> dict[str, Any]:
    rows = h.run(h.ticketing.store.list_outbox(wa_id=wa_id, limit=500))
    return {r.idempotency_key: r for r in rows}


def buy_and_pay(
    h: TicketingHarness,
    *,
    quantity: int = 2,
    email: str = "ana@example.com",
    wa_id: str | None = None,
) -> Any:
    """A purchase through the bot, paid with Nequi, fulfilled (tickets + reminders)."""
    ctx = h.ticketing
    wa_id = wa_id or str(next(_numbers))
    h.open_window(wa_id)
    already = len(images(h.messages_to(wa_id)))

    async def go() -> Any:
        events = await upcoming_events(ctx.hi_events, ctx.settings.hi_events_organizer_id)
        event = find_event(events, "Medellín Fashion Night")
        assert event is not None
        ticket = find_ticket_type(event, "VIP")
        assert ticket is not None
        request = PurchaseRequest(
            wa_id=wa_id,
            language="es",
            event=event,
            ticket=ticket,
            quantity=quantity,
            buyer_name="Ana Gómez",
            buyer_email=email,
        )
        return await start_purchase(ctx, request)

    purchase = h.run(go())
    paid = httpx.post(
        f"{h.sandbox_url}/wompi/_sandbox/links/{purchase.link_id}/pay", json=NEQUI_OK, timeout=10
    )
    assert paid.status_code < 300, paid.text
    h.wait_for(purchase.wa_id, lambda ms: len(images(ms)) == already + quantity)
    deadline = time.monotonic() + 20
    while h.run(ctx.store.get_purchase(purchase.id)).state != "fulfilled":
        assert time.monotonic() < deadline, "purchase not fulfilled"
        time.sleep(0.05)
    return h.run(ctx.store.get_purchase(purchase.id))


def queued_reminders(h: TicketingHarness, wa_id: str, reference: str) -> list[str]:
    keys, prefixes = planned_keys(reference)
    return sorted(
        key
        for key, row in outbox(h, wa_id).items()
        if row.status == "queued" and (key in keys or key.startswith(tuple(prefixes)))
    )


# --- reaching the buyer -------------------------------------------------------------------------
def test_a_phone_answer_is_the_whatsapp_id() -> None:
    order = {
        "question_answers": [
            {"question_type": "SINGLE_LINE_TEXT", "answer": "300 123 4567"},
            {"question_type": "PHONE", "answer": "no tengo"},
        ],
        "attendees": [
            {"question_answers": [{"question_type": "PHONE", "answer": {"answer": "310 555 0101"}}]}
        ],
    }
    assert phone_answer(order) == "573105550101"
    assert (
        phone_answer(
            {"question_answers": [{"question_type": "PHONE", "answer": "+1 202 555 0123"}]}
        )
        == "12025550123"
    )
    assert phone_answer({"question_answers": [], "attendees": []}) is None


# --- the route ----------------------------------------------------------------------------------
def test_bad_signature_is_refused_and_changes_nothing(harness: TicketingHarness) -> None:
    h = harness
    body = json.dumps(
        {"event_type": "event.updated", "payload": {"id": 1, "start_date": "2027-01-01T01:00:00Z"}}
    ).encode()
    response = post_webhook(h, body, signature="0" * 64)
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_signature"}


def test_unknown_types_are_acknowledged(harness: TicketingHarness) -> None:
    body = json.dumps({"event_type": "product.updated", "payload": {"id": 7}}).encode()
    response = post_webhook(harness, body)
    assert response.status_code == 200
    assert response.json() == {"ok": True, "outcome": "ignored"}
    assert post_webhook(harness, body).json()["outcome"] == "duplicate"


# --- order.created ------------------------------------------------------------------------------
def test_box_office_order_of_a_known_buyer_is_confirmed_and_reminded_once(
    harness: TicketingHarness,
) -> None:
    h = harness
    earlier = buy_and_pay(h, quantity=1, email="Lucia.Box@example.com")
    before = len([e for e in webhook_logs(h) if e["event_type"] == "order.created"])
    with hi_api(h) as api:
        created = api.post(
            f"/events/{earlier.event_id}/attendees",
            json={
                "product_id": earlier.product_id,
                "product_price_id": earlier.price_id,
                "email": "lucia.box@example.com",  # another spelling, same person
                "first_name": "Lucía",
                "last_name": "Box",
                "amount_paid": 150000,
                "send_confirmation_email": True,
                "locale": "es",
            },
        )
        assert created.status_code == 201, created.text
        order_id = created.json()["data"]["order_id"]
        order = api.get(f"/events/{earlier.event_id}/orders/{order_id}").json()["data"]
    delivered(h, "order.created", before + 1)
    public_id = order["public_id"]
    rows = outbox(h, earlier.wa_id)
    confirmation = rows[f"registration:{public_id}"]
    assert confirmation.purpose == "transactional"
    assert "Medellín Fashion Night" in confirmation.payload["text"]["body"]
    assert confirmation.template_fallback["name"] == "registration_confirmation"
    planned = [k for k in rows if k.endswith(public_id) or f":{public_id}:" in k]
    assert f"registration:{public_id}" in planned
    assert any(k.startswith(f"feedback:{public_id}:") for k in planned)

    # the same webhook again (a redelivery) changes nothing and sends nothing twice
    log = next(
        e
        for e in webhook_logs(h)
        if e["event_type"] == "order.created" and public_id in e["payload"]
    )
    count = len(rows)
    again = post_webhook(h, log["payload"].encode())
    assert again.json()["outcome"] == "duplicate"
    # and a re-sent copy with another timestamp is recognised by its idempotency keys
    body = json.loads(log["payload"])
    body["event_sent_at"] = "2030-01-01T00:00:00+00:00"
    assert post_webhook(h, json.dumps(body).encode()).json()["outcome"] == "external_confirming"
    h.run(h.ticketing.drain())
    assert len(outbox(h, earlier.wa_id)) == count


def test_order_of_a_stranger_is_recognised_and_logged_only(harness: TicketingHarness) -> None:
    h = harness
    payload = {
        "id": 999,
        "public_id": "O-STRANG1",
        "status": "COMPLETED",
        "event_id": 1,
        "email": "nobody-we-know@example.com",
        "first_name": "Nadie",
        "attendees": [{"public_id": "A-STRANG1", "status": "ACTIVE"}],
        "question_answers": [],
    }
    body = json.dumps({"event_type": "order.created", "payload": payload}).encode()
    assert post_webhook(h, body).json()["outcome"] == "external_unreachable"


def test_our_own_order_is_left_to_the_purchase_flow(harness: TicketingHarness) -> None:
    h = harness
    purchase = buy_and_pay(h, quantity=1)
    payload = {"id": purchase.hi_order_id, "public_id": purchase.hi_order_public_id}
    payload |= {"status": "COMPLETED", "event_id": purchase.event_id, "email": "ana@example.com"}
    body = json.dumps({"event_type": "order.created", "payload": payload, "n": 1}).encode()
    assert post_webhook(h, body).json()["outcome"] == "ours"
    assert not any(k.startswith("registration:") for k in outbox(h, purchase.wa_id))


# --- attendee.updated / attendee.cancelled ------------------------------------------------------
def test_renamed_holder_and_cancelled_tickets_follow_hi_events(harness: TicketingHarness) -> None:
    h = harness
    store = h.ticketing.store
    purchase = buy_and_pay(h, quantity=2)
    tickets = h.run(store.tickets_for_purchase(purchase.id))
    assert len(tickets) == 2
    reminders = queued_reminders(h, purchase.wa_id, purchase.reference)
    assert f"feedback:{purchase.reference}" in reminders
    updated_before = len([e for e in webhook_logs(h) if e["event_type"] == "attendee.updated"])
    cancelled_before = len([e for e in webhook_logs(h) if e["event_type"] == "attendee.cancelled"])
    with hi_api(h) as api:
        first, second = (
            h.run(store.ticket_by_public_id(t.attendee_public_id)).attendee_id for t in tickets
        )
        renamed = api.put(
            f"/events/{purchase.event_id}/attendees/{first}",
            json={"first_name": "Camila", "last_name": "Ríos", "email": "camila@example.com"},
        )
        assert renamed.status_code == 200, renamed.text
        delivered(h, "attendee.updated", updated_before + 1)
        assert h.run(store.ticket_by_public_id(tickets[0].attendee_public_id)).holder_name == (
            "Camila Ríos"
        )

        # one of two tickets cancelled: the other holder still gets the reminders
        api.patch(f"/events/{purchase.event_id}/attendees/{first}", json={"status": "CANCELLED"})
        delivered(h, "attendee.cancelled", cancelled_before + 1)
        assert queued_reminders(h, purchase.wa_id, purchase.reference) == reminders

        # the last one: nobody is left to remind
        api.patch(f"/events/{purchase.event_id}/attendees/{second}", json={"status": "CANCELLED"})
        logs = delivered(h, "attendee.cancelled", cancelled_before + 2)
    assert queued_reminders(h, purchase.wa_id, purchase.reference) == []
    rows = outbox(h, purchase.wa_id)
    assert all(rows[key].status == "cancelled" for key in reminders)
    # redelivered: already handled, nothing changes
    assert post_webhook(h, logs[-1]["payload"].encode()).json()["outcome"] == "duplicate"
