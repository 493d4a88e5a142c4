"""The emulator speaks the contract: shapes, identifiers, status codes and state rules."""

from __future__ import annotations

import re

import httpx

from tests.hi_events.conftest import EMAIL, PASSWORD, Hi, buy, sandbox


def _reserve(api: httpx.Client, product_id: int, price_id: int, quantity: int) -> httpx.Response:
    body = {
        "products": [
            {"product_id": product_id, "quantities": [{"price_id": price_id, "quantity": quantity}]}
        ]
    }
    return api.post("/public/events/1/order", json=body)


# --- auth ----------------------------------------------------------------------
def test_login_gives_a_jwt_in_body_header_and_cookie(api: httpx.Client) -> None:
    response = api.post("/auth/login", json={"email": EMAIL, "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 7 * 24 * 3600
    assert body["accounts"][0]["id"] == 1
    assert response.headers["x-auth-token"] == body["token"]
    assert response.cookies["token"] == body["token"]
    assert body["token"].count(".") == 2  # header.claims.signature


def test_bad_credentials_and_missing_tokens(api: httpx.Client) -> None:
    bad = api.post("/auth/login", json={"email": EMAIL, "password": "nope"})
    assert bad.status_code == 401
    assert bad.json() == {"message": "Username or Password are incorrect", "errors": []}
    assert api.get("/events").status_code == 401
    assert api.get("/events", headers={"Authorization": "Bearer a.b.c"}).status_code == 401
    # Without Accept: application/json Laravel redirects instead of answering 401.
    redirected = httpx.get(api.base_url.join("/hi-events/api/events"), follow_redirects=False)
    assert redirected.status_code == 302


def test_refresh_issues_a_new_token_and_revokes_the_old(
    api: httpx.Client, auth: dict[str, str]
) -> None:
    refreshed = api.post("/auth/refresh", headers=auth)
    assert refreshed.status_code == 200
    new = {"Authorization": f"Bearer {refreshed.json()['token']}"}
    assert api.get("/events", headers=auth).status_code == 401
    assert api.get("/events", headers=new).status_code == 200


# --- events ----------------------------------------------------------------------
def test_public_event_shape(api: httpx.Client) -> None:
    response = api.get("/public/events/1")
    assert response.status_code == 200
    assert b"https:\\/\\/www.google.com" in response.content  # Laravel escapes slashes
    event = response.json()["data"]
    assert event["title"] == "Medellín Fashion Night"
    assert event["start_date"] == "2026-12-12T01:00:00.000000Z"  # 20:00 Bogotá
    assert event["timezone"] == "America/Bogota"
    assert event["currency"] == "COP"
    assert event["status"] == "LIVE"
    assert event["lifecycle_status"] == "UPCOMING"
    assert re.fullmatch(r"e_[A-Za-z0-9]{13}", event["short_id"])
    assert event["location_details"]["city"] == "Medellín"
    assert event["location_details"]["country"] == "CO"
    assert event["settings"]["payment_providers"] == ["OFFLINE"]
    assert "Wompi" in event["settings"]["offline_payment_instructions"]
    names = {a["name"] for a in event["attributes"]}
    assert {"dress_code", "dress_code_en", "programme", "programme_en", "latitude"} <= names
    products = event["product_categories"][0]["products"]
    assert [(p["id"], p["title"]) for p in products] == [(1, "General"), (2, "VIP"), (3, "Palco")]
    general = products[0]
    assert general["prices"][0]["id"] == 101
    assert general["prices"][0]["price"] == 85000.0
    assert general["quantity_available"] == 400
    assert general["max_per_order"] == 10
    assert "quantity_sold" not in general  # authenticated shape only


def test_public_event_404_unless_live(api: httpx.Client, auth: dict[str, str]) -> None:
    missing = api.get("/public/events/99")
    assert missing.status_code == 404
    assert missing.content == b""
    assert api.put("/events/2/status", json={"status": "DRAFT"}, headers=auth).status_code == 200
    assert api.get("/public/events/2").status_code == 404
    assert api.get("/events/2", headers=auth).json()["data"]["status"] == "DRAFT"


def test_organizer_events_are_paginated(api: httpx.Client) -> None:
    first = api.get(
        "/public/organizers/1/events", params={"eventsStatus": "upcoming", "per_page": 3}
    ).json()
    assert [e["id"] for e in first["data"]] == [1, 2, 3]
    assert first["meta"]["total"] == 4
    assert first["meta"]["last_page"] == 2
    assert first["links"]["prev"] is None
    second = httpx.get(first["links"]["next"], headers={"Accept": "application/json"}).json()
    assert [e["id"] for e in second["data"]] == [4]
    assert second["links"]["next"] is None


def test_authenticated_event_lists_and_settings(api: httpx.Client, auth: dict[str, str]) -> None:
    listed = api.get(
        "/events", params={"filter_fields[title][like]": "laureles"}, headers=auth
    ).json()
    assert [e["id"] for e in listed["data"]] == [2]
    assert "title" in listed["meta"]["allowed_filter_fields"]
    event = api.get("/events/1", headers=auth).json()["data"]
    palco = event["product_categories"][0]["products"][2]
    assert palco["initial_quantity_available"] == 10
    assert palco["prices"][0]["quantity_sold"] == 0
    bad = api.patch("/events/1/settings", json={"order_timeout_in_minutes": 500}, headers=auth)
    assert bad.status_code == 422
    assert "order_timeout_in_minutes" in bad.json()["errors"]
    ok = api.patch("/events/1/settings", json={"order_timeout_in_minutes": 30}, headers=auth)
    assert ok.json()["data"]["order_timeout_in_minutes"] == 30


# --- checkout ----------------------------------------------------------------------
def test_reserve_answers_201_with_session_in_body_and_cookie(api: httpx.Client) -> None:
    response = _reserve(api, 2, 102, 2)
    assert response.status_code == 201
    order = response.json()["data"]
    assert re.fullmatch(r"o_[A-Za-z0-9]{13}", order["short_id"])
    assert re.fullmatch(r"O-[A-Z0-9]{7}", order["public_id"])
    assert "id" not in order
    assert order["status"] == "RESERVED"
    assert order["total_gross"] == 300000.0
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", order["reserved_until"])
    assert response.cookies["session_identifier"] == order["session_identifier"]
    assert order["order_items"][0]["item_name"] == "VIP"


def test_reserve_validation(api: httpx.Client) -> None:
    too_many = _reserve(api, 1, 101, 11)
    assert too_many.status_code == 422
    assert "10" in too_many.json()["errors"]["products.0"][0]
    wrong_event = _reserve(api, 4, 104, 1)  # product 4 belongs to event 2
    assert wrong_event.status_code == 422
    assert "products.0" in wrong_event.json()["errors"]
    nothing = _reserve(api, 1, 101, 0)
    assert nothing.status_code == 422
    palco = {"product_id": 3, "quantities": [{"price_id": 103, "quantity": 6}]}
    split = api.post("/public/events/1/order", json={"products": [palco, palco]})
    assert split.status_code == 422  # 6 + 6 > 10 seats, even across two lines
    assert split.json()["errors"]["products.1"] == [
        "The maximum number of products available for Palco is 4"
    ]


def test_sold_out_and_seats_coming_back(api: httpx.Client) -> None:
    all_palcos = _reserve(api, 3, 103, 10)
    assert all_palcos.status_code == 201
    sold_out = _reserve(api, 3, 103, 1)
    assert sold_out.status_code == 422
    assert sold_out.json()["errors"]["products.0"] == ["The product Palco is sold out"]
    public = api.get("/public/events/1").json()["data"]
    palco = public["product_categories"][0]["products"][2]
    assert palco["is_sold_out"] is True
    order = all_palcos.json()["data"]
    abandoned = api.post(
        f"/public/events/1/order/{order['short_id']}/abandon",
        params={"session_identifier": order["session_identifier"]},
    )
    assert abandoned.json()["data"]["status"] == "ABANDONED"
    assert _reserve(api, 3, 103, 1).status_code == 201


def test_session_identifier_is_required_while_reserved(hi: Hi) -> None:
    with httpx.Client(base_url=hi.api_url, headers={"Accept": "application/json"}) as api:
        order = _reserve(api, 1, 101, 1).json()["data"]
        api.cookies.clear()  # a server-side client has no cookie jar to lean on
        path = f"/public/events/1/order/{order['short_id']}"
        body = {
            "order": {"first_name": "Ana", "last_name": "Gómez", "email": "ana@example.co"},
            "products": [{"product_price_id": 101}],
        }
        assert api.put(path, json=body).status_code == 403
        assert api.get(path).status_code == 403
        wrong = api.put(path, json=body, params={"session_identifier": "nope"})
        assert wrong.status_code == 403
        assert "session" in wrong.json()["message"]
        good = api.put(path, json=body, params={"session_identifier": order["session_identifier"]})
        assert good.status_code == 200


def test_complete_needs_one_entry_per_ticket_and_valid_names(api: httpx.Client) -> None:
    order = _reserve(api, 1, 101, 2).json()["data"]
    path = f"/public/events/1/order/{order['short_id']}"
    params = {"session_identifier": order["session_identifier"]}
    person = {"first_name": "Ana", "last_name": "Gómez", "email": "ana@example.co"}
    one = api.put(
        path, params=params, json={"order": person, "products": [{"product_price_id": 101}]}
    )
    assert one.status_code == 409
    invalid = api.put(
        path,
        params=params,
        json={"order": {**person, "first_name": "x" * 41, "email": "nope"}, "products": []},
    )
    assert invalid.status_code == 422
    assert {"order.first_name", "order.email"} <= set(invalid.json()["errors"])
    done = api.put(
        path, params=params, json={"order": person, "products": [{"product_price_id": 101}] * 2}
    )
    assert done.status_code == 200
    data = done.json()["data"]
    assert data["status"] == "RESERVED"
    assert data["payment_status"] == "AWAITING_PAYMENT"
    # PER_ORDER: every attendee carries the buyer's name.
    assert [(a["first_name"], a["status"]) for a in data["attendees"]] == [
        ("Ana", "AWAITING_PAYMENT")
    ] * 2
    assert all(re.fullmatch(r"A-[A-Z0-9]{7}", a["public_id"]) for a in data["attendees"])
    again = api.put(
        path, params=params, json={"order": person, "products": [{"product_price_id": 101}] * 2}
    )
    assert again.status_code == 409


def test_expired_reservation_is_refused_and_frees_seats(hi: Hi, api: httpx.Client) -> None:
    order = _reserve(api, 3, 103, 10).json()["data"]
    sandbox(hi, "POST", f"/orders/{order['short_id']}/expire")
    params = {"session_identifier": order["session_identifier"]}
    person = {"first_name": "Ana", "last_name": "Gómez", "email": "ana@example.co"}
    late = api.put(
        f"/public/events/1/order/{order['short_id']}",
        params=params,
        json={"order": person, "products": [{"product_price_id": 103}] * 10},
    )
    assert late.status_code == 409
    assert "expired" in late.json()["message"]
    shown = api.get(f"/public/events/1/order/{order['short_id']}", params=params).json()["data"]
    assert shown["is_expired"] is True
    assert _reserve(api, 3, 103, 1).status_code == 201


def test_offline_flow_and_mark_as_paid_once(api: httpx.Client, auth: dict[str, str]) -> None:
    pending = buy(api, auth, product_id=2, price_id=102, quantity=2, pay=False)
    assert pending["status"] == "AWAITING_OFFLINE_PAYMENT"
    assert pending["payment_status"] == "AWAITING_OFFLINE_PAYMENT"
    assert pending["payment_provider"] == "OFFLINE"
    assert pending["total_gross"] == 300000.0
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", pending["created_at"])
    vip = api.get("/events/1", headers=auth).json()["data"]["product_categories"][0]["products"][1]
    assert vip["prices"][0]["quantity_sold"] == 2
    paid = api.post(f"/events/1/orders/{pending['id']}/mark-as-paid", headers=auth)
    assert paid.status_code == 200
    data = paid.json()["data"]
    assert (data["status"], data["payment_status"]) == ("COMPLETED", "PAYMENT_RECEIVED")
    assert {a["status"] for a in data["attendees"]} == {"ACTIVE"}
    twice = api.post(f"/events/1/orders/{pending['id']}/mark-as-paid", headers=auth)
    assert twice.status_code == 409
    assert twice.json()["message"] == "Order is not awaiting offline payment"


def test_order_list_hides_reservations(api: httpx.Client, auth: dict[str, str]) -> None:
    reserved = _reserve(api, 1, 101, 1).json()["data"]
    paid = buy(api, auth)
    listed = api.get("/events/1/orders", headers=auth).json()
    assert [o["public_id"] for o in listed["data"]] == [paid["public_id"]]
    assert "public_id" in listed["meta"]["allowed_filter_fields"]
    none = api.get(
        "/events/1/orders",
        params={"filter_fields[public_id][eq]": reserved["public_id"]},
        headers=auth,
    )
    assert none.json()["data"] == []


def test_cancel_releases_seats_and_cancels_attendees(
    api: httpx.Client, auth: dict[str, str]
) -> None:
    order = buy(api, auth, product_id=3, price_id=103, quantity=2)
    cancelled = api.post(
        f"/events/1/orders/{order['id']}/cancel", headers=auth, json={"refund": False}
    )
    assert cancelled.json()["data"]["status"] == "CANCELLED"
    assert {a["status"] for a in cancelled.json()["data"]["attendees"]} == {"CANCELLED"}
    palco = api.get("/events/1", headers=auth).json()["data"]["product_categories"][0]["products"][
        2
    ]
    assert palco["prices"][0]["quantity_sold"] == 0
    assert api.post(f"/events/1/orders/{order['id']}/cancel", headers=auth).status_code == 409


def test_attendees_and_resend_ticket(hi: Hi, api: httpx.Client, auth: dict[str, str]) -> None:
    order = buy(api, auth, quantity=2)
    listed = api.get("/events/1/attendees", headers=auth).json()["data"]
    assert len(listed) == 2
    attendee = api.get(f"/events/1/attendees/{listed[0]['id']}", headers=auth).json()["data"]
    assert attendee["order_id"] == order["id"]
    assert attendee["product"]["title"] == "General"
    resend = api.post(f"/events/1/attendees/{attendee['public_id']}/resend-ticket", headers=auth)
    assert resend.status_code == 204
    assert sandbox(hi, "GET", "/state").json()["emails"] >= 1


# --- check-in ----------------------------------------------------------------------
def test_check_in_then_second_scan_refused_with_first_time(
    api: httpx.Client, auth: dict[str, str]
) -> None:
    order = buy(api, auth)
    public_id = order["attendees"][0]["public_id"]
    lists = api.get("/events/1/check-in-lists", headers=auth).json()["data"]
    assert lists[0]["total_attendees"] == 1
    short_id = lists[0]["short_id"]
    assert re.fullmatch(r"cil_[A-Za-z0-9]{13}", short_id)
    body = {"attendees": [{"public_id": public_id, "action": "check-in"}]}
    first = api.post(f"/public/check-in-lists/{short_id}/check-ins", json=body).json()
    assert "errors" not in first
    assert re.fullmatch(r"ci_[A-Za-z0-9]{13}", first["data"][0]["short_id"])
    second = api.post(f"/public/check-in-lists/{short_id}/check-ins", json=body).json()
    assert second["errors"] == {public_id: "Attendee Valentina Restrepo is already checked in"}
    assert second["data"][0]["checked_in_at"] == first["data"][0]["checked_in_at"]
    seen = api.get(f"/public/check-in-lists/{short_id}/attendees/{public_id}").json()["data"]
    assert seen["check_in"]["checked_in_at"] == first["data"][0]["checked_in_at"]
    assert api.get(f"/public/check-in-lists/{short_id}").json()["data"]["checked_in_attendees"] == 1


def test_check_in_refusals(api: httpx.Client, auth: dict[str, str]) -> None:
    unpaid = buy(api, auth, pay=False)
    cancelled = buy(api, auth)
    api.post(f"/events/1/orders/{cancelled['id']}/cancel", headers=auth)
    other_event = buy(api, auth, event_id=2, product_id=4, price_id=104)
    short_id = api.get("/events/1/check-in-lists", headers=auth).json()["data"][0]["short_id"]
    url = f"/public/check-in-lists/{short_id}/check-ins"

    def scan(public_id: str) -> httpx.Response:
        return api.post(url, json={"attendees": [{"public_id": public_id, "action": "check-in"}]})

    waiting = unpaid["attendees"][0]["public_id"]
    assert "awaiting payment" in scan(waiting).json()["errors"][waiting]
    gone = cancelled["attendees"][0]["public_id"]
    assert scan(gone).json()["errors"][gone].endswith("ticket is cancelled")
    unknown = scan("A-ZZZZZZZ")
    assert unknown.status_code == 409
    assert unknown.json()["message"].startswith("Invalid attendee code detected: A-ZZZZZZZ")
    elsewhere = scan(other_event["attendees"][0]["public_id"])
    assert elsewhere.status_code == 409
    assert api.post("/public/check-in-lists/cil_nope/check-ins", json={}).status_code == 409


# --- webhooks ----------------------------------------------------------------------
def test_webhook_registration(api: httpx.Client, auth: dict[str, str]) -> None:
    local = api.post(
        "/events/1/webhooks",
        json={"url": "http://localhost:9/hook", "event_types": ["order.created"]},
        headers=auth,
    )
    assert local.status_code == 422
    assert "url" in local.json()["errors"]
    private = api.post(
        "/organizers/1/webhooks",
        json={"url": "http://10.0.0.7/hook", "event_types": ["order.created"]},
        headers=auth,
    )
    assert private.status_code == 422
    bad_type = api.post(
        "/events/1/webhooks",
        json={"url": "https://bot.example.co/hook", "event_types": ["order.paid"]},
        headers=auth,
    )
    assert "event_types.0" in bad_type.json()["errors"]
    created = api.post(
        "/events/1/webhooks",
        json={"url": "http://127.0.0.1:9/hook", "event_types": ["checkin.created"]},
        headers=auth,
    )
    assert created.status_code == 200
    hook = created.json()["data"]
    assert re.fullmatch(r"[A-Za-z0-9]{32}", hook["secret"])
    shown = api.get(f"/events/1/webhooks/{hook['id']}", headers=auth).json()["data"]
    assert "secret" not in shown
    assert api.delete(f"/events/1/webhooks/{hook['id']}", headers=auth).status_code == 204
