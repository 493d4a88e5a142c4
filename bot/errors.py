"""Domain errors raised by the clients.

Every client funnels its HTTP calls through one function that turns provider
answers into these typed errors, carrying the provider's code and whether a
retry can help, so callers decide by type and never by parsing strings.
"""

from __future__ import annotations

from typing import Any


class ProviderError(Exception):
    """An outside system refused or failed a request."""

    retryable: bool = False

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        http_status: int | None = None,
        details: str | None = None,
        raw: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.http_status = http_status
        self.details = details
        self.raw = raw or {}

    def __str__(self) -> str:
        code = f" code={self.code}" if self.code is not None else ""
        status = f" http={self.http_status}" if self.http_status is not None else ""
        return f"{self.args[0]}{code}{status}"


class ProviderUnavailable(ProviderError):
    """Network error, timeout or 5xx: the same request may succeed later."""

    retryable = True


class WhatsAppError(ProviderError):
    """An error in the Cloud API envelope (``{"error": {...}}``)."""


class WhatsAppRateLimited(WhatsAppError):
    """130429 throughput, 131056 pair rate, 4/80007 app or WABA limits: back off."""

    retryable = True


class WhatsAppTransient(WhatsAppError):
    """131000 unknown, 131016 unavailable, 131057 maintenance: retry later."""

    retryable = True


class ReEngagementRequired(WhatsAppError):
    """131047: more than 24 h since the user's last message; only a template may go."""


class WhatsAppAuthError(WhatsAppError):
    """0/190: token invalid or expired. Retrying cannot help; alert an operator."""


class WhatsAppInvalidRequest(WhatsAppError):
    """100/131008/131009/132xxx: our request is wrong; fix the code, not the network."""


class WhatsAppUndeliverable(WhatsAppError):
    """131026/131021/131050/130472: the recipient cannot get this message."""


_RATE = {4, 80007, 130429, 131048, 131056}
_TRANSIENT = {1, 2, 131000, 131016, 131057}
_AUTH = {0, 190}
_UNDELIVERABLE = {130472, 131021, 131026, 131050, 131049}


def whatsapp_error_from(http_status: int, body: dict[str, Any] | None) -> WhatsAppError:
    """Map a Cloud API error envelope to the matching error class."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):  # a proxy's HTML page, ``{"error": "..."}``, no body
        error = {}
    code = error.get("code")
    if isinstance(code, str) and code.strip().isdigit():
        code = int(code)
    error_data = error.get("error_data")
    details = error_data.get("details") if isinstance(error_data, dict) else None
    message = error.get("message") or f"HTTP {http_status}"
    cls: type[WhatsAppError]
    if code in _RATE or http_status == 429:
        cls = WhatsAppRateLimited
    elif code == 131047:
        cls = ReEngagementRequired
    elif code in _AUTH or http_status == 401:
        cls = WhatsAppAuthError
    elif code in _TRANSIENT or http_status >= 500:
        cls = WhatsAppTransient
    elif code in _UNDELIVERABLE:
        cls = WhatsAppUndeliverable
    else:
        cls = WhatsAppInvalidRequest
    raw = body if isinstance(body, dict) else None
    return cls(str(message), code=code, http_status=http_status, details=details, raw=raw)


# --- Wompi (payments) ------------------------------------------------------------


class WompiError(ProviderError):
    """An answer in Wompi's envelope ``{"error": {"type", "reason" | "messages"}}``.

    ``error_type`` is Wompi's string code (``INPUT_VALIDATION_ERROR``, ``NOT_FOUND_ERROR``…)
    and ``messages`` the field → sentences map of a 422, so callers need not dig in ``raw``.
    """

    def __init__(
        self,
        message: str,
        *,
        error_type: str | None = None,
        messages: dict[str, list[str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, details=error_type, **kwargs)
        self.error_type = error_type
        self.messages = messages or {}


class WompiValidationError(WompiError):
    """422/400 ``INPUT_VALIDATION_ERROR``: our request is wrong; retrying cannot help."""


class WompiAuthError(WompiError):
    """401/403 ``INVALID_ACCESS_TOKEN``: wrong key, or a key of the other environment."""


class WompiNotFound(WompiError):
    """404 ``NOT_FOUND_ERROR``: no such link, transaction or merchant."""


class WompiRateLimited(WompiError):
    """429: too many requests; back off and retry."""

    retryable = True


def wompi_error_from(http_status: int, body: dict[str, Any] | None) -> ProviderError:
    """Map a Wompi error answer to a typed error; 5xx become :class:`ProviderUnavailable`."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):  # a proxy's HTML page, ``{"error": "..."}``, no body
        error = {}
    error_type = error.get("type") if isinstance(error.get("type"), str) else None
    raw_messages = error.get("messages")
    messages: dict[str, list[str]] = {}
    if isinstance(raw_messages, dict):
        for field_name, value in raw_messages.items():
            items = value if isinstance(value, list) else [value]
            messages[str(field_name)] = [str(item) for item in items]
    reason = error.get("reason")
    if isinstance(reason, str) and reason:
        message = reason
    elif messages:
        message = "; ".join(f"{k}: {' '.join(v)}" for k, v in messages.items())
    else:
        message = error_type or f"HTTP {http_status}"
    raw = body if isinstance(body, dict) else None
    if http_status >= 500:
        return ProviderUnavailable(
            f"Wompi {message}", http_status=http_status, details=error_type, raw=raw
        )
    cls: type[WompiError]
    if http_status == 429:
        cls = WompiRateLimited
    elif http_status in (401, 403) or error_type == "INVALID_ACCESS_TOKEN":
        cls = WompiAuthError
    elif http_status == 404 or error_type == "NOT_FOUND_ERROR":
        cls = WompiNotFound
    elif http_status in (400, 422) or error_type == "INPUT_VALIDATION_ERROR":
        cls = WompiValidationError
    else:
        cls = WompiError
    return cls(message, error_type=error_type, messages=messages, http_status=http_status, raw=raw)


class MercadoPagoError(ProviderError):
    """Mercado Pago refused a request (``{"message","error","status","cause"}`` envelope).

    ``details`` holds the envelope's ``error`` key (``invalid_items``, ``not_found``…);
    5xx, 429 and network failures are :class:`ProviderUnavailable` instead.
    """

    def __init__(
        self,
        message: str,
        *,
        error: str | None = None,
        causes: list[dict[str, Any]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, details=error, **kwargs)
        self.error = error
        self.causes = causes or []


class MercadoPagoAuthError(MercadoPagoError):
    """401/403: the access token is wrong or lacks rights. Retrying cannot help."""


class MercadoPagoValidationError(MercadoPagoError):
    """400/422: our request is wrong (items, dates, URLs); fix the code, not the network."""


class MercadoPagoNotFound(MercadoPagoError):
    """404: no such preference, payment or merchant order under this account."""


# --- Hi.Events (ticketing) ---------------------------------------------------------------
class HiEventsError(ProviderError):
    """Hi.Events answered with an error the caller must handle (not a transient one)."""


class HiEventsAuthError(HiEventsError):
    """401 even after a fresh login: wrong e-mail/password/account. Alert an operator."""


class HiEventsForbidden(HiEventsError):
    """403: e.g. the checkout session does not match the order, or offline payment is off."""


class HiEventsNotFound(HiEventsError):
    """404: the event, order, attendee or list does not exist (or is not LIVE)."""


class HiEventsConflict(HiEventsError):
    """409: the order is in the wrong state (expired, already paid, already processed…)."""


class HiEventsValidation(HiEventsError):
    """422: ``errors`` maps a field path (``products.0``) to its messages."""

    def __init__(self, message: str, *, errors: dict[str, list[str]] | None = None, **kw: Any):
        super().__init__(message, **kw)
        self.errors: dict[str, list[str]] = errors or {}


class HiEventsRateLimited(HiEventsError):
    """429 from ``throttle:api``: wait ``retry_after`` seconds (when given) and retry."""

    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any):
        super().__init__(message, **kw)
        self.retry_after = retry_after


def hi_events_error_from(
    http_status: int, body: dict[str, Any] | None, retry_after: float | None = None
) -> ProviderError:
    """Map a Laravel error answer (``{"message", "errors"}``) to the matching class.

    5xx (and gateway timeouts) are :class:`ProviderUnavailable`, like every provider's.
    """
    raw = body if isinstance(body, dict) else None
    message = str((raw or {}).get("message") or f"HTTP {http_status}")
    if http_status >= 500:
        error: ProviderError = ProviderUnavailable(
            f"Hi.Events {http_status}: {message}", http_status=http_status, raw=raw
        )
        return error
    if http_status == 429:
        return HiEventsRateLimited(
            message, http_status=http_status, raw=raw, retry_after=retry_after
        )
    if http_status == 422:
        errors = (raw or {}).get("errors")
        return HiEventsValidation(
            message,
            http_status=http_status,
            raw=raw,
            errors=errors if isinstance(errors, dict) else {},
        )
    cls: type[HiEventsError] = {
        401: HiEventsAuthError,
        403: HiEventsForbidden,
        404: HiEventsNotFound,
        409: HiEventsConflict,
    }.get(http_status, HiEventsError)
    return cls(message, http_status=http_status, raw=raw)
