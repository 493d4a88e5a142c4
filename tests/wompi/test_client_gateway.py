"""``WompiClient`` and ``WompiGateway`` against the emulator over real HTTP."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import httpx
import pytest

from bot.clients.wompi import WompiClient
from bot.errors import (
    ProviderUnavailable,
    WompiAuthError,
    WompiNotFound,
    WompiValidationError,
)
from bot.payments.base import IgnoredWebhook, InvalidWebhookSignature, PaymentGateway
from bot.payments.wompi import WompiGateway
from bot.settings import Settings
from tests.wompi.conftest import (
    EVENTS_SECRET,
    INTEGRITY_SECRET,
    PRIVATE_KEY,
    PUBLIC_KEY,
    Wompi,
    pay,
)


class Sleeps:
    """Records backoff delays instead of sleeping (keeps the suite fast)."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
async def client(wompi: Wompi, sleeps: Sleeps) -> AsyncIterator[WompiClient]:
    wompi_client = WompiClient(
        base_url=wompi.api_url,
        public_key=PUBLIC_KEY,
        private_key=PRIVATE_KEY,
        timeout_s=0.4,
        max_attempts=4,
        backoff_base_s=0.2,
        sleep=sleeps,
    )
    yield wompi_client
    await wompi_client.aclose()


def _settings(wompi: Wompi, tmp_path) -> Settings:
    return Settings(
        state_dir=tmp_path,
        sandbox_port=wompi.port,
        wompi_public_key=PUBLIC_KEY,
        wompi_private_key=PRIVATE_KEY,
        wompi_events_secret=EVENTS_SECRET,
        wompi_integrity_secret=INTEGRITY_SECRET,
        payments_max_attempts=2,
    )


async def test_client_link_lifecycle(client: WompiClient) -> None:
    expires = dt.datetime.now(dt.timezone(dt.timedelta(hours=-5))) + dt.timedelta(minutes=30)
    link = await client.create_payment_link(
        name="Entradas",
        description="2 entradas General",
        amount_in_cents=15_000_000,
        expires_at=expires,
        sku="FW-1",
    )
    assert link["expires_at"].endswith("Z")
    assert dt.datetime.fromisoformat(link["expires_at"].replace("Z", "+00:00")) == expires.replace(
        microsecond=expires.microsecond // 1000 * 1000
    )
    assert (await client.get_payment_link(link["id"]))["sku"] == "FW-1"
    assert (await client.deactivate_payment_link(link["id"]))["active"] is False
    with pytest.raises(WompiNotFound):
        await client.get_payment_link("zzzzzz")
    merchant = await client.merchant()
    assert merchant["presigned_acceptance"]["acceptance_token"]


async def test_client_validation_and_auth_errors(wompi: Wompi, sleeps: Sleeps) -> None:
    async with httpx.AsyncClient(timeout=5) as http:
        good = WompiClient(
            base_url=wompi.api_url, public_key=PUBLIC_KEY, private_key=PRIVATE_KEY, http=http
        )
        with pytest.raises(WompiValidationError) as caught:
            await good.create_payment_link(
                name="", description="d", amount_in_cents=0, sku="x" * 40
            )
        assert {"name", "amount_in_cents", "sku"} <= set(caught.value.messages)
        wrong = WompiClient(
            base_url=wompi.api_url,
            public_key=PUBLIC_KEY,
            private_key=PUBLIC_KEY,  # a public key where a private one is needed
            http=http,
            sleep=sleeps,
        )
        with pytest.raises(WompiAuthError) as auth:
            await wrong.create_payment_link(name="n", description="d", amount_in_cents=100)
        assert auth.value.error_type == "INVALID_ACCESS_TOKEN"
        await good.aclose()  # injected client: not closed by us
        assert not http.is_closed
    assert sleeps.delays == []  # nothing retried


async def test_client_retries_an_injected_503(
    wompi: Wompi, http: httpx.Client, client: WompiClient, sleeps: Sleeps
) -> None:
    http.post(
        "/wompi/_sandbox/faults", json={"status": 503, "count": 2, "path_contains": "payment_links"}
    )
    link = await client.create_payment_link(name="n", description="d", amount_in_cents=100_00)
    assert link["id"]
    assert len(sleeps.delays) == 2
    assert 0 <= sleeps.delays[0] <= 0.2 and 0 <= sleeps.delays[1] <= 0.4  # full jitter caps
    assert len(wompi.emulator.links) == 1


async def test_client_gives_up_with_provider_unavailable(
    http: httpx.Client, client: WompiClient, sleeps: Sleeps
) -> None:
    http.post("/wompi/_sandbox/faults", json={"status": 500, "count": 10})
    with pytest.raises(ProviderUnavailable) as caught:
        await client.merchant()
    assert caught.value.http_status == 500
    assert len(sleeps.delays) == 3  # 4 attempts


async def test_client_retries_a_timeout(
    http: httpx.Client, client: WompiClient, sleeps: Sleeps
) -> None:
    http.post("/wompi/_sandbox/faults", json={"status": "timeout", "count": 1})
    merchant = await client.merchant()
    assert merchant["public_key"] == PUBLIC_KEY
    assert len(sleeps.delays) == 1


async def test_transactions_by_reference_and_void(http: httpx.Client, client: WompiClient) -> None:
    link = await client.create_payment_link(name="n", description="d", amount_in_cents=5_000_00)
    tx = pay(http, link["id"], method="CARD", number="4242424242424242").json()["data"]
    [found] = await client.transactions_by_reference(tx["reference"])
    assert found["id"] == tx["id"]
    assert await client.transactions_by_reference("nothing-here") == []
    voided = await client.void(tx["id"])
    assert voided["status"] == "VOIDED"
    with pytest.raises(WompiValidationError):
        await client.void(tx["id"])


async def test_gateway_end_to_end(wompi: Wompi, http: httpx.Client, tmp_path) -> None:
    settings = _settings(wompi, tmp_path)
    gateway: PaymentGateway = WompiGateway.from_settings(settings)  # structural check (mypy)
    assert gateway.name == "wompi"
    try:
        expires = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=30)
        link = await gateway.create_link(
            reference="FW26-ABC123",
            amount_cop=150_000,
            description="2 entradas General · Fashion Week Medellín",
            buyer_email="ana@example.com",
            expires_at=expires,
            redirect_url="https://fashionistas.co/gracias",
        )
        assert link.provider == "wompi"
        assert link.url == f"{wompi.base_url}/wompi/checkout/l/{link.link_id}"
        assert link.amount_cop == 150_000 and link.reference == "FW26-ABC123"
        stored = http.get(f"/wompi/v1/payment_links/{link.link_id}").json()["data"]
        assert stored["amount_in_cents"] == 15_000_000
        assert stored["sku"] == "FW26-ABC123" and stored["single_use"] is True
        page = http.get(link.url.replace(wompi.base_url, ""))
        assert "$150.000" in page.text

        pay(http, link.link_id, method="NEQUI", phone="3992222222")
        pay(http, link.link_id, method="PSE", bank="1")
        items = wompi.receiver.wait_for(lambda items: len(items) == 2)
        updates = [
            await gateway.parse_webhook(
                {"X-Event-Checksum": c.checksum_header or "", "Content-Type": "application/json"},
                {},
                c.body,
            )
            for c in items
        ]
        assert [u.status for u in updates] == ["declined", "approved"]
        approved = updates[1]
        assert approved.link_id == link.link_id
        assert approved.amount_cop == 150_000 and approved.currency == "COP"
        assert approved.method == "PSE"
        assert approved.raw["data"]["transaction"]["amount_in_cents"] == 15_000_000

        fetched = await gateway.fetch(approved.transaction_id)
        assert fetched.status == "approved" and fetched.link_id == link.link_id
        declined = await gateway.fetch(updates[0].transaction_id)
        assert declined.status_detail

        # Tampering: the body says APPROVED for the declined one.
        forged = items[0].body.replace(b'"DECLINED"', b'"APPROVED"')
        with pytest.raises(InvalidWebhookSignature):
            await gateway.parse_webhook({"x-event-checksum": items[0].checksum_header}, {}, forged)
        with pytest.raises(InvalidWebhookSignature):
            await gateway.parse_webhook({"x-event-checksum": "A" * 64}, {}, items[0].body)
        with pytest.raises(InvalidWebhookSignature):
            await gateway.parse_webhook({}, {}, b"not json")

        await gateway.deactivate_link(link.link_id)
        await gateway.deactivate_link("zzzzzz")  # unknown: already stopped, no error
        assert http.get(f"/wompi/v1/payment_links/{link.link_id}").json()["data"]["active"] is False
    finally:
        await gateway.aclose()


async def test_gateway_ignores_other_events_and_checks_input(wompi: Wompi, tmp_path) -> None:
    import hashlib
    import json

    gateway = WompiGateway.from_settings(_settings(wompi, tmp_path))
    try:
        event = {
            "event": "nequi_token.updated",
            "data": {"nequi_token": {"id": "nequi_test_1", "status": "APPROVED"}},
            "environment": "test",
            "signature": {"properties": ["nequi_token.id", "nequi_token.status"]},
            "timestamp": 1_785_000_000,
            "sent_at": "2026-07-25T17:20:00.000Z",
        }
        material = "nequi_test_1APPROVED1785000000" + EVENTS_SECRET
        event["signature"]["checksum"] = hashlib.sha256(material.encode()).hexdigest().upper()
        with pytest.raises(IgnoredWebhook):
            await gateway.parse_webhook({}, {}, json.dumps(event).encode())
        with pytest.raises(ValueError):
            await gateway.create_link(
                reference="R" * 37, amount_cop=1, description="d", buyer_email=None, expires_at=None
            )
        with pytest.raises(ValueError):
            await gateway.create_link(
                reference="R1",
                amount_cop=1000,
                description="d",
                buyer_email=None,
                expires_at=dt.datetime(2030, 1, 1),  # naive: refused
            )
    finally:
        await gateway.aclose()


def test_odd_centavos_floor_to_pesos_and_keep_the_raw() -> None:
    gateway = WompiGateway(
        WompiClient(base_url="http://127.0.0.1:9", public_key="p", private_key="k"),
        events_secret="s",
        checkout_base="http://x/wompi/checkout",
    )
    update = gateway._update(
        {"id": "1-2-3", "status": "VOIDED", "amount_in_cents": 15_000_050, "currency": "COP"},
        raw={"amount_in_cents": 15_000_050},
    )
    assert update.amount_cop == 150_000 and update.status == "voided"
    assert update.raw["amount_in_cents"] == 15_000_050
