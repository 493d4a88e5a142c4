"""Paying links (sandbox rules), the events webhook, and the hosted checkout page."""

from __future__ import annotations

import re
import time

import httpx
import pytest

from bot.clients.wompi import verify_event
from tests.wompi.conftest import (
    EVENTS_SECRET,
    Wompi,
    create_link,
    pay,
    private_headers,
    public_headers,
)


@pytest.mark.parametrize(
    ("payment", "status"),
    [
        ({"method": "NEQUI", "phone": "3991111111"}, "APPROVED"),
        ({"method": "NEQUI", "phone": "3992222222"}, "DECLINED"),
        ({"method": "NEQUI", "phone": "3001234567"}, "ERROR"),
        ({"method": "PSE", "bank": "1"}, "APPROVED"),
        ({"method": "PSE", "bank": "2", "user_type": "1", "legal_id_type": "NIT"}, "DECLINED"),
        ({"method": "CARD", "number": "4242 4242 4242 4242", "expiry": "12/39"}, "APPROVED"),
        ({"method": "CARD", "number": "4111111111111111", "cvc": "999"}, "DECLINED"),
        ({"method": "CARD", "number": "5555555555554444"}, "ERROR"),
    ],
)
def test_sandbox_rules_decide_each_method(
    wompi: Wompi, http: httpx.Client, payment: dict, status: str
) -> None:
    link = create_link(http)
    response = pay(http, link["id"], **payment)
    assert response.status_code == 201, response.text
    tx = response.json()["data"]
    assert tx["status"] == status
    assert tx["payment_method_type"] == payment["method"]
    assert tx["payment_link_id"] == link["id"]
    assert tx["amount_in_cents"] == 15_000_000
    assert re.fullmatch(r"15113-\d{10}-\d{5}", tx["id"])
    assert re.fullmatch(rf"{link['id']}-\d{{13}}-\d{{5}}", tx["reference"])
    assert (tx["status_message"] is None) == (status == "APPROVED")
    if payment["method"] == "CARD":
        assert tx["payment_method"]["extra"]["last_four"] == payment["number"][-4:]
        assert "4242424242424242" not in str(tx)
    # The webhook carries the final status, signed.
    [event] = wompi.receiver.wait_for(lambda items: len(items) == 1)
    assert event.payload["event"] == "transaction.updated"
    assert event.payload["environment"] == "test"
    assert event.payload["data"]["transaction"]["status"] == status
    assert verify_event(event.payload, event.checksum_header, EVENTS_SECRET)


def test_payment_is_pending_first_and_the_event_matches_the_contract(
    wompi: Wompi, http: httpx.Client
) -> None:
    link = create_link(http, redirect_url="https://fashionistas.co/gracias")
    response = http.post(
        f"/wompi/_sandbox/links/{link['id']}/pay",
        json={"method": "NEQUI", "phone": "3991111111", "email": "ana@example.com"},
    )
    tx = response.json()["data"]
    assert tx["status"] == "PENDING"
    [event] = wompi.receiver.wait_for(lambda items: len(items) == 1)
    body = event.payload
    assert set(body) == {"event", "data", "environment", "signature", "timestamp", "sent_at"}
    assert set(body["data"]["transaction"]) == {
        "id",
        "amount_in_cents",
        "reference",
        "customer_email",
        "currency",
        "payment_method_type",
        "redirect_url",
        "status",
        "shipping_address",
        "payment_link_id",
        "payment_source_id",
    }
    assert body["data"]["transaction"]["customer_email"] == "ana@example.com"
    assert body["data"]["transaction"]["redirect_url"] == "https://fashionistas.co/gracias"
    assert body["signature"]["properties"] == [
        "transaction.id",
        "transaction.status",
        "transaction.amount_in_cents",
    ]
    assert isinstance(body["timestamp"], int)
    assert body["signature"]["checksum"] == event.checksum_header
    assert body["signature"]["checksum"].isupper()


def test_tampered_webhook_body_is_refused(wompi: Wompi, http: httpx.Client) -> None:
    pay(http, create_link(http)["id"], method="NEQUI", phone="3992222222")
    [event] = wompi.receiver.wait_for(lambda items: len(items) == 1)
    forged = event.payload | {}
    forged["data"] = {"transaction": {**event.payload["data"]["transaction"], "status": "APPROVED"}}
    assert not verify_event(forged, event.checksum_header, EVENTS_SECRET)
    assert not verify_event(event.payload, event.checksum_header, "test_events_wrong")


def test_redelivery_sends_the_same_bytes(wompi: Wompi, http: httpx.Client) -> None:
    pay(http, create_link(http)["id"], method="PSE", bank="1")
    [first] = wompi.receiver.wait_for(lambda items: len(items) == 1)
    [delivery] = http.get("/wompi/_sandbox/deliveries").json()["data"]
    assert delivery["state"] == "delivered" and delivery["status_code"] == 200
    again = http.post(f"/wompi/_sandbox/deliveries/{delivery['id']}/redeliver")
    assert again.status_code == 201
    assert again.json()["data"]["redelivery_of"] == delivery["id"]
    items = wompi.receiver.wait_for(lambda items: len(items) == 2)
    assert items[1].body == first.body
    assert items[1].checksum_header == first.checksum_header
    assert http.post("/wompi/_sandbox/deliveries/9999/redeliver").status_code == 404


def test_webhook_retries_after_a_500(wompi: Wompi, http: httpx.Client) -> None:
    wompi.receiver.script.extend([500, 503])
    tx = pay(http, create_link(http)["id"], method="NEQUI", phone="3991111111").json()["data"]
    items = wompi.receiver.wait_for(lambda items: len(items) == 3)
    assert [c.answered for c in items] == [500, 503, 200]
    assert items[0].body == items[1].body == items[2].body
    # the receiver sees the third POST before the sender has recorded its answer: wait
    for _ in range(200):
        [delivery] = http.get(
            "/wompi/_sandbox/deliveries", params={"transaction_id": tx["id"]}
        ).json()["data"]
        if delivery["state"] != "pending":
            break
        time.sleep(0.01)
    assert [a["status_code"] for a in delivery["attempts"]] == [500, 503, 200]
    assert delivery["state"] == "delivered"


def test_webhook_gives_up_after_the_configured_retries(wompi: Wompi, http: httpx.Client) -> None:
    wompi.receiver.script.extend([500] * 10)
    pay(http, create_link(http)["id"], method="NEQUI", phone="3991111111")
    wompi.receiver.wait_for(lambda items: len(items) == 4)
    [delivery] = http.get("/wompi/_sandbox/deliveries").json()["data"]
    for _ in range(100):
        if delivery["state"] != "pending":
            break
        [delivery] = http.get("/wompi/_sandbox/deliveries").json()["data"]
    assert delivery["state"] == "failed"
    assert len(delivery["attempts"]) == 1 + len(wompi.config.webhook_retry_delays_s)


def test_declined_then_approved_on_one_link_then_closed(wompi: Wompi, http: httpx.Client) -> None:
    link = create_link(http)
    first = pay(http, link["id"], method="CARD", number="4111111111111111").json()["data"]
    second = pay(http, link["id"], method="NEQUI", phone="3991111111").json()["data"]
    assert (first["status"], second["status"]) == ("DECLINED", "APPROVED")
    assert first["id"] != second["id"]
    third = pay(http, link["id"], method="NEQUI", phone="3991111111")
    assert third.status_code == 409
    assert third.json()["error"]["type"] == "LINK_ALREADY_PAID"
    items = wompi.receiver.wait_for(lambda items: len(items) == 2)
    assert {c.payload["data"]["transaction"]["payment_link_id"] for c in items} == {link["id"]}
    page = http.get(f"/wompi/checkout/l/{link['id']}")
    assert page.status_code == 409
    assert "ya fue pagado" in page.text


def test_multi_use_link_keeps_taking_payments(http: httpx.Client) -> None:
    link = create_link(http, single_use=False)
    for _ in range(2):
        assert pay(http, link["id"], method="PSE", bank="1").json()["data"]["status"] == "APPROVED"


def test_inactive_and_expired_links_take_no_payment(http: httpx.Client) -> None:
    inactive = create_link(http)
    http.patch(
        f"/wompi/v1/payment_links/{inactive['id']}",
        json={"active": False},
        headers=private_headers(),
    )
    refused = pay(http, inactive["id"], method="NEQUI", phone="3991111111")
    assert refused.status_code == 409
    assert refused.json()["error"]["type"] == "LINK_INACTIVE"
    expired = create_link(http)
    http.post(f"/wompi/_sandbox/links/{expired['id']}/expire").raise_for_status()
    refused = pay(http, expired["id"], method="NEQUI", phone="3991111111")
    assert refused.status_code == 410
    assert refused.json()["error"]["type"] == "LINK_EXPIRED"
    page = http.get(f"/wompi/checkout/l/{expired['id']}")
    assert page.status_code == 410 and "expiró" in page.text
    assert http.get(f"/wompi/checkout/l/{inactive['id']}?lang=en").status_code == 409
    state = http.get("/wompi/_sandbox/transactions").json()["data"]
    assert state == []
    assert pay(http, "nope00", method="PSE", bank="1").status_code == 404


def test_bad_payment_data_creates_no_transaction(http: httpx.Client) -> None:
    link = create_link(http)
    for body in (
        {"method": "NEQUI", "phone": "12345"},
        {"method": "PSE", "bank": "7"},
        {"method": "CARD", "number": "4242424242424242", "expiry": "01/20"},
        {"method": "CARD", "number": "4242", "cvc": "1"},
        {"method": "BITCOIN"},
        {"method": "NEQUI", "phone": "3991111111", "email": "not-an-email"},
    ):
        response = pay(http, link["id"], **body)
        assert response.status_code == 422, body
        assert response.json()["error"]["type"] == "INPUT_VALIDATION_ERROR"
    assert http.get("/wompi/_sandbox/transactions").json()["data"] == []


def test_checkout_page_renders_the_link(wompi: Wompi, http: httpx.Client) -> None:
    link = create_link(http, description="Pasarela <Otoño> & gala")
    response = http.get(f"/wompi/checkout/l/{link['id']}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "nonce-" in response.headers["content-security-policy"]
    page = response.text
    assert '<html lang="es">' in page
    assert "$150.000" in page and "COP" in page
    assert "Fashionistas Medellín" in page
    for method in ('value="NEQUI"', 'value="PSE"', 'value="CARD"', ">Nequi<", ">PSE<", "Tarjeta"):
        assert method in page
    assert "Banco que aprueba" in page and "Banco que rechaza" in page
    assert "Pasarela &lt;Otoño&gt; &amp; gala" in page  # escaped
    assert 'id="lang"' in page and '"en":' in page  # the EN toggle and its texts
    assert wompi.config.private_key not in page and wompi.config.events_secret not in page
    english = http.get(f"/wompi/checkout/l/{link['id']}?lang=en").text
    assert '<html lang="en">' in english and "Card" in english
    assert http.get("/wompi/checkout/l/zzzzzz").status_code == 404


def test_checkout_page_json_pay_and_form_fallback(wompi: Wompi, http: httpx.Client) -> None:
    link = create_link(http, single_use=False, redirect_url="https://fashionistas.co/ok?x=1")
    # The page's own fetch call.
    response = http.post(
        f"/wompi/checkout/l/{link['id']}/pay",
        json={"method": "PSE", "bank": "2", "email": "a@b.co", "accept": "1"},
    )
    assert response.status_code == 201
    tx = response.json()["data"]
    assert tx["status"] == "PENDING"
    wompi.receiver.wait_for(lambda items: len(items) == 1)
    polled = http.get(f"/wompi/v1/transactions/{tx['id']}", headers=public_headers())
    assert polled.json()["data"]["status"] == "DECLINED"
    # A plain form post (no JavaScript) lands on the result page.
    form = http.post(
        f"/wompi/checkout/l/{link['id']}/pay",
        data={
            "method": "CARD",
            "number": "4242424242424242",
            "expiry": "12/35",
            "cvc": "123",
            "email": "a@b.co",
        },
        headers={"Accept": "text/html"},
    )
    assert form.status_code == 303
    result_url = form.headers["location"]
    wompi.receiver.wait_for(lambda items: len(items) == 2)
    result = http.get(result_url)
    assert result.status_code == 200
    assert "¡Pago aprobado!" in result.text
    tx_id = result_url.split("/t/")[1].split("?")[0]
    assert f"https://fashionistas.co/ok?x=1&amp;id={tx_id}" in result.text
    invalid = http.post(
        f"/wompi/checkout/l/{link['id']}/pay",
        data={"method": "NEQUI", "phone": "1"},
        headers={"Accept": "text/html"},
    )
    assert invalid.status_code == 422 and "10 dígitos" in invalid.text


def test_open_amount_link_asks_the_payer(http: httpx.Client) -> None:
    link = create_link(http, amount_in_cents=None, single_use=False)
    assert link["amount_in_cents"] is None
    page = http.get(f"/wompi/checkout/l/{link['id']}").text
    assert 'name="amount"' in page and 'id="amount"' not in page.split("<form")[0]
    assert pay(http, link["id"], method="PSE", bank="1").status_code == 422
    tx = pay(http, link["id"], method="PSE", bank="1", amount="85.000").json()["data"]
    assert tx["amount_in_cents"] == 8_500_000 and tx["status"] == "APPROVED"
