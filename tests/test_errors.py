"""Cloud API error envelopes (contract §7) mapped to typed, retry-aware errors."""

from __future__ import annotations

from typing import Any

import pytest

from bot.errors import (
    ProviderError,
    ProviderUnavailable,
    ReEngagementRequired,
    WhatsAppAuthError,
    WhatsAppError,
    WhatsAppInvalidRequest,
    WhatsAppRateLimited,
    WhatsAppTransient,
    WhatsAppUndeliverable,
    whatsapp_error_from,
)

TITLES = {
    0: "AuthException",
    4: "Application request limit reached",
    100: "Invalid parameter",
    190: "Access token has expired",
    80007: "Rate limit issues",
    130429: "Rate limit hit",
    130472: "User's number is part of an experiment",
    131000: "Something went wrong",
    131009: "Parameter value is not valid",
    131016: "Service unavailable",
    131021: "Recipient cannot be sender",
    131026: "Message undeliverable",
    131047: "Re-engagement message",
    131048: "Spam rate limit hit",
    131050: "User stopped marketing messages",
    131051: "Unsupported message type",
    131056: "(Business Account, Consumer Account) pair rate limit hit",
    131057: "Account in maintenance mode",
    132000: "Number of parameters does not match the expected number of params",
    132001: "Template does not exist",
}


def envelope(code: int | None, *, details: str | None = "details here") -> dict[str, Any]:
    """A §7.1 error envelope as Meta sends it."""
    error: dict[str, Any] = {
        "message": f"(#{code}) {TITLES.get(code or 0, 'Error')}",
        "type": "OAuthException",
        "fbtrace_id": "Az8or2yhqkZfEZ-_4Qn_Bam",
    }
    if code is not None:
        error["code"] = code
    if details is not None:
        error["error_data"] = {"messaging_product": "whatsapp", "details": details}
    return {"error": error}


@pytest.mark.parametrize(
    ("http_status", "code", "cls", "retryable"),
    [
        # rate limits: back off and retry
        (400, 130429, WhatsAppRateLimited, True),
        (400, 131056, WhatsAppRateLimited, True),
        (400, 4, WhatsAppRateLimited, True),
        (400, 80007, WhatsAppRateLimited, True),
        (400, 131048, WhatsAppRateLimited, True),
        (429, None, WhatsAppRateLimited, True),
        # outside the 24 h window: only a template may go
        (400, 131047, ReEngagementRequired, False),
        # auth: alert, never retry
        (401, 190, WhatsAppAuthError, False),
        (401, 0, WhatsAppAuthError, False),
        (400, 190, WhatsAppAuthError, False),
        (401, None, WhatsAppAuthError, False),
        # transient: retry later
        (500, 131000, WhatsAppTransient, True),
        (500, 131016, WhatsAppTransient, True),
        (500, 131057, WhatsAppTransient, True),
        (503, 131016, WhatsAppTransient, True),
        (500, None, WhatsAppTransient, True),
        (503, None, WhatsAppTransient, True),
        (502, None, WhatsAppTransient, True),
        (400, 131000, WhatsAppTransient, True),
        # the recipient cannot get it
        (400, 131026, WhatsAppUndeliverable, False),
        (400, 131021, WhatsAppUndeliverable, False),
        (400, 130472, WhatsAppUndeliverable, False),
        (400, 131050, WhatsAppUndeliverable, False),
        # our request is wrong
        (400, 100, WhatsAppInvalidRequest, False),
        (400, 131009, WhatsAppInvalidRequest, False),
        (400, 132000, WhatsAppInvalidRequest, False),
        (404, 132001, WhatsAppInvalidRequest, False),
        (400, 131051, WhatsAppInvalidRequest, False),
        (400, None, WhatsAppInvalidRequest, False),
    ],
)
def test_mapping(http_status: int, code: int | None, cls: type, retryable: bool) -> None:
    error = whatsapp_error_from(http_status, envelope(code))
    assert type(error) is cls
    assert error.retryable is retryable
    assert isinstance(error, WhatsAppError) and isinstance(error, ProviderError)
    assert error.code == code
    assert error.http_status == http_status


def test_rate_limit_wins_over_http_status() -> None:
    """A 130429 is a rate limit whatever status it came with."""
    assert type(whatsapp_error_from(500, envelope(130429))) is WhatsAppRateLimited
    assert type(whatsapp_error_from(401, envelope(131056))) is WhatsAppRateLimited


def test_re_engagement_wins_over_http_status() -> None:
    assert type(whatsapp_error_from(500, envelope(131047))) is ReEngagementRequired


def test_details_code_and_message_are_carried() -> None:
    body = envelope(130429, details="Message failed to send because there were too many messages")
    error = whatsapp_error_from(400, body)
    assert error.code == 130429
    assert error.details == "Message failed to send because there were too many messages"
    assert error.args[0] == "(#130429) Rate limit hit"
    assert error.raw == body
    assert str(error) == "(#130429) Rate limit hit code=130429 http=400"


def test_token_error_without_error_data() -> None:
    """190 usually comes without ``error_data`` (contract §7.1)."""
    error = whatsapp_error_from(401, envelope(190, details=None))
    assert isinstance(error, WhatsAppAuthError)
    assert error.details is None
    assert error.code == 190


@pytest.mark.parametrize(
    "body",
    [
        None,
        {},
        {"error": None},
        {"error": "Bad Gateway"},
        {"error": []},
        {"error": {"code": 131000, "error_data": "oops"}},
        ["not", "a", "dict"],
        "<html>502 Bad Gateway</html>",
    ],
)
def test_odd_bodies_still_map(body: Any) -> None:
    """A proxy's HTML page or a half envelope must still give a typed error, not a crash."""
    error = whatsapp_error_from(502, body)
    assert isinstance(error, WhatsAppTransient) and error.retryable
    assert error.http_status == 502
    assert isinstance(error.raw, dict)
    assert str(error)


def test_message_defaults_to_the_http_status() -> None:
    error = whatsapp_error_from(400, {"error": {"code": 100}})
    assert error.args[0] == "HTTP 400"
    assert isinstance(error, WhatsAppInvalidRequest)


def test_numeric_string_code_is_normalised() -> None:
    error = whatsapp_error_from(400, {"error": {"code": "131047", "message": "(#131047) x"}})
    assert isinstance(error, ReEngagementRequired)
    assert error.code == 131047


def test_never_retry_the_codes_the_contract_forbids() -> None:
    for code in (131026, 131047, 131051):
        assert not whatsapp_error_from(400, envelope(code)).retryable


def test_provider_unavailable_is_retryable() -> None:
    error = ProviderUnavailable("timeout", http_status=None)
    assert error.retryable
    assert error.raw == {}
    assert str(error) == "timeout"
