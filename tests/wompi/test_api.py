"""The emulated REST API over real HTTP: links, auth, transactions, void, merchant, faults."""

from __future__ import annotations

import datetime as dt
import re
import time

import httpx
import pytest

from bot.sandbox.wompi import WompiConfig
from bot.settings import Settings
from tests.wompi.conftest import (
    PRIVATE_KEY,
    PUBLIC_KEY,
    Wompi,
    create_link,
    link_body,
    pay,
    private_headers,
    public_headers,
)


def test_create_link_echoes_fields_with_a_short_id(wompi: Wompi, http: httpx.Client) -> None:
    expires = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=30)).replace(microsecond=0)
    data = create_link(
        http, expires_at=expires.strftime("%Y-%m-%dT%H:%M:%SZ"), redirect_url="https://x.co/ok"
    )
    assert re.fullmatch(r"[A-Za-z0-9]{6}", data["id"])
    assert data["amount_in_cents"] == 15_000_000
    assert data["currency"] == "COP"
    assert data["single_use"] is True and data["collect_shipping"] is False
    assert data["active"] is True
    assert data["sku"] == "FW-2026-0001"
    assert data["redirect_url"] == "https://x.co/ok"
    assert data["expires_at"] == expires.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    assert data["created_at"].endswith("Z")
    # GET needs no key.
    fetched = http.get(f"/wompi/v1/payment_links/{data['id']}")
    assert fetched.status_code == 200
    assert fetched.json()["data"] == data


def test_validation_errors_list_every_field(http: httpx.Client) -> None:
    body = link_body(
        name=None,
        single_use="yes",
        currency="USD",
        amount_in_cents=-5,
        sku="x" * 37,
        expires_at="2026-08-01T10:00:00-05:00",
        colour="red",
    )
    del body["collect_shipping"]
    response = http.post("/wompi/v1/payment_links", json=body, headers=private_headers())
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["type"] == "INPUT_VALIDATION_ERROR"
    assert set(error["messages"]) == {
        "name",
        "single_use",
        "collect_shipping",
        "currency",
        "amount_in_cents",
        "sku",
        "expires_at",
        "colour",
    }
    assert all(isinstance(m, list) and m for m in error["messages"].values())


def test_past_expiry_and_bad_json_are_refused(http: httpx.Client) -> None:
    past = link_body(expires_at="2020-01-01T00:00:00Z")
    response = http.post("/wompi/v1/payment_links", json=past, headers=private_headers())
    assert response.status_code == 422
    assert "expires_at" in response.json()["error"]["messages"]
    response = http.post(
        "/wompi/v1/payment_links",
        content=b"{nope",
        headers={**private_headers(), "Content-Type": "application/json"},
    )
    assert response.status_code == 422


@pytest.mark.parametrize(
    ("authorization", "reason_part"),
    [
        (None, "Bearer"),
        (f"Bearer {PUBLIC_KEY}", "privada"),
        ("Bearer prv_prod_abcdef", "ambiente"),
        ("Bearer prv_test_wrong", "no es válida"),
        (f"Basic {PRIVATE_KEY}", "Bearer"),
    ],
)
def test_private_routes_refuse_bad_keys(
    http: httpx.Client, authorization: str | None, reason_part: str
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = http.post("/wompi/v1/payment_links", json=link_body(), headers=headers)
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["type"] == "INVALID_ACCESS_TOKEN"
    assert reason_part in error["reason"]


def test_deactivate_and_reactivate(http: httpx.Client) -> None:
    link = create_link(http)
    url = f"/wompi/v1/payment_links/{link['id']}"
    assert http.patch(url, json={"active": False}, headers=public_headers()).status_code == 401
    response = http.patch(url, json={"active": False}, headers=private_headers())
    assert response.status_code == 200
    assert response.json()["data"]["active"] is False
    bad = http.patch(url, json={"active": "no", "name": "x"}, headers=private_headers())
    assert bad.status_code == 422
    assert http.get("/wompi/v1/payment_links/nope00").json()["error"]["type"] == "NOT_FOUND_ERROR"


def test_transactions_need_the_right_key(http: httpx.Client) -> None:
    link = create_link(http)
    tx = pay(http, link["id"], method="NEQUI", phone="3991111111").json()["data"]
    url = f"/wompi/v1/transactions/{tx['id']}"
    assert http.get(url).status_code == 401
    for headers in (public_headers(), private_headers()):
        data = http.get(url, headers=headers).json()["data"]
        assert data["status"] == "APPROVED"
        assert data["payment_link_id"] == link["id"]
        assert data["finalized_at"]
    # Search by reference needs the private key.
    search = "/wompi/v1/transactions"
    params = {"reference": tx["reference"]}
    assert http.get(search, params=params, headers=public_headers()).status_code == 401
    found = http.get(search, params=params, headers=private_headers()).json()["data"]
    assert [t["id"] for t in found] == [tx["id"]]
    assert http.get(search, headers=private_headers()).status_code == 422
    missing = http.get("/wompi/v1/transactions/1-2-3", headers=public_headers())
    assert missing.status_code == 404


def test_void_only_approved_cards(wompi: Wompi, http: httpx.Client) -> None:
    card = pay(http, create_link(http)["id"], method="CARD", number="4242424242424242")
    nequi = pay(http, create_link(http)["id"], method="NEQUI", phone="3991111111")
    card_id, nequi_id = card.json()["data"]["id"], nequi.json()["data"]["id"]
    assert (
        http.post(f"/wompi/v1/transactions/{card_id}/void", headers=public_headers()).status_code
        == 401
    )
    refused = http.post(f"/wompi/v1/transactions/{nequi_id}/void", headers=private_headers())
    assert refused.status_code == 422
    voided = http.post(f"/wompi/v1/transactions/{card_id}/void", headers=private_headers())
    assert voided.status_code == 200
    assert voided.json()["data"]["status"] == "VOIDED"
    events = wompi.receiver.wait_for(
        lambda items: any(c.payload["data"]["transaction"]["status"] == "VOIDED" for c in items)
    )
    assert any(c.payload["data"]["transaction"]["id"] == card_id for c in events)


def test_merchant_and_banks(http: httpx.Client) -> None:
    data = http.get(f"/wompi/v1/merchants/{PUBLIC_KEY}").json()["data"]
    assert data["name"] == "Fashionistas Medellín"
    assert data["presigned_acceptance"]["type"] == "END_USER_POLICY"
    assert data["presigned_acceptance"]["acceptance_token"].count(".") == 2
    assert data["presigned_personal_data_auth"]["type"] == "PERSONAL_DATA_AUTH"
    assert http.get("/wompi/v1/merchants/pub_test_unknown").status_code == 404
    assert http.get("/wompi/v1/merchants/pub_prod_x").status_code == 401
    banks = http.get("/wompi/v1/pse/financial_institutions", headers=public_headers()).json()
    assert [b["financial_institution_code"] for b in banks["data"]] == ["1", "2"]


def test_faults_hit_matching_api_calls_only(http: httpx.Client) -> None:
    fault = {"status": 503, "count": 2, "path_contains": "payment_links"}
    assert http.post("/wompi/_sandbox/faults", json=fault).status_code == 201
    assert http.get(f"/wompi/v1/merchants/{PUBLIC_KEY}").status_code == 200  # not matching
    for _ in range(2):
        response = http.post("/wompi/v1/payment_links", json=link_body(), headers=private_headers())
        assert response.status_code == 503
        assert response.json()["error"]["type"] == "SERVICE_UNAVAILABLE"
    assert (
        http.post(
            "/wompi/v1/payment_links", json=link_body(), headers=private_headers()
        ).status_code
        == 201
    )
    http.post("/wompi/_sandbox/faults", json={"status": 500, "count": 5})
    assert http.get("/wompi/_sandbox/faults").json()["data"][0]["remaining"] == 5
    assert http.delete("/wompi/_sandbox/faults").json()["data"] == []
    bad = http.post("/wompi/_sandbox/faults", json={"status": 200})
    assert bad.status_code == 422


def test_timeout_fault_holds_the_request(wompi: Wompi, http: httpx.Client) -> None:
    http.post("/wompi/_sandbox/faults", json={"status": "timeout", "count": 1})
    started = time.monotonic()
    response = http.get(f"/wompi/v1/merchants/{PUBLIC_KEY}")
    assert response.status_code == 504
    assert time.monotonic() - started >= wompi.config.fault_timeout_s * 0.9


def test_config_from_settings_uses_generated_test_keys(tmp_path) -> None:
    settings = Settings(state_dir=tmp_path, action_port=5999, sandbox_port=5998)
    config = WompiConfig.from_settings(settings, settle_delay_s=0.01)
    assert config.public_key.startswith("pub_test_")
    assert config.private_key.startswith("prv_test_")
    assert config.events_secret.startswith("test_events_")
    assert config.integrity_secret.startswith("test_integrity_")
    assert config.events_url == "http://127.0.0.1:5999/webhooks/wompi"
    assert config.checkout_base_url == "http://127.0.0.1:5998/wompi/checkout"
    assert config.webhook_retry_delays_s == [2.0, 10.0, 30.0]
    assert config.settle_delay_s == 0.01
    assert "private_key" not in config.public_view()
