"""The official ``mercadopago`` SDK (3.6.0) against the emulator, via ``sdk_for``.

If the real SDK can create a preference, read a payment and parse our errors, the
emulator speaks Mercado Pago's dialect and not only our client's idea of it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from mercadopago.errors.exceptions import MPAuthenticationError, MPNotFoundError

from bot.clients.mercadopago import verify_mp_signature
from bot.clients.mercadopago_sdk import EmulatorHttpClient, sdk_for
from bot.settings import Settings
from tests.mercadopago.helpers import (
    ACCESS_TOKEN,
    ALT_WEBHOOK_PATH,
    MP,
    WEBHOOK_SECRET,
    preference_body,
)


def _settings(mp: MP, tmp_path: Path, token: str = ACCESS_TOKEN) -> Settings:
    return Settings(
        state_dir=tmp_path,
        mercadopago_base_url=mp.api_url,
        mercadopago_access_token=token,
        mercadopago_webhook_secret=WEBHOOK_SECRET,
    )


def test_official_sdk_creates_a_preference_and_reads_payments(mp: MP, tmp_path: Path) -> None:
    sdk = sdk_for(_settings(mp, tmp_path))
    created = sdk.preference().create(preference_body(reference="FSH-SDK"))
    assert created["status"] == 201, created
    preference = created["response"]
    assert preference["init_point"].endswith(f"/mercadopago/checkout/pay/{preference['id']}")
    assert sdk.preference().get(preference["id"])["response"]["external_reference"] == "FSH-SDK"

    with mp.control() as control:
        paid = control.post(f"/preferences/{preference['id']}/pay", json={"outcome": "approved"})
    payment_id = paid.json()["payment"]["id"]
    payment = sdk.payment().get(payment_id)
    assert payment.is_success and payment["response"]["status"] == "approved"
    assert payment["response"]["external_reference"] == "FSH-SDK"
    found = sdk.payment().search({"external_reference": "FSH-SDK"})
    assert [p["id"] for p in found["response"]["results"]] == [payment_id]
    assert list(sdk.payment().search_auto_paging_iter({"external_reference": "FSH-SDK"}))
    order = sdk.merchant_order().get(payment["response"]["order"]["id"])
    assert order["response"]["preference_id"] == preference["id"]


def test_official_sdk_typed_errors(mp: MP, tmp_path: Path) -> None:
    bad = sdk_for(_settings(mp, tmp_path, token="TEST-wrong"))
    answer = bad.payment().get(1)
    assert answer["status"] == 401 and answer.error_message == "invalid access token"
    with pytest.raises(MPAuthenticationError):
        answer.raise_for_status()
    with pytest.raises(MPNotFoundError):
        sdk_for(_settings(mp, tmp_path)).payment().get(987654).raise_for_status()
    invalid = sdk_for(_settings(mp, tmp_path)).preference().create({"items": []})
    assert invalid["status"] == 400 and invalid.error_causes


def test_notification_url_is_deprecated_by_the_sdk_but_honoured(mp: MP, tmp_path: Path) -> None:
    sdk = sdk_for(_settings(mp, tmp_path))
    alt = mp.receiver_url + ALT_WEBHOOK_PATH
    with pytest.warns(DeprecationWarning):
        created = sdk.preference().create(preference_body(notification_url=alt))
    pref_id = created["response"]["id"]
    with mp.control() as control:
        paid = control.post(f"/preferences/{pref_id}/pay?sync=1", json={"outcome": "approved"})
    payment_id = paid.json()["payment"]["id"]
    [hook] = mp.receiver.for_payment(payment_id)
    assert hook.path == ALT_WEBHOOK_PATH
    assert verify_mp_signature(hook.signature, hook.request_id, str(payment_id), WEBHOOK_SECRET)


def test_emulator_http_client_rewrites_the_api_prefix(mp: MP) -> None:
    client = EmulatorHttpClient(mp.api_url + "/")
    answer = client.request(
        "GET", "https://api.mercadopago.com/v1/payments/1", headers={"Authorization": "Bearer x"}
    )
    assert answer == {
        "status": 401,
        "response": {
            "message": "invalid access token",
            "error": "unauthorized",
            "status": 401,
            "cause": [
                {
                    "code": "invalid_token",
                    "description": "the Bearer token is missing or not valid",
                    "data": None,
                }
            ],
        },
    }
