"""The emulator over real HTTP: API dialect, hosted checkout, signed webhooks, controls."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from mercadopago.webhook import InvalidWebhookSignatureError, WebhookSignatureValidator

from bot.clients.mercadopago import verify_mp_signature
from bot.sandbox.mercadopago import MercadoPagoConfig
from bot.settings import Settings
from tests.mercadopago.helpers import (
    MP,
    WEBHOOK_SECRET,
    Captured,
    in_minutes,
    preference_body,
)


def _create(mp: MP, **kwargs: Any) -> dict:
    with mp.api() as api:
        response = api.post("/checkout/preferences", json=preference_body(**kwargs))
    assert response.status_code == 201, response.text
    return response.json()


def _pay(mp: MP, pref_id: str, **body: object) -> dict:
    with mp.control() as control:
        response = control.post(f"/preferences/{pref_id}/pay?sync=1", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def _assert_signed(captured: Captured) -> None:
    data_id = captured.query["data.id"]
    assert verify_mp_signature(captured.signature, captured.request_id, data_id, WEBHOOK_SECRET)
    # The official SDK's validator agrees (it raises on failure, returns None on success).
    WebhookSignatureValidator.validate(
        captured.signature, captured.request_id, data_id, WEBHOOK_SECRET, tolerance_seconds=300
    )


def test_config_from_settings_uses_generated_secrets(tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path)
    config = MercadoPagoConfig.from_settings(settings, retry_delays_s=[1, 2])
    assert config.access_token.startswith("TEST-")
    assert config.access_token == settings.secret("mercadopago_access_token")
    assert config.webhook_secret == settings.secret("mercadopago_webhook_secret")
    assert config.webhook_url == f"{settings.action_url}/webhooks/mercadopago"
    assert config.retry_delays_s == (1.0, 2.0)
    assert "access_token" not in config.public_view()


def test_create_and_get_preference(mp: MP) -> None:
    created = _create(mp, reference="FSH-42", back_urls={"success": "https://x.co/ok"})
    assert created["id"].startswith(f"{mp.emulator.config.user_id}-")
    assert created["init_point"] == f"{mp.base_url}/mercadopago/checkout/pay/{created['id']}"
    assert created["sandbox_init_point"] == created["init_point"]
    assert created["external_reference"] == "FSH-42"
    assert created["items"][0]["currency_id"] == "COP"
    assert created["items"][0]["unit_price"] == 150_000
    assert created["back_urls"] == {"success": "https://x.co/ok", "failure": "", "pending": ""}
    assert dt.datetime.fromisoformat(created["date_created"]).utcoffset() == dt.timedelta(hours=-4)
    with mp.api() as api:
        fetched = api.get(f"/checkout/preferences/{created['id']}")
    assert fetched.status_code == 200
    assert fetched.json() == created


@pytest.mark.parametrize("token", ["TEST-wrong", None])
def test_bad_or_missing_token_is_401_envelope(mp: MP, token: str | None) -> None:
    with mp.api(token or "") as api:
        if token is None:
            api.headers.pop("Authorization")
        response = api.post("/checkout/preferences", json=preference_body())
    assert response.status_code == 401
    body = response.json()
    assert set(body) == {"message", "error", "status", "cause"}
    assert body["status"] == 401 and body["error"] == "unauthorized"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"items": []}, "invalid_items"),
        ({"items": [{"title": "x", "quantity": 1, "unit_price": 0}]}, "invalid_items"),
        (
            {"items": [{"title": "x", "quantity": 1, "unit_price": 5, "currency_id": "USD"}]},
            "invalid_items",
        ),
        ({"expiration_date_to": "2030-01-01T10:00:00"}, "invalid_expiration_date_to"),
        ({"auto_return": "approved"}, "invalid_auto_return"),
        ({"notification_url": "ftp://nope"}, "invalid_notification_url"),
    ],
)
def test_validation_errors_are_400_with_causes(mp: MP, change: dict, code: str) -> None:
    with mp.api() as api:
        response = api.post("/checkout/preferences", json={**preference_body(), **change})
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == 400
    assert code in [c["code"] for c in body["cause"]]


def test_unknown_ids(mp: MP) -> None:
    with mp.api() as api:
        assert api.get("/v1/payments/999").json()["status"] == 404
        assert api.get("/v1/payments/abc").status_code == 400
        assert api.get("/checkout/preferences/nope").status_code == 404
        assert api.get("/merchant_orders/1").status_code == 404


def test_idempotency_key_returns_the_first_answer(mp: MP) -> None:
    with mp.api() as api:
        first = api.post(
            "/checkout/preferences", json=preference_body(), headers={"X-Idempotency-Key": "k1"}
        )
        again = api.post(
            "/checkout/preferences",
            json=preference_body(reference="other"),
            headers={"X-Idempotency-Key": "k1"},
        )
        other = api.post(
            "/checkout/preferences", json=preference_body(), headers={"X-Idempotency-Key": "k2"}
        )
    assert first.json() == again.json()
    assert other.json()["id"] != first.json()["id"]
    assert len(mp.emulator.preferences) == 2


def test_checkout_page_spanish_first(mp: MP) -> None:
    pref = _create(mp, amount=185_000)
    with mp.api() as api:
        page = api.get(pref["init_point"])
        english = api.get(pref["init_point"] + "?lang=en")
        missing = api.get(f"{mp.api_url}/checkout/pay/nope")
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    assert "¿Cómo quieres pagar?" in page.text and "$ 185.000" in page.text
    assert "PSE" in page.text and "Efecty" in page.text and "APRO" in page.text
    assert "How do you want to pay?" in english.text
    assert missing.status_code == 404


def test_expired_preference_is_refused(mp: MP) -> None:
    pref = _create(mp, expires=True, expiration_date_to=in_minutes(-1))
    with mp.api() as api:
        page = api.get(pref["init_point"])
    assert page.status_code == 410 and "venció" in page.text
    with mp.control() as control:
        response = control.post(f"/preferences/{pref['id']}/pay", json={"outcome": "approved"})
    assert response.status_code == 400
    assert response.json()["error"] == "preference_expired"
    assert mp.emulator.payments == {}


def test_pay_approved_sends_a_signed_webhook(mp: MP) -> None:
    pref = _create(mp, reference="FSH-7")
    answer = _pay(mp, pref["id"], outcome="approved")
    payment = answer["payment"]
    assert payment["status"] == "approved" and payment["status_detail"] == "accredited"
    assert payment["transaction_amount"] == 150_000 and payment["currency_id"] == "COP"
    assert payment["external_reference"] == "FSH-7"
    assert payment["payment_method_id"] == "visa" and payment["payment_type_id"] == "credit_card"
    assert payment["date_approved"] is not None
    assert answer["delivery"]["state"] == "delivered"

    [captured] = mp.receiver.for_payment(payment["id"])
    assert captured.query == {"data.id": str(payment["id"]), "type": "payment"}
    body = captured.payload
    assert body["type"] == "payment" and body["action"] == "payment.created"
    assert body["data"] == {"id": str(payment["id"])}
    assert body["live_mode"] is False and body["api_version"] == "v1"
    assert body["user_id"] == mp.emulator.config.user_id
    assert captured.signature.startswith("ts=") and ",v1=" in captured.signature
    _assert_signed(captured)


def test_tampered_webhook_is_refused_by_both_verifiers(mp: MP) -> None:
    pref = _create(mp)
    payment = _pay(mp, pref["id"], outcome="approved")["payment"]
    [captured] = mp.receiver.for_payment(payment["id"])
    other_id = str(payment["id"] + 1)
    assert not verify_mp_signature(
        captured.signature, captured.request_id, other_id, WEBHOOK_SECRET
    )
    assert not verify_mp_signature(captured.signature, "other-request", None, WEBHOOK_SECRET)
    assert not verify_mp_signature(
        captured.signature, captured.request_id, str(payment["id"]), "wrong-secret"
    )
    with pytest.raises(InvalidWebhookSignatureError):
        WebhookSignatureValidator.validate(
            captured.signature, captured.request_id, other_id, WEBHOOK_SECRET
        )


def test_pay_rejected(mp: MP) -> None:
    pref = _create(mp)
    payment = _pay(mp, pref["id"], outcome="rejected")["payment"]
    assert payment["status"] == "rejected"
    assert payment["status_detail"] == "cc_rejected_insufficient_amount"
    assert payment["date_approved"] is None


def test_pse_pending_then_approved(mp: MP) -> None:
    pref = _create(mp)
    payment = _pay(mp, pref["id"], outcome="pending")["payment"]
    assert (payment["status"], payment["status_detail"]) == ("pending", "pending_waiting_transfer")
    assert (payment["payment_method_id"], payment["payment_type_id"]) == ("pse", "bank_transfer")
    with mp.control() as control:
        approved = control.post(f"/payments/{payment['id']}/approve?sync=1")
        twice = control.post(f"/payments/{payment['id']}/approve")
    assert approved.status_code == 200
    assert approved.json()["payment"]["status"] == "approved"
    assert twice.status_code == 409
    hooks = mp.receiver.for_payment(payment["id"], count=2)
    assert [h.payload["action"] for h in hooks] == ["payment.created", "payment.updated"]
    for hook in hooks:
        _assert_signed(hook)
    with mp.api() as api:
        assert api.get(f"/v1/payments/{payment['id']}").json()["status"] == "approved"


def test_page_pay_route_efecty_and_back_url(mp: MP) -> None:
    pref = _create(
        mp,
        reference="FSH-9",
        back_urls={"success": "https://shop.test/ok", "pending": "https://shop.test/wait"},
        auto_return="approved",
    )
    with mp.api() as api:
        response = api.post(
            f"{mp.api_url}/checkout/pay/{pref['id']}",
            json={"method": "efecty", "outcome": "pending"},
        )
    assert response.status_code == 201
    answer = response.json()
    payment = answer["payment"]
    assert (payment["payment_type_id"], payment["status_detail"]) == (
        "ticket",
        "pending_waiting_payment",
    )
    assert answer["redirect_url"].startswith("https://shop.test/wait?collection_id=")
    assert "external_reference=FSH-9" in answer["redirect_url"]
    assert answer["auto_return"] is False  # auto_return=approved only


def test_search_and_merchant_order_join_payments_to_the_preference(mp: MP) -> None:
    pref = _create(mp, reference="FSH-SEARCH")
    first = _pay(mp, pref["id"], outcome="rejected")["payment"]
    second = _pay(mp, pref["id"], outcome="approved")["payment"]
    _create(mp, reference="FSH-OTHER")
    with mp.api() as api:
        found = api.get(
            "/v1/payments/search",
            params={"external_reference": "FSH-SEARCH", "criteria": "asc"},
        ).json()
        order = api.get(f"/merchant_orders/{second['order']['id']}").json()
    assert found["paging"]["total"] == 2
    assert [p["id"] for p in found["results"]] == [first["id"], second["id"]]
    assert first["order"]["id"] == second["order"]["id"]
    assert order["preference_id"] == pref["id"]
    assert order["status"] == "closed" and order["order_status"] == "paid"
    assert [p["status"] for p in order["payments"]] == ["rejected", "approved"]


def test_webhook_retries_then_redelivery(mp: MP) -> None:
    mp.receiver.fail_next = [500, 503]
    pref = _create(mp)
    answer = _pay(mp, pref["id"], outcome="approved")
    delivery = answer["delivery"]
    assert delivery["state"] == "delivered"
    assert [a["status_code"] for a in delivery["attempts"]] == [500, 503, 200]
    hooks = mp.receiver.for_payment(answer["payment"]["id"], count=3)
    assert len({h.request_id for h in hooks}) == 1  # retries resend the same notification

    with mp.control() as control:
        again = control.post(f"/deliveries/{delivery['id']}/redeliver?sync=1")
        listed = control.get("/deliveries", params={"payment_id": answer["payment"]["id"]})
    assert again.status_code == 201
    redelivered = again.json()
    assert redelivered["redelivery_of"] == delivery["id"]
    assert redelivered["state"] == "delivered"
    assert redelivered["request_id"] != delivery["request_id"]
    assert redelivered["payload"] == delivery["payload"]
    assert len(listed.json()["deliveries"]) == 2
    last = mp.receiver.for_payment(answer["payment"]["id"], count=4)[-1]
    assert last.request_id == redelivered["request_id"]
    _assert_signed(last)


def test_webhook_gives_up_after_the_configured_retries(mp: MP) -> None:
    mp.receiver.fail_next = [500, 500, 500]
    pref = _create(mp)
    delivery = _pay(mp, pref["id"], outcome="approved")["delivery"]
    assert delivery["state"] == "failed"
    assert len(delivery["attempts"]) == 1 + len(mp.emulator.config.retry_delays_s)


def test_faults_answer_in_the_envelope_then_clear(mp: MP) -> None:
    with mp.control() as control:
        assert (
            control.post("/faults", json={"status": 503, "count": 1, "path_contains": "/v1/"})
        ).status_code == 201
        assert control.get("/faults").json()["faults"][0]["remaining"] == 1
    with mp.api() as api:
        faulted = api.get("/v1/payments/1")
        after = api.get("/v1/payments/1")
        unaffected = api.post("/checkout/preferences", json=preference_body())
    assert faulted.status_code == 503 and faulted.json()["error"] == "service_unavailable"
    assert after.status_code == 404
    assert unaffected.status_code == 201
    with mp.control() as control:
        control.post("/faults", json={"status": 429, "count": 5})
        assert control.delete("/faults").json() == {"faults": []}
        assert control.post("/faults", json={"status": 200}).status_code == 400
