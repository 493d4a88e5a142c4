"""The contract's vectors for both Wompi signature schemes, and error mapping."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest

from bot.clients.wompi import events_checksum, integrity_signature, verify_event
from bot.errors import (
    ProviderUnavailable,
    WompiAuthError,
    WompiNotFound,
    WompiRateLimited,
    WompiValidationError,
    wompi_error_from,
)
from bot.sandbox.wompi.events import build_event

VECTOR_SECRET = "prod_events_OcHnIzeBl5socpwByQ4hA52Em3USQ93Z"
VECTOR_CHECKSUM = "5A18EC5E8FDB7DF463E9F94774CBA8F583BA21BD04A09CEFF2EA68A4BC0AEFBE"


def vector_event() -> dict:
    return {
        "event": "transaction.updated",
        "data": {
            "transaction": {
                "id": "1234-1610641025-49201",
                "amount_in_cents": 4490000,
                "reference": "MZQ3X2DE2SMX",
                "status": "APPROVED",
            }
        },
        "environment": "prod",
        "signature": {
            "properties": ["transaction.id", "transaction.status", "transaction.amount_in_cents"],
            "checksum": VECTOR_CHECKSUM,
        },
        "timestamp": 1530291411,
        "sent_at": "2018-07-20T16:45:05.000Z",
    }


def test_integrity_signature_matches_the_docs_vector() -> None:
    signature = integrity_signature(
        "sk8-438k4-xmxm392-sn2m", 2490000, "COP", "prod_integrity_Z5mMke9x0k8gpErbDqwrJXMqsI6SFli6"
    )
    assert signature == "37c8407747e595535433ef8f6a811d853cd943046624a0ec04662b17bbf33bf5"


def test_integrity_signature_appends_expiration_before_the_secret() -> None:
    moment = dt.datetime(2026, 8, 1, 2, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    expected = hashlib.sha256(b"ref-1150000COP2026-08-01T07:30:00.000Zsecret").hexdigest()
    assert integrity_signature("ref-1", 150000, "COP", "secret", moment) == expected
    assert integrity_signature("ref-1", 150000, "COP", "secret", "2026-08-01T07:30:00.000Z") == (
        expected
    )


def test_events_checksum_matches_the_self_computed_vector() -> None:
    assert events_checksum(vector_event(), VECTOR_SECRET) == VECTOR_CHECKSUM
    assert verify_event(vector_event(), VECTOR_CHECKSUM.lower(), VECTOR_SECRET)
    assert verify_event(vector_event(), None, VECTOR_SECRET)


def test_properties_are_read_in_their_order_and_dynamically() -> None:
    event = vector_event()
    event["signature"]["properties"] = ["transaction.status", "transaction.reference"]
    material = "APPROVEDMZQ3X2DE2SMX1530291411" + VECTOR_SECRET
    event["signature"]["checksum"] = hashlib.sha256(material.encode()).hexdigest()
    assert verify_event(event, None, VECTOR_SECRET)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda e: e["data"]["transaction"].update(status="DECLINED"),
        lambda e: e["data"]["transaction"].update(amount_in_cents=100),
        lambda e: e.update(timestamp=1530291412),
        lambda e: e["signature"].update(checksum="0" * 64),
        lambda e: e["signature"].update(properties=["transaction.missing"]),
        lambda e: e.pop("signature"),
    ],
)
def test_tampered_events_are_refused(tamper) -> None:
    event = vector_event()
    tamper(event)
    assert not verify_event(event, None, VECTOR_SECRET)


def test_a_header_that_disagrees_with_the_body_is_refused() -> None:
    assert not verify_event(vector_event(), "A" * 64, VECTOR_SECRET)
    assert not verify_event(vector_event(), VECTOR_CHECKSUM, "test_events_other")


def test_emulator_and_client_compute_the_same_checksum() -> None:
    """Two independent implementations agree (the emulator does not import the client)."""
    body = build_event(
        "transaction.updated",
        {"id": "15113-1-00001", "status": "APPROVED", "amount_in_cents": 15_000_000},
        environment="test",
        secret="test_events_x",
        now=1_785_000_000.25,
    )
    assert body["timestamp"] == 1_785_000_000
    assert body["sent_at"] == "2026-07-25T17:20:00.250Z"
    assert body["signature"]["checksum"] == events_checksum(body, "test_events_x")
    assert body["signature"]["checksum"].isupper()


@pytest.mark.parametrize(
    ("status", "body", "cls"),
    [
        (401, {"error": {"type": "INVALID_ACCESS_TOKEN", "reason": "x"}}, WompiAuthError),
        (
            422,
            {"error": {"type": "INPUT_VALIDATION_ERROR", "messages": {"name": ["req"]}}},
            WompiValidationError,
        ),
        (404, {"error": {"type": "NOT_FOUND_ERROR", "reason": "x"}}, WompiNotFound),
        (429, None, WompiRateLimited),
        (503, {"error": {"type": "SERVICE_UNAVAILABLE"}}, ProviderUnavailable),
        (502, None, ProviderUnavailable),
    ],
)
def test_error_mapping(status: int, body: dict | None, cls: type) -> None:
    error = wompi_error_from(status, body)
    assert type(error) is cls
    assert error.http_status == status
    assert error.retryable == (cls in (WompiRateLimited, ProviderUnavailable))
    if cls is WompiValidationError:
        assert error.messages == {"name": ["req"]}
        assert error.error_type == "INPUT_VALIDATION_ERROR"
