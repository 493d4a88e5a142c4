"""The purchase path over real HTTP, without Rasa.

Hi.Events, Wompi, Mercado Pago and Wappbíz are the sandbox emulators; the action
server is the real one (webhook routes, fulfilment worker, SQLite store). QR images are
read back with a real decoder (zxing-cpp) and checked in at the emulated door.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest

from bot.ticketing.catalog import find_event, find_ticket_type, upcoming_events
from bot.ticketing.lifecycle import REMINDERS
from bot.ticketing.purchase import PurchaseRequest, start_purchase
from tests.support.ticketing import TicketingHarness, images, running_ticketing

NEQUI_OK = {"method": "NEQUI", "phone": "3991111111"}
NEQUI_DECLINED = {"method": "NEQUI", "phone": "3992222222"}
_numbers = iter(range(573_180_000_001, 573_189_999_999))


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TicketingHarness]:
    with running_ticketing(tmp_path_factory.mktemp("ticketing")) as h:
        yield h


def buy(h: TicketingHarness, *, quantity: int = 2, kind: str = "VIP", lang: str = "es") -> object:
    ctx = h.ticketing
    wa_id = str(next(_numbers))
    h.open_window(wa_id)  # the buyer has just written to us

    async def go() -> object:
        events = await upcoming_events(ctx.hi_events, ctx.settings.hi_events_organizer_id)
        event = find_event(events, "Medellín Fashion Night")
        assert event is not None
        ticket = find_ticket_type(event, kind)
        assert ticket is not None
        request = PurchaseRequest(
            wa_id=wa_id,
            language=lang,
            event=event,
            ticket=ticket,
            quantity=quantity,
            buyer_name="Ana Gómez",
            buyer_email="ana@example.com",
        )
        return await start_purchase(ctx, request)

    return h.run(go())


def pay(h: TicketingHarness, purchase: object, method: dict) -> dict:
    response = httpx.post(
        f"{h.sandbox_url}/wompi/_sandbox/links/{purchase.link_id}/pay", json=method, timeout=10
    )
    assert response.status_code < 300, response.text
    return response.json()


def purchase_now(h: TicketingHarness, purchase_id: int) -> object:
    return h.run(h.ticketing.store.get_purchase(purchase_id))


def wait_state(h: TicketingHarness, purchase_id: int, state: str, timeout: float = 20) -> object:
    deadline = time.monotonic() + timeout
    while True:
        current = purchase_now(h, purchase_id)
        if current.state == state:
            return current
        if time.monotonic() > deadline:
            raise AssertionError(f"purchase {purchase_id} is {current.state}, not {state}")
        time.sleep(0.05)


def test_two_vip_tickets_paid_with_nequi_open_the_door(harness: TicketingHarness) -> None:
    h = harness
    purchase = buy(h)
    assert purchase.state == "awaiting_payment"
    assert purchase.total_cop == 2 * purchase.unit_price_cop
    assert purchase.link_url.startswith(f"{h.sandbox_url}/wompi/checkout/l/")
    pay(h, purchase, NEQUI_OK)
    messages = h.wait_for(
        purchase.wa_id, lambda ms: len(images(ms)) == 2 and "Pago recibido" in json.dumps(ms)
    )
    sent = images(messages)
    decoded = [h.decode_qr(m["body"]["image"]["id"]) for m in sent]
    attendees = h.run(h.ticketing.hi_events.attendees(purchase.event_id, purchase.hi_order_id))
    assert sorted(decoded) == sorted(a["public_id"] for a in attendees)
    assert all(a["status"] == "ACTIVE" for a in attendees)
    assert "VIP" in sent[0]["body"]["image"]["caption"]
    assert "Ana Gómez" in sent[0]["body"]["image"]["caption"]
    assert wait_state(h, purchase.id, "fulfilled").paid_at is not None
    # reminders 7 d / 1 d / 3 h before the show (those still ahead) and the feedback
    # request wait in the outbox
    planned = {
        r.idempotency_key: r for r in h.run(h.ticketing.store.list_outbox(wa_id=purchase.wa_id))
    }
    now = datetime.now(timezone.utc)
    ahead = {
        f"reminder:{label}:{purchase.reference}"
        for label, before, _ in REMINDERS
        if purchase.event_starts_at - before > now
    }
    assert ahead | {f"feedback:{purchase.reference}"} <= set(planned)
    assert all(planned[key].status == "queued" for key in ahead)

    # the door: the decoded id checks in once; a second scan is refused with the time
    lists = h.run(h.ticketing.hi_events.check_in_lists(purchase.event_id))
    first = h.run(h.ticketing.hi_events.check_in(lists[0]["short_id"], decoded[0]))
    assert first.ok
    again = h.run(h.ticketing.hi_events.check_in(lists[0]["short_id"], decoded[0]))
    assert not again.ok
    h.wait_for(purchase.wa_id, lambda ms: "Bienvenida" in json.dumps(ms, ensure_ascii=False))


def test_webhook_delivered_three_times_gives_one_set_of_tickets(harness: TicketingHarness) -> None:
    h = harness
    purchase = buy(h, quantity=1, kind="General")
    pay(h, purchase, NEQUI_OK)
    h.wait_for(purchase.wa_id, lambda ms: len(images(ms)) == 1)
    wait_state(h, purchase.id, "fulfilled")
    rows = httpx.get(
        f"{h.sandbox_url}/wompi/_sandbox/deliveries", params={"status": "APPROVED"}, timeout=10
    ).json()["data"]
    approved = [
        d for d in rows if d["body"]["data"]["transaction"]["payment_link_id"] == purchase.link_id
    ]
    assert len(approved) == 1
    for _ in range(2):
        r = httpx.post(
            f"{h.sandbox_url}/wompi/_sandbox/deliveries/{approved[0]['id']}/redeliver", timeout=10
        )
        assert r.status_code < 300, r.text
    time.sleep(1.0)
    assert len(images(h.messages_to(purchase.wa_id))) == 1
    events = h.run(h.ticketing.store.payment_events_for(purchase.id))
    assert [e.status for e in events if e.status == "approved"] == ["approved"]


def test_declined_then_approved_on_the_same_link(harness: TicketingHarness) -> None:
    h = harness
    purchase = buy(h, quantity=1, kind="General")
    pay(h, purchase, NEQUI_DECLINED)
    h.wait_for(purchase.wa_id, lambda ms: "rechazado" in json.dumps(ms, ensure_ascii=False))
    assert purchase_now(h, purchase.id).state == "awaiting_payment"
    assert images(h.messages_to(purchase.wa_id)) == []
    pay(h, purchase, {"method": "CARD", "number": "4242424242424242"})
    h.wait_for(purchase.wa_id, lambda ms: len(images(ms)) == 1)
    wait_state(h, purchase.id, "fulfilled")


def _wompi_body(h: TicketingHarness, purchase: object, amount_in_cents: int) -> tuple[bytes, str]:
    secret = h.settings.secret("wompi_events_secret")
    tx_id = f"9999-{int(time.time() * 1000)}-{purchase.id}"
    timestamp = int(time.time())
    props = ["transaction.id", "transaction.status", "transaction.amount_in_cents"]
    checksum = hashlib.sha256(
        f"{tx_id}APPROVED{amount_in_cents}{timestamp}{secret}".encode()
    ).hexdigest()
    body = {
        "event": "transaction.updated",
        "data": {
            "transaction": {
                "id": tx_id,
                "amount_in_cents": amount_in_cents,
                "reference": f"{purchase.link_id}-1",
                "customer_email": "ana@example.com",
                "currency": "COP",
                "payment_method_type": "NEQUI",
                "redirect_url": None,
                "status": "APPROVED",
                "shipping_address": None,
                "payment_link_id": purchase.link_id,
                "payment_source_id": None,
            }
        },
        "environment": "test",
        "signature": {"properties": props, "checksum": checksum.upper()},
        "timestamp": timestamp,
        "sent_at": "2026-11-25T16:00:00.000Z",
    }
    return json.dumps(body).encode(), checksum.upper()


def test_wrong_checksum_is_refused_and_changes_nothing(harness: TicketingHarness) -> None:
    h = harness
    purchase = buy(h, quantity=1, kind="General")
    body, checksum = _wompi_body(h, purchase, purchase.total_cop * 100)
    tampered = body.replace(b'"APPROVED"', b'"APPROVED" ', 1).replace(
        str(purchase.total_cop * 100).encode(), b"100", 1
    )
    r = httpx.post(
        f"{h.action_url}/webhooks/wompi",
        content=tampered,
        headers={"Content-Type": "application/json", "X-Event-Checksum": checksum},
        timeout=10,
    )
    assert r.status_code == 401
    assert purchase_now(h, purchase.id).state == "awaiting_payment"
    assert h.run(h.ticketing.store.payment_events_for(purchase.id)) == []


def test_amount_mismatch_is_flagged_not_fulfilled(harness: TicketingHarness) -> None:
    h = harness
    purchase = buy(h, quantity=1, kind="General")
    body, checksum = _wompi_body(h, purchase, (purchase.total_cop - 1000) * 100)
    r = httpx.post(
        f"{h.action_url}/webhooks/wompi",
        content=body,
        headers={"Content-Type": "application/json", "X-Event-Checksum": checksum},
        timeout=10,
    )
    assert r.status_code == 200, r.text
    assert r.json()["outcome"] == "mismatch"
    flagged = purchase_now(h, purchase.id)
    assert flagged.state == "flagged" and "mismatch" in flagged.last_error
    time.sleep(0.5)
    assert images(h.messages_to(purchase.wa_id)) == []


def test_hi_events_outage_is_retried_until_fulfilled(harness: TicketingHarness) -> None:
    h = harness
    purchase = buy(h, quantity=1, kind="General")
    fault = {"status": 503, "count": 12, "path_contains": "mark-as-paid"}
    assert httpx.post(f"{h.sandbox_url}/hi-events/_sandbox/faults", json=fault).status_code < 300
    try:
        pay(h, purchase, NEQUI_OK)
        h.wait_for(
            purchase.wa_id, lambda ms: "Recibimos tu pago" in json.dumps(ms, ensure_ascii=False)
        )
        assert purchase_now(h, purchase.id).state == "paid"  # not lost: retried
    finally:
        httpx.delete(f"{h.sandbox_url}/hi-events/_sandbox/faults")
    h.wait_for(purchase.wa_id, lambda ms: len(images(ms)) == 1, timeout=40)
    done = wait_state(h, purchase.id, "fulfilled", timeout=40)
    assert done.attempts >= 1


def test_expired_reservation_releases_seats_and_offers_a_new_link(
    harness: TicketingHarness,
) -> None:
    h = harness
    purchase = buy(h, quantity=1, kind="General")
    ctx = h.ticketing
    real = ctx.clock
    ctx.clock = lambda: real() + timedelta(minutes=h.settings.payment_link_ttl_min + 1)
    try:
        ctx.wake.set()
        expired = wait_state(h, purchase.id, "expired")
    finally:
        ctx.clock = real
    h.wait_for(purchase.wa_id, lambda ms: "venció" in json.dumps(ms, ensure_ascii=False))
    order = h.run(ctx.hi_events.order(purchase.event_id, expired.hi_order_id))
    assert order["status"] == "CANCELLED"
    link = httpx.get(f"{purchase.link_url}", timeout=10)
    assert (
        "expir" in link.text.lower()
        or "no está disponible" in link.text.lower()
        or link.status_code >= 400
    )


def test_mercado_pago_is_configuration_only(tmp_path: Path) -> None:
    with running_ticketing(tmp_path, payment_provider="mercadopago") as h:
        purchase = buy(h, quantity=2, kind="VIP", lang="en")
        assert purchase.provider == "mercadopago"
        r = httpx.post(
            f"{h.sandbox_url}/mercadopago/_sandbox/preferences/{purchase.link_id}/pay",
            json={"outcome": "approved"},
            timeout=10,
        )
        assert r.status_code < 300, r.text
        h.wait_for(
            purchase.wa_id,
            lambda ms: len(images(ms)) == 2 and "Payment received" in json.dumps(ms),
        )
        wait_state(h, purchase.id, "fulfilled")


def test_welcome_at_the_door_after_the_window_closed_is_the_template(
    harness: TicketingHarness,
) -> None:
    """Show day, weeks after buying: free text is refused (131047), the template goes."""
    from bot.clients.wappbiz_templates import WappbizTemplatesClient
    from bot.templates import sync_templates, wait_for_review

    h = harness

    async def sync() -> None:
        client = WappbizTemplatesClient.from_settings(h.settings)
        try:
            await sync_templates(h.ticketing.store, client)
            await wait_for_review(h.ticketing.store, client, timeout_s=20, poll_s=0.3)
        finally:
            await client.aclose()

    h.run(sync())
    purchase = buy(h, quantity=1, kind="General", lang="en")
    pay(h, purchase, NEQUI_OK)
    wait_state(h, purchase.id, "fulfilled")
    [ticket] = h.run(h.ticketing.store.tickets_for_purchase(purchase.id))
    closed = httpx.post(
        f"{h.sandbox_url}/sandbox/api/conversations/{purchase.wa_id}/window",
        json={"open": False},
        timeout=10,
    )
    closed.raise_for_status()
    lists = h.run(h.ticketing.hi_events.check_in_lists(purchase.event_id))
    assert h.run(h.ticketing.hi_events.check_in(lists[0]["short_id"], ticket.attendee_public_id)).ok
    messages = h.wait_for(
        purchase.wa_id, lambda ms: any(m["type"] == "template" for m in ms), timeout=30
    )
    template = next(m for m in messages if m["type"] == "template")["body"]["template"]
    assert template["name"] == "checkin_welcome" and template["language"]["code"] == "en"


def test_an_order_cancelled_in_hi_events_reaches_the_buyer(harness: TicketingHarness) -> None:
    """Staff cancel orders in Hi.Events: unpaid → closed; paid → flagged; buyer told."""
    h = harness
    ctx = h.ticketing
    unpaid = buy(h, quantity=1, kind="General")
    paid = buy(h, quantity=1, kind="General")
    pay(h, paid, NEQUI_OK)
    wait_state(h, paid.id, "fulfilled")
    for purchase in (unpaid, paid):
        h.run(ctx.hi_events.cancel_order(purchase.event_id, purchase.hi_order_id))
    assert wait_state(h, unpaid.id, "cancelled").state == "cancelled"
    flagged = wait_state(h, paid.id, "flagged")
    assert "cancelled in Hi.Events" in flagged.last_error
    for purchase in (unpaid, paid):
        h.wait_for(
            purchase.wa_id,
            lambda ms, p=purchase: (
                p.hi_order_public_id in json.dumps(ms)
                and "cancelado" in json.dumps(ms, ensure_ascii=False)
            ),
        )
    # its QR no longer opens the door
    [ticket] = h.run(ctx.store.tickets_for_purchase(paid.id))
    lists = h.run(ctx.hi_events.check_in_lists(paid.event_id))
    assert not h.run(ctx.hi_events.check_in(lists[0]["short_id"], ticket.attendee_public_id)).ok


def test_our_own_expiry_is_not_announced_twice(harness: TicketingHarness) -> None:
    h = harness
    purchase = buy(h, quantity=1, kind="General")
    ctx = h.ticketing
    real = ctx.clock
    ctx.clock = lambda: real() + timedelta(minutes=h.settings.payment_link_ttl_min + 1)
    try:
        ctx.wake.set()
        wait_state(h, purchase.id, "expired")
    finally:
        ctx.clock = real
    h.wait_for(purchase.wa_id, lambda ms: "venció" in json.dumps(ms, ensure_ascii=False))
    time.sleep(1.0)  # Hi.Events' order.cancelled echo has arrived by now
    assert "cancelado por el equipo" not in json.dumps(
        h.messages_to(purchase.wa_id), ensure_ascii=False
    )
    assert purchase_now(h, purchase.id).state == "expired"
