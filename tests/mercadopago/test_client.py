"""``MercadoPagoClient`` against the running emulator, and the webhook verifier."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from bot.clients.mercadopago import MercadoPagoClient, mp_manifest, verify_mp_signature
from bot.errors import (
    MercadoPagoAuthError,
    MercadoPagoNotFound,
    MercadoPagoValidationError,
    ProviderUnavailable,
)
from bot.sandbox.mercadopago.emulator import sign_notification
from tests.mercadopago.helpers import ACCESS_TOKEN, MP, preference_body

#: The contract's self-computed vector (§2, Webhooks).
VECTOR = {
    "secret": "your_secret",
    "data_id": "123456",
    "request_id": "bb56a2f1-6aae-46ac-982e-9dcd3581d08e",
    "ts": "1704908010",
    "v1": "31dbc5cd206ed364535e29be5ac67e763d0a384947bf6a2fe29ae09c9ff247ab",
}


class Sleeps:
    """Records backoff delays instead of waiting them."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


class LoseFirstAnswer(httpx.AsyncBaseTransport):
    """Forwards every request, but drops the first POST's answer (a timeout after commit)."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.keys: list[str | None] = []
        self.dropped = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.method == "POST":
            self.keys.append(request.headers.get("x-idempotency-key"))
            if not self.dropped:
                self.dropped = True
                await response.aread()
                await response.aclose()
                raise httpx.ReadError("connection reset after the server committed")
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


def _client(mp: MP, token: str = ACCESS_TOKEN, **kwargs: Any) -> MercadoPagoClient:
    return MercadoPagoClient(base_url=mp.api_url, access_token=token, backoff_base_s=0.01, **kwargs)


@pytest.fixture
async def client(mp: MP) -> AsyncIterator[MercadoPagoClient]:
    sleeps = Sleeps()
    async with httpx.AsyncClient(trust_env=False, timeout=10) as http:
        yield _client(mp, http=http, sleep=sleeps)


def test_contract_vector() -> None:
    manifest = mp_manifest(VECTOR["data_id"], VECTOR["request_id"], VECTOR["ts"])
    assert manifest == f"id:123456;request-id:{VECTOR['request_id']};ts:1704908010;"
    header = f"ts={VECTOR['ts']},v1={VECTOR['v1']}"
    assert verify_mp_signature(header, VECTOR["request_id"], VECTOR["data_id"], VECTOR["secret"])
    spaced = f" v1={VECTOR['v1']} , ts={VECTOR['ts']} "
    assert verify_mp_signature(spaced, VECTOR["request_id"], VECTOR["data_id"], VECTOR["secret"])


@pytest.mark.parametrize(
    ("header", "request_id", "data_id", "secret"),
    [
        (f"ts={VECTOR['ts']},v1={VECTOR['v1']}", VECTOR["request_id"], "123457", "your_secret"),
        (f"ts={VECTOR['ts']},v1={VECTOR['v1']}", VECTOR["request_id"], "123456", "other"),
        (f"ts=1704908011,v1={VECTOR['v1']}", VECTOR["request_id"], "123456", "your_secret"),
        (f"ts={VECTOR['ts']},v1={VECTOR['v1']}", None, "123456", "your_secret"),
        (f"v1={VECTOR['v1']}", VECTOR["request_id"], "123456", "your_secret"),
        (f"ts={VECTOR['ts']}", VECTOR["request_id"], "123456", "your_secret"),
        ("garbage", VECTOR["request_id"], "123456", "your_secret"),
        (None, VECTOR["request_id"], "123456", "your_secret"),
        (f"ts={VECTOR['ts']},v1=ñ{VECTOR['v1']}", VECTOR["request_id"], "123456", "your_secret"),
        (f"ts={VECTOR['ts']},v1={VECTOR['v1']}", VECTOR["request_id"], "123456", ""),
    ],
)
def test_verifier_refuses(
    header: str | None, request_id: str | None, data_id: str, secret: str
) -> None:
    assert not verify_mp_signature(header, request_id, data_id, secret)


def test_manifest_lowercases_alphanumeric_ids_and_drops_absent_pairs() -> None:
    assert mp_manifest("ABC123", "r", "1") == "id:abc123;request-id:r;ts:1;"
    assert mp_manifest("AB-12", "r", "1") == "id:AB-12;request-id:r;ts:1;"
    assert mp_manifest(None, None, "1") == "ts:1;"
    header = sign_notification("s", "ORD01ABC", "req", 1700000000)
    assert verify_mp_signature(header, "req", "ORD01ABC", "s")


async def test_preference_payment_search_and_merchant_order(
    mp: MP, client: MercadoPagoClient
) -> None:
    created = await client.create_preference(preference_body(reference="FSH-C1"))
    assert (await client.get_preference(created["id"]))["external_reference"] == "FSH-C1"
    with mp.control() as control:
        for outcome in ("rejected", "approved"):
            control.post(f"/preferences/{created['id']}/pay", json={"outcome": outcome})
    payments = await client.search_payments("FSH-C1", limit=1)  # two pages
    assert [p["status"] for p in payments] == ["rejected", "approved"]
    payment = await client.get_payment(payments[1]["id"])
    assert payment["status"] == "approved"
    order = await client.get_merchant_order(payment["order"]["id"])
    assert order["preference_id"] == created["id"]
    assert await client.search_payments("nothing-here") == []


async def test_typed_errors(mp: MP, client: MercadoPagoClient) -> None:
    with pytest.raises(MercadoPagoValidationError) as invalid:
        await client.create_preference({"items": []})
    assert invalid.value.http_status == 400
    assert invalid.value.error == "invalid_items" and invalid.value.causes
    with pytest.raises(MercadoPagoNotFound):
        await client.get_payment(424242)
    async with httpx.AsyncClient(trust_env=False) as http:
        bad = _client(mp, token="TEST-nope", http=http)
        with pytest.raises(MercadoPagoAuthError) as auth:
            await bad.get_payment(1)
    assert auth.value.http_status == 401 and not auth.value.retryable


async def test_retries_injected_503_then_succeeds(mp: MP) -> None:
    with mp.control() as control:
        control.post(
            "/faults", json={"status": 503, "count": 2, "path_contains": "/checkout/preferences"}
        )
    sleeps = Sleeps()
    async with httpx.AsyncClient(trust_env=False) as http:
        created = await _client(mp, http=http, sleep=sleeps).create_preference(preference_body())
    assert created["id"] in mp.emulator.preferences
    assert len(sleeps.delays) == 2
    assert all(0 <= d <= 0.02 for d in sleeps.delays)  # full jitter under base·2ⁿ


async def test_gives_up_with_provider_unavailable(mp: MP) -> None:
    with mp.control() as control:
        control.post("/faults", json={"status": 503, "count": 10})
    sleeps = Sleeps()
    async with httpx.AsyncClient(trust_env=False) as http:
        client = _client(mp, http=http, sleep=sleeps, max_attempts=3)
        with pytest.raises(ProviderUnavailable) as error:
            await client.get_payment(1)
    assert error.value.http_status == 503 and error.value.retryable
    assert len(sleeps.delays) == 2


async def test_lost_answer_is_retried_with_the_same_idempotency_key(mp: MP) -> None:
    transport = LoseFirstAnswer()
    async with httpx.AsyncClient(transport=transport, trust_env=False) as http:
        client = _client(mp, http=http, sleep=Sleeps())
        created = await client.create_preference(preference_body(reference="FSH-ONCE"))
    assert len(transport.keys) == 2 and transport.keys[0] == transport.keys[1]
    assert list(mp.emulator.preferences) == [created["id"]]  # one preference, not two


async def test_network_error_is_provider_unavailable() -> None:
    async with httpx.AsyncClient(trust_env=False) as http:
        client = MercadoPagoClient(
            base_url="http://127.0.0.1:9/mercadopago",
            access_token=ACCESS_TOKEN,
            http=http,
            max_attempts=2,
            sleep=Sleeps(),
        )
        with pytest.raises(ProviderUnavailable):
            await client.get_payment(1)
