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
