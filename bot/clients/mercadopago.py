"""Async client of the Mercado Pago API (Checkout Pro subset, contract §2).

Every call goes through :meth:`MercadoPagoClient._request`, the single funnel that adds
the bearer token, maps the ``{"message","error","status","cause"}`` envelope to typed
errors (``bot.errors``) and retries what a retry can fix (network errors, timeouts, 429,
5xx) with exponential backoff and full jitter. A logical POST/PUT carries one
``X-Idempotency-Key`` reused by all its retries, so a retry after a lost answer
returns the first preference instead of creating a second one.

The official SDK is synchronous (``requests``) and would block the event loop; it is
only used from scripts and tests (:mod:`bot.clients.mercadopago_sdk`).

:func:`verify_mp_signature` checks a webhook's ``x-signature`` header.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import re
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import httpx

from bot.clients.retrying import RetryingClient, Sleep, full_jitter, json_or_none, retry_after_s
from bot.errors import (
    MercadoPagoAuthError,
    MercadoPagoError,
    MercadoPagoNotFound,
    MercadoPagoValidationError,
    ProviderError,
    ProviderUnavailable,
)
from bot.settings import Settings

log = logging.getLogger(__name__)

#: Production base URL; the sandbox serves the same paths under ``/mercadopago``.
MP_API_BASE = "https://api.mercadopago.com"
_ALNUM = re.compile(r"^[A-Za-z0-9]+$")


class MercadoPagoClient(RetryingClient):
    """One instance per process; the ``httpx.AsyncClient`` is injected or owned."""

    provider = "Mercado Pago"
    retry_event = "mercadopago.retry"
    _log = log

    def __init__(
        self,
        *,
        base_url: str,
        access_token: str,
        http: httpx.AsyncClient | None = None,
        timeout_s: float = 10.0,
        max_attempts: int = 4,
        backoff_base_s: float = 0.5,
        backoff_cap_s: float = 8.0,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._token = access_token
        super().__init__(
            http=http,
            timeout_s=timeout_s,
            max_attempts=max_attempts,
            backoff_base_s=backoff_base_s,
            backoff_cap_s=backoff_cap_s,
            sleep=sleep,
        )

    @classmethod
    def from_settings(
        cls, settings: Settings, http: httpx.AsyncClient | None = None
    ) -> MercadoPagoClient:
        return cls(
            base_url=settings.mercadopago_url,
            access_token=settings.secret("mercadopago_access_token"),
            http=http,
            timeout_s=settings.payments_timeout_s,
            max_attempts=settings.payments_max_attempts,
        )

    # --- public calls ---------------------------------------------------------
    async def create_preference(
        self, preference: Mapping[str, Any], *, idempotency_key: str | None = None
    ) -> dict[str, Any]:
        """``POST /checkout/preferences`` → the preference (``id``, ``init_point``…)."""
        return await self._request(
            "POST", "/checkout/preferences", json=dict(preference), idempotency_key=idempotency_key
        )

    async def get_preference(self, preference_id: str) -> dict[str, Any]:
        return await self._request("GET", f"/checkout/preferences/{_seg(preference_id)}")

    async def update_preference(
        self,
        preference_id: str,
        changes: Mapping[str, Any],
        *,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """``PUT /checkout/preferences/{id}`` (e.g. move ``expiration_date_to`` to now)."""
        return await self._request(
            "PUT",
            f"/checkout/preferences/{_seg(preference_id)}",
            json=dict(changes),
            idempotency_key=idempotency_key,
        )

    async def get_payment(self, payment_id: str | int) -> dict[str, Any]:
        return await self._request("GET", f"/v1/payments/{_seg(payment_id)}")

    async def search_payments(
        self, external_reference: str, *, limit: int = 100
    ) -> list[dict[str, Any]]:
        """Every payment made for one order (oldest first): the reconciliation path
        when a webhook was missed."""
        results: list[dict[str, Any]] = []
        offset = 0
        while True:
            page = await self._request(
                "GET",
                "/v1/payments/search",
                params={
                    "external_reference": external_reference,
                    "sort": "date_created",
                    "criteria": "asc",
                    "limit": limit,
                    "offset": offset,
                },
            )
            items = page.get("results") or []
            results.extend(items)
            total = (page.get("paging") or {}).get("total") or 0
            offset += len(items)
            if not items or offset >= total:
                return results

    async def get_merchant_order(self, order_id: str | int) -> dict[str, Any]:
        """``GET /merchant_orders/{id}``: the only place a payment's preference is named."""
        return await self._request("GET", f"/merchant_orders/{_seg(order_id)}")

    # --- the funnel -----------------------------------------------------------
    def _headers(self, idempotency_key: str | None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self._token}", "Accept": "application/json"}
        if idempotency_key:
            headers["X-Idempotency-Key"] = idempotency_key
        return headers

    async def _request(
        self,
        method: str,
        path: str,
        *,
        json: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        if method in ("POST", "PUT") and not idempotency_key:
            # One key per logical call, reused by every retry of it.
            idempotency_key = uuid.uuid4().hex
        headers = self._headers(idempotency_key)
        url = self.base_url + path
        response, _ = await self._send_with_retries(
            lambda: self._http.request(method, url, headers=headers, json=json, params=params),
            error_from=lambda answer: mercadopago_error_from(
                answer.status_code, json_or_none(answer)
            ),
            target=f"{method} {path}",
            log_fields={"method": method, "path": path},
        )
        return json_or_none(response) or {}

    def _backoff(
        self, attempt: int, error: ProviderError, response: httpx.Response | None
    ) -> float:
        """Full jitter (uniform 0..min(cap, base·2ⁿ)); a ``Retry-After`` is a floor."""
        delay = full_jitter(attempt, self.backoff_base_s, self.backoff_cap_s)
        retry_after = (
            retry_after_s(response.headers.get("retry-after"), http_date=False)
            if response is not None
            else None
        )
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.backoff_cap_s))
        return delay


def mercadopago_error_from(http_status: int, body: dict[str, Any] | None) -> ProviderError:
    """Map an error answer to a typed error; 429 and 5xx are retryable ``ProviderUnavailable``."""
    body = body if isinstance(body, dict) else {}
    message = str(body.get("message") or f"HTTP {http_status}")
    error = body.get("error")
    error = str(error) if error is not None else None
    cause = body.get("cause")
    causes = [c for c in cause if isinstance(c, dict)] if isinstance(cause, list) else []
    code = next((c["code"] for c in causes if isinstance(c.get("code"), int)), None)
    if http_status == 429 or http_status >= 500:
        return ProviderUnavailable(
            f"Mercado Pago unavailable: {message}",
            code=code,
            http_status=http_status,
            details=error,
            raw=body,
        )
    cls: type[MercadoPagoError]
    if http_status in (401, 403):
        cls = MercadoPagoAuthError
    elif http_status in (400, 422):
        cls = MercadoPagoValidationError
    elif http_status == 404:
        cls = MercadoPagoNotFound
    else:
        cls = MercadoPagoError
    return cls(message, error=error, causes=causes, code=code, http_status=http_status, raw=body)


def mp_manifest(data_id: str | None, request_id: str | None, ts: str) -> str:
    """``id:<data.id>;request-id:<x-request-id>;ts:<ts>;`` with absent pairs dropped.

    An alphanumeric ``data.id`` is lowercased, as Mercado Pago's docs say; the SDK's
    validator uses it as received, which only differs for ids with capitals.
    """
    parts = []
    if data_id:
        parts.append(f"id:{data_id.lower() if _ALNUM.match(data_id) else data_id}")
    if request_id:
        parts.append(f"request-id:{request_id}")
    parts.append(f"ts:{ts}")
    return ";".join(parts) + ";"


def parse_signature_header(x_signature: str | None) -> tuple[str | None, str | None]:
    """``ts=…,v1=…`` → ``(ts, v1)``; order and spaces do not matter, unknown keys are ignored."""
    ts: str | None = None
    v1: str | None = None
    for part in (x_signature or "").split(","):
        key, sep, value = part.partition("=")
        if not sep:
            continue
        key, value = key.strip().lower(), value.strip()
        if key == "ts" and value:
            ts = value
        elif key == "v1" and value:
            v1 = value
    return ts, v1


def verify_mp_signature(
    x_signature: str | None,
    x_request_id: str | None,
    data_id: str | None,
    secret: str,
) -> bool:
    """True when ``x-signature`` is Mercado Pago's HMAC of the manifest (contract §2).

    No timestamp tolerance: Mercado Pago retries a notification for hours and the
    contract does not say whether retries are re-signed, so a freshness window could
    refuse genuine retries. Replays are harmless anyway: the receiver only learns a
    payment id and fetches the payment itself.
    """
    if not secret:
        return False
    ts, received = parse_signature_header(x_signature)
    if ts is None or not ts.isdigit() or received is None:
        return False
    data_id = (data_id or "").strip() or None
    request_id = (x_request_id or "").strip() or None
    manifest = mp_manifest(data_id, request_id, ts)
    expected = hmac.new(secret.encode(), manifest.encode(), hashlib.sha256).hexdigest()
    # Bytes: compare_digest refuses non-ASCII str, and a header is attacker-controlled.
    return hmac.compare_digest(expected.encode(), received.lower().encode())


def _seg(value: str | int) -> str:
    """One path segment: an id never gets to add ``/`` or ``?`` to the URL."""
    return quote(str(value), safe="")
