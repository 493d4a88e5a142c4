"""``HiEventsClient`` against the emulator over real HTTP: auth, checkout, retries."""

from __future__ import annotations

from datetime import timezone
from pathlib import Path

import pytest

from bot.clients.hi_events import HiEventsClient, parse_datetime
from bot.errors import (
    HiEventsAuthError,
    HiEventsConflict,
    HiEventsForbidden,
    HiEventsNotFound,
    HiEventsValidation,
    ProviderUnavailable,
)
from bot.sandbox.hi_events import HiEventsConfig
from bot.settings import Settings
from tests.hi_events.conftest import EMAIL, Hi, SleepRecorder, sandbox


async def _pending_order(client: HiEventsClient, quantity: int = 1) -> dict:
    order = await client.reserve(1, [(2, 102, quantity)])
    session = order["session_identifier"]
    await client.complete(
        1,
        order["short_id"],
        session,
        first_name="Sara",
        last_name="Gómez/Ruiz",
        email="sara@example.co",
        ticket_price_ids=[102] * quantity,
    )
    await client.await_offline_payment(1, order["short_id"], session)
    found = await client.find_order(1, order["public_id"])
    assert found is not None
    return found


async def test_lazy_login_and_one_relogin_after_revocation(hi: Hi, client: HiEventsClient) -> None:
    assert client.logins == 0
    await client.event(1)
    assert client.logins == 1
    await client.event(2)
    assert client.logins == 1
    sandbox(hi, "POST", "/tokens/revoke")
    event = await client.event(3)
    assert event["title"] == "Noche de Diseñadores Antioqueños"
    assert client.logins == 2


async def test_wrong_password_is_an_auth_error_without_retries(
    hi: Hi, sleeps: SleepRecorder
) -> None:
    wrong = HiEventsClient(base_url=hi.api_url, email=EMAIL, password="nope", sleep=sleeps)
    try:
        with pytest.raises(HiEventsAuthError):
            await wrong.event(1)
    finally:
        await wrong.aclose()
    assert sleeps.delays == []


async def test_reserve_to_paid_to_check_in(client: HiEventsClient) -> None:
    order = await client.reserve(1, [(2, 102, 2)])
    assert order["status"] == "RESERVED"
    session = order["session_identifier"]
    completed = await client.complete(
        1,
        order["short_id"],
        session,
        first_name="Sara",
        last_name="Gómez",
        email="sara@example.co",
        ticket_price_ids=[102, 102],
    )
    assert completed["payment_status"] == "AWAITING_PAYMENT"
    offline = await client.await_offline_payment(1, order["short_id"], session)
    assert offline["status"] == "AWAITING_OFFLINE_PAYMENT"
    public = await client.public_order(1, order["short_id"])
    assert len(public["attendees"]) == 2
    found = await client.find_order(1, order["public_id"])
    assert found is not None and found["status"] == "AWAITING_OFFLINE_PAYMENT"
    assert await client.find_order(1, "O-NOPE123") is None

    paid = await client.mark_paid(1, found["id"])
    assert (paid["status"], paid["payment_status"]) == ("COMPLETED", "PAYMENT_RECEIVED")
    again = await client.mark_paid(1, found["id"])  # a duplicate payment notification
    assert again["status"] == "COMPLETED"

    attendees = await client.attendees(1, found["id"])
    assert {a["status"] for a in attendees} == {"ACTIVE"}
    assert len(await client.attendees(1)) == 2
    short_id = (await client.check_in_lists(1))[0]["short_id"]
    first = await client.check_in(short_id, attendees[0]["public_id"])
    assert first.ok and first.reason is None
    assert first.checked_in_at is not None and first.checked_in_at.tzinfo == timezone.utc
    second = await client.check_in(short_id, attendees[0]["public_id"])
    assert not second.ok
    assert second.reason == "already_checked_in"
    assert second.checked_in_at == first.checked_in_at
    unknown = await client.check_in(short_id, "A-ZZZZZZZ")
    assert (unknown.ok, unknown.reason) == (False, "unknown")


async def test_cancel_is_idempotent_and_refusals_are_typed(client: HiEventsClient) -> None:
    pending = await _pending_order(client)
    cancelled = await client.cancel_order(1, pending["id"])
    assert cancelled["status"] == "CANCELLED"
    assert (await client.cancel_order(1, pending["id"]))["status"] == "CANCELLED"
    with pytest.raises(HiEventsConflict):
        await client.mark_paid(1, pending["id"])
    short_id = (await client.check_in_lists(1))[0]["short_id"]
    result = await client.check_in(short_id, pending["attendees"][0]["public_id"])
    assert result.reason == "cancelled"


async def test_validation_session_and_not_found_errors(client: HiEventsClient) -> None:
    with pytest.raises(HiEventsValidation) as too_many:
        await client.reserve(1, [(1, 101, 11)])
    assert "products.0" in too_many.value.errors
    order = await client.reserve(1, [(1, 101, 1)])
    with pytest.raises(HiEventsForbidden):
        await client.complete(
            1,
            order["short_id"],
            "not-my-session",
            first_name="Ana",
            last_name="Gómez",
            email="ana@example.co",
            ticket_price_ids=[101],
        )
    with pytest.raises(HiEventsNotFound):
        await client.public_event(42)


async def test_complete_retried_after_a_lost_answer_returns_the_order(
    hi: Hi, client: HiEventsClient, sleeps: SleepRecorder
) -> None:
    order = await client.reserve(1, [(1, 101, 1)])
    session = order["session_identifier"]
    kwargs = {
        "first_name": "Ana",
        "last_name": "Gómez",
        "email": "ana@example.co",
        "ticket_price_ids": [101],
    }
    await client.complete(1, order["short_id"], session, **kwargs)
    # The same call again (as after a timeout whose request did land): 409 → read back.
    again = await client.complete(1, order["short_id"], session, **kwargs)
    assert again["email"] == "ana@example.co"
    assert len(again["attendees"]) == 1


async def test_503_then_success_is_retried_with_backoff(
    hi: Hi, client: HiEventsClient, sleeps: SleepRecorder
) -> None:
    pending = await _pending_order(client)
    sandbox(
        hi, "POST", "/faults", json={"status": 503, "count": 2, "path_contains": "mark-as-paid"}
    )
    before = sandbox(hi, "GET", "/state").json()["requests"]
    paid = await client.mark_paid(1, pending["id"])
    after = sandbox(hi, "GET", "/state").json()
    assert paid["status"] == "COMPLETED"
    assert after["requests"] - before == 3  # three attempts of mark-as-paid
    assert after["faults"] == []
    assert len(sleeps.delays) == 2
    assert all(0 <= d <= client.backoff_base_s * 2 for d in sleeps.delays)


async def test_429_honours_retry_after(
    hi: Hi, client: HiEventsClient, sleeps: SleepRecorder
) -> None:
    sandbox(
        hi,
        "POST",
        "/faults",
        json={"status": 429, "count": 1, "path_contains": "/public/events/1", "retry_after": 7},
    )
    event = await client.public_event(1)
    assert event["id"] == 1
    assert sleeps.delays == [7.0]


async def test_persistent_5xx_and_timeouts_become_provider_unavailable(
    hi: Hi, sleeps: SleepRecorder
) -> None:
    sandbox(hi, "POST", "/faults", json={"status": 503, "count": 10, "path_contains": "/events/2"})
    client = HiEventsClient(
        base_url=hi.api_url, email=EMAIL, password="x", max_attempts=3, sleep=sleeps
    )
    try:
        with pytest.raises(ProviderUnavailable) as failed:
            await client.public_event(2)
        assert failed.value.http_status == 503
        assert len(sleeps.delays) == 2
        sandbox(hi, "DELETE", "/faults")
        sandbox(
            hi,
            "POST",
            "/faults",
            json={"status": "timeout", "count": 1, "path_contains": "/events/3"},
        )
        impatient = HiEventsClient(
            base_url=hi.api_url,
            email=EMAIL,
            password="x",
            max_attempts=2,
            timeout_s=0.2,
            sleep=sleeps,
        )
        try:
            event = await impatient.public_event(3)  # first attempt times out, second passes
            assert event["id"] == 3
        finally:
            await impatient.aclose()
    finally:
        await client.aclose()


async def test_create_webhook_returns_the_secret_once(client: HiEventsClient) -> None:
    hook = await client.create_webhook("http://127.0.0.1:9/hook", ["order.created"], organizer_id=1)
    assert len(hook["secret"]) == 32
    with pytest.raises(HiEventsValidation):
        await client.create_webhook("http://localhost/hook", ["order.created"], event_id=1)
    with pytest.raises(ValueError):
        await client.create_webhook("http://127.0.0.1/hook", ["order.created"])


def test_parse_datetime_formats() -> None:
    iso = parse_datetime("2026-12-12T01:00:00.000000Z")
    raw = parse_datetime("2026-12-12 01:00:00")
    offset = parse_datetime("2026-12-11T20:00:00-05:00")
    assert iso == raw == offset
    assert parse_datetime("mañana") is None
    assert parse_datetime(None) is None


async def test_client_and_emulator_agree_from_settings(tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path, sandbox_port=5999, action_port=5998)
    config = HiEventsConfig.from_settings(settings, order_timeout_min=5)
    client = HiEventsClient.from_settings(settings)
    try:
        assert client.base_url == "http://127.0.0.1:5999/hi-events/api"
        assert client.email == config.email
        assert client._password == config.password  # the same generated sandbox secret
    finally:
        await client.aclose()
    assert config.webhook_url == "http://127.0.0.1:5998/webhooks/hi-events"
    assert config.webhook_secret == settings.secret("hi_events_webhook_secret")
    assert config.allowed_internal_webhook_hosts == ("127.0.0.1",)
    assert config.order_timeout_min == 5
    assert config.password not in repr(config)  # no secrets in logs
    assert config.webhook_secret not in repr(config)
