"""``MercadoPagoGateway`` end to end: link → hosted payment → signed webhook → update."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator

import httpx
import pytest

from bot.clients.mercadopago import MercadoPagoClient
from bot.payments.base import (
    IgnoredWebhook,
    InvalidWebhookSignature,
    PaymentGateway,
    PaymentLink,
)
from bot.payments.mercadopago import MercadoPagoGateway
from bot.sandbox.mercadopago.emulator import sign_notification
from tests.mercadopago.helpers import ACCESS_TOKEN, MP, WEBHOOK_SECRET, Captured


@pytest.fixture
async def gateway(mp: MP) -> AsyncIterator[MercadoPagoGateway]:
    async with httpx.AsyncClient(trust_env=False, timeout=10) as http:
        client = MercadoPagoClient(base_url=mp.api_url, access_token=ACCESS_TOKEN, http=http)
        yield MercadoPagoGateway(client, webhook_secret=WEBHOOK_SECRET)


async def _link(
    gateway: MercadoPagoGateway, reference: str = "FSH-G1", **kwargs: object
) -> PaymentLink:
    values: dict = {
        "reference": reference,
        "amount_cop": 240_000,
        "description": "Fashionistas Night  ·  2 × General",
        "buyer_email": "ana@example.co",
        "expires_at": dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=30),
    }
    values.update(kwargs)
    return await gateway.create_link(**values)


def _pay(mp: MP, link_id: str, **body: object) -> dict:
    with mp.control() as control:
        answer = control.post(f"/preferences/{link_id}/pay?sync=1", json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()["payment"]


def _hook(mp: MP, payment_id: int, count: int = 1) -> Captured:
    return mp.receiver.for_payment(payment_id, count)[count - 1]


def test_gateway_satisfies_the_protocol() -> None:
    gateway: PaymentGateway = MercadoPagoGateway(
        MercadoPagoClient(base_url="http://127.0.0.1:1", access_token="t"), webhook_secret="s"
    )
    assert gateway.name == "mercadopago"


async def test_create_link_builds_one_cop_item_with_expiry(
    mp: MP, gateway: MercadoPagoGateway
) -> None:
    link = await _link(gateway, redirect_url="https://fashionistas.co/gracias")
    preference = mp.emulator.preferences[link.link_id]
    assert link.provider == "mercadopago" and link.url == preference["init_point"]
    assert link.reference == "FSH-G1" and link.amount_cop == 240_000
    assert link.expires_at is not None and link.expires_at.tzinfo is not None
    [item] = preference["items"]
    assert (item["title"], item["quantity"], item["unit_price"], item["currency_id"]) == (
        "Fashionistas Night · 2 × General",
        1,
        240_000,
        "COP",
    )
    assert preference["external_reference"] == "FSH-G1"
    assert preference["payer"] == {"email": "ana@example.co"}
    assert preference["expires"] is True
    expiry = dt.datetime.fromisoformat(preference["expiration_date_to"])
    assert abs(expiry - link.expires_at) < dt.timedelta(milliseconds=1)
    assert preference["back_urls"]["success"] == "https://fashionistas.co/gracias"
    assert preference["auto_return"] == "approved"
    assert preference["notification_url"] is None  # the dashboard webhook is preferred


async def test_create_link_refuses_bad_input(gateway: MercadoPagoGateway) -> None:
    with pytest.raises(ValueError):
        await _link(gateway, amount_cop=0)
    with pytest.raises(ValueError):
        await _link(gateway, expires_at=dt.datetime(2030, 1, 1))
    with pytest.raises(ValueError):
        await _link(gateway, reference="")


async def test_approved_payment_end_to_end(mp: MP, gateway: MercadoPagoGateway) -> None:
    link = await _link(gateway)
    payment = _pay(mp, link.link_id, outcome="approved")
    hook = _hook(mp, payment["id"])
    update = await gateway.parse_webhook(hook.headers, hook.query, hook.body)
    assert update.provider == "mercadopago"
    assert update.transaction_id == str(payment["id"])
    assert update.status == "approved" and update.status_detail == "accredited"
    assert update.amount_cop == 240_000 and update.currency == "COP"
    assert update.reference == "FSH-G1" and update.link_id == link.link_id
    assert update.method == "visa"
    assert update.raw["id"] == payment["id"]
    assert await gateway.fetch(str(payment["id"])) == update


async def test_declined_then_pending_then_approved(mp: MP, gateway: MercadoPagoGateway) -> None:
    link = await _link(gateway)
    declined = _pay(mp, link.link_id, outcome="rejected")
    hook = _hook(mp, declined["id"])
    update = await gateway.parse_webhook(hook.headers, hook.query, hook.body)
    assert update.status == "declined"
    assert update.status_detail == "cc_rejected_insufficient_amount"

    pending = _pay(mp, link.link_id, outcome="pending")
    hook = _hook(mp, pending["id"])
    update = await gateway.parse_webhook(hook.headers, hook.query, hook.body)
    assert (update.status, update.method) == ("pending", "pse")
    with mp.control() as control:
        control.post(f"/payments/{pending['id']}/approve?sync=1").raise_for_status()
    hook = _hook(mp, pending["id"], count=2)
    assert hook.payload["action"] == "payment.updated"
    update = await gateway.parse_webhook(hook.headers, hook.query, hook.body)
    assert update.status == "approved" and update.link_id == link.link_id


@pytest.mark.parametrize(
    ("status", "expected"),
    [("refunded", "refunded"), ("charged_back", "refunded"), ("cancelled", "voided")],
)
async def test_later_statuses(
    mp: MP, gateway: MercadoPagoGateway, status: str, expected: str
) -> None:
    link = await _link(gateway)
    payment = _pay(mp, link.link_id, outcome="approved")
    with mp.control() as control:
        control.post(f"/payments/{payment['id']}/status?sync=1", json={"status": status})
    hook = _hook(mp, payment["id"], count=2)
    update = await gateway.parse_webhook(hook.headers, hook.query, hook.body)
    assert update.status == expected


async def test_tampered_webhooks_are_refused(mp: MP, gateway: MercadoPagoGateway) -> None:
    link = await _link(gateway)
    payment = _pay(mp, link.link_id, outcome="approved")
    hook = _hook(mp, payment["id"])
    other = str(payment["id"] + 1)
    with pytest.raises(InvalidWebhookSignature):
        await gateway.parse_webhook(hook.headers, {**hook.query, "data.id": other}, hook.body)
    with pytest.raises(InvalidWebhookSignature):
        await gateway.parse_webhook({**hook.headers, "x-request-id": "x"}, hook.query, hook.body)
    with pytest.raises(InvalidWebhookSignature):
        await gateway.parse_webhook({}, hook.query, hook.body)
    swapped = json.dumps({**hook.payload, "data": {"id": other}}).encode()
    with pytest.raises(InvalidWebhookSignature):  # signature fine, body names another payment
        await gateway.parse_webhook(hook.headers, hook.query, swapped)
    wrong_secret = MercadoPagoGateway(gateway.client, webhook_secret="not-the-secret")
    with pytest.raises(InvalidWebhookSignature):
        await wrong_secret.parse_webhook(hook.headers, hook.query, hook.body)


def _signed(data_id: str, kind: str) -> tuple[dict[str, str], dict[str, str], bytes]:
    headers = {
        "X-Signature": sign_notification(WEBHOOK_SECRET, data_id, "req-1", 1_700_000_000),
        "X-Request-Id": "req-1",
    }
    body = json.dumps({"type": kind, "action": f"{kind}.updated", "data": {"id": data_id}})
    return headers, {"data.id": data_id, "type": kind}, body.encode()


async def test_other_types_and_unknown_payments_are_ignored(gateway: MercadoPagoGateway) -> None:
    with pytest.raises(IgnoredWebhook):
        await gateway.parse_webhook(*_signed("998877", "merchant_order"))
    with pytest.raises(IgnoredWebhook):  # the dashboard's "Simular" sends a made-up id
        await gateway.parse_webhook(*_signed("123456", "payment"))


async def test_deactivate_link_stops_payments(mp: MP, gateway: MercadoPagoGateway) -> None:
    link = await _link(gateway)
    await gateway.deactivate_link(link.link_id)
    with mp.control() as control:
        refused = control.post(f"/preferences/{link.link_id}/pay", json={"outcome": "approved"})
    assert refused.status_code == 400 and refused.json()["error"] == "preference_expired"
    with mp.api() as api:
        assert api.get(link.url).status_code == 410
    await gateway.deactivate_link("1-unknown")  # already gone: no error
