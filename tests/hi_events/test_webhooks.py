"""Outgoing webhooks: signed raw bytes, PHP escaping, order of delivery, logs."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from bot.hi_events_webhook import parse_hi_events_webhook, verify_hi_events_signature
from tests.hi_events.conftest import WEBHOOK_SECRET, Hi, buy, sandbox


def settle(hi: Hi, timeout: float = 5.0) -> None:
    """Wait until the emulator has recorded the outcome of every delivery."""
    deadline = time.monotonic() + timeout
    while sandbox(hi, "GET", "/state").json()["webhook_deliveries"]["pending"]:
        assert time.monotonic() < deadline, "webhooks still pending"
        time.sleep(0.02)


def test_order_created_is_signed_over_the_php_encoded_body(
    hi: Hi, api: httpx.Client, auth: dict[str, str]
) -> None:
    buy(api, auth, quantity=2, last_name="Gómez/Ruiz", pay=False)
    captured = hi.receiver.wait_for(3)
    assert [c.event_type for c in captured] == [
        "order.created",
        "attendee.created",
        "attendee.created",
    ]
    created = captured[0]
    assert created.headers["x-webhook-source"] == "Hi.Events"
    assert created.headers["content-type"] == "application/json"
    assert b"G\\u00f3mez\\/Ruiz" in created.body  # json_encode: \uXXXX and \/
    assert verify_hi_events_signature(WEBHOOK_SECRET, created.body, created.headers["signature"])
    # A re-serialisation is different bytes: verifying over it would refuse a valid hook.
    reencoded = json.dumps(json.loads(created.body)).encode()
    assert not verify_hi_events_signature(WEBHOOK_SECRET, reencoded, created.headers["signature"])
    assert not verify_hi_events_signature(
        "other-secret", created.body, created.headers["signature"]
    )
    assert not verify_hi_events_signature(WEBHOOK_SECRET, created.body, None)

    event_type, payload = parse_hi_events_webhook(created.body)
    assert event_type == "order.created"
    assert payload["status"] == "AWAITING_OFFLINE_PAYMENT"
    assert payload["last_name"] == "Gómez/Ruiz"
    assert isinstance(payload["id"], int)  # the numeric id mark-as-paid needs
    assert len(payload["attendees"]) == 2
    assert payload["order_items"][0]["total_gross"] == 170000.0
    sent_at = json.loads(created.body)["event_sent_at"]
    assert sent_at.endswith("+00:00")


def test_events_arrive_in_order_per_order(hi: Hi, api: httpx.Client, auth: dict[str, str]) -> None:
    order = buy(api, auth)
    short_id = api.get("/events/1/check-in-lists", headers=auth).json()["data"][0]["short_id"]
    public_id = order["attendees"][0]["public_id"]
    api.post(
        f"/public/check-in-lists/{short_id}/check-ins",
        json={"attendees": [{"public_id": public_id, "action": "check-in"}]},
    )
    api.post(f"/events/1/orders/{order['id']}/cancel", headers=auth)
    captured = hi.receiver.wait_for(6)
    assert [c.event_type for c in captured] == [
        "order.created",
        "attendee.created",
        "order.marked_as_paid",
        "checkin.created",
        "order.cancelled",
        "attendee.cancelled",
    ]
    paid = captured[2].payload
    assert (paid["status"], paid["payment_status"]) == ("COMPLETED", "PAYMENT_RECEIVED")
    checkin = captured[3].payload
    assert checkin["attendee"]["public_id"] == public_id
    assert checkin["check_in_list_id"] == 1
    assert checkin["created_at"].endswith("Z")
    for item in captured:
        assert verify_hi_events_signature(WEBHOOK_SECRET, item.body, item.headers["signature"])


def test_deliveries_are_logged_once_each(hi: Hi, api: httpx.Client, auth: dict[str, str]) -> None:
    hi.receiver.status = 500
    buy(api, auth, pay=False)
    hi.receiver.wait_for(2)
    settle(hi)
    logs = api.get("/organizers/1/webhooks/1/logs", headers=auth).json()
    codes = sorted((entry["event_type"], entry["response_code"]) for entry in logs["data"])
    assert codes == [("attendee.created", 500), ("order.created", 500)]  # one attempt each
    hook = api.get("/organizers/1/webhooks/1", headers=auth).json()["data"]
    assert hook["last_response_code"] == 500
    assert hook["last_response_body"] == "nope"


def test_parse_rejects_what_is_not_a_webhook() -> None:
    for raw in (b"nope", b"[]", b'{"payload":{}}', b'{"event_type":"order.created"}'):
        with pytest.raises(ValueError):
            parse_hi_events_webhook(raw)
    assert parse_hi_events_webhook(b'{"event_type":"x","payload":{"id":1}}') == ("x", {"id": 1})
