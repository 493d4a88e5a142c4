"""Staff edits in the emulator fire the signed webhooks the contract names (§3, §6, §7)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import httpx

from bot.hi_events_webhook import verify_hi_events_signature
from tests.hi_events.conftest import WEBHOOK_SECRET, Hi, buy, sandbox


def _signed(hi: Hi, count: int) -> list:
    captured = hi.receiver.wait_for(count)
    for item in captured:
        assert verify_hi_events_signature(WEBHOOK_SECRET, item.body, item.headers["signature"])
    return captured


def test_moving_an_event_fires_event_updated_in_utc(
    hi: Hi, api: httpx.Client, auth: dict[str, str]
) -> None:
    before = api.get("/events/1", headers=auth).json()["data"]
    start = datetime.fromisoformat(before["start_date"].replace("Z", "+00:00"))
    end = datetime.fromisoformat(before["end_date"].replace("Z", "+00:00"))
    moved = start + timedelta(days=1, minutes=30)
    local = moved.astimezone(timezone(timedelta(hours=-5))).strftime("%Y-%m-%d %H:%M:%S")
    response = api.put(
        "/events/1",
        json={"start_date": local, "location_details": {"venue_name": "Teatro Pablo Tobón"}},
        headers=auth,
    )
    assert response.status_code == 200, response.text
    (item,) = _signed(hi, 1)
    assert item.event_type == "event.updated"
    payload = item.payload
    assert payload["id"] == 1
    assert payload["start_date"] == moved.strftime("%Y-%m-%dT%H:%M:%S.000000Z")
    assert payload["end_date"] == (end + (moved - start)).strftime("%Y-%m-%dT%H:%M:%S.000000Z")
    assert payload["location_details"]["venue_name"] == "Teatro Pablo Tobón"
    assert b"Tob\\u00f3n" in item.body  # json_encode escaping, like every hook


def test_sandbox_reschedule_fires_the_same_webhook(hi: Hi) -> None:
    sandbox(hi, "POST", "/events/1/reschedule", json={"start_date": "2027-03-01 19:00:00"})
    (item,) = _signed(hi, 1)
    assert item.event_type == "event.updated"
    assert item.payload["start_date"] == "2027-03-02T00:00:00.000000Z"  # Bogotá is UTC-5


def test_bad_dates_are_refused_without_a_webhook(
    hi: Hi, api: httpx.Client, auth: dict[str, str]
) -> None:
    response = api.put("/events/1", json={"start_date": "next friday"}, headers=auth)
    assert response.status_code == 422
    assert "start_date" in response.json()["errors"]
    assert sandbox(hi, "GET", "/state").json()["webhook_deliveries"]["pending"] == 0
    assert hi.receiver.captured == []


def test_attendee_edits_fire_updated_and_cancelled(
    hi: Hi, api: httpx.Client, auth: dict[str, str]
) -> None:
    order = buy(api, auth, quantity=2)
    hi.receiver.wait_for(3)  # order.created, attendee.created ×2 … then marked_as_paid
    hi.receiver.wait_for(4)
    hi.receiver.clear()
    first, second = order["attendees"]
    renamed = api.put(
        f"/events/1/attendees/{first['id']}",
        json={"first_name": "Camila", "last_name": "Ríos", "email": "camila@example.co"},
        headers=auth,
    )
    assert renamed.status_code == 200, renamed.text
    patched = api.patch(
        f"/events/1/attendees/{second['id']}", json={"status": "CANCELLED"}, headers=auth
    )
    assert patched.json()["data"]["status"] == "CANCELLED"
    updated, cancelled = _signed(hi, 2)
    assert (updated.event_type, updated.payload["first_name"]) == ("attendee.updated", "Camila")
    assert (cancelled.event_type, cancelled.payload["public_id"]) == (
        "attendee.cancelled",
        second["public_id"],
    )
    assert cancelled.payload["status"] == "CANCELLED"


def test_box_office_attendee_is_a_completed_order(
    hi: Hi, api: httpx.Client, auth: dict[str, str]
) -> None:
    response = api.post(
        "/events/1/attendees",
        json={
            "product_id": 1,
            "product_price_id": 101,
            "email": "taquilla@example.co",
            "first_name": "Lucía",
            "last_name": "Taquilla",
            "amount_paid": 85000,
            "locale": "es",
        },
        headers=auth,
    )
    assert response.status_code == 201, response.text
    created, attendee = _signed(hi, 2)
    assert (created.event_type, attendee.event_type) == ("order.created", "attendee.created")
    order = created.payload
    assert (order["status"], order["payment_status"]) == ("COMPLETED", "PAYMENT_RECEIVED")
    assert order["is_manually_created"] is True
    assert order["attendees"][0]["public_id"] == response.json()["data"]["public_id"]
