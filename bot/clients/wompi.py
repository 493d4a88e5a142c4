"""Async client of Wompi's REST API (``/v1``) and its two signature schemes.

Every call goes through :meth:`WompiClient._request`, the single funnel that picks
the key the endpoint needs (public or private), maps Wompi's error envelope to typed
errors (``bot.errors``) and retries what a retry can fix (network errors, timeouts,
429, 5xx) with exponential backoff and full jitter.

Wompi has no idempotency header, so a retried ``POST /payment_links`` after an
ambiguous failure (timeout, 5xx) can leave an extra link behind. That link was never
shared with anyone and expires with its ``expires_at``, which is why retrying is still
the better trade than failing the purchase.

The module also holds the integrity signature (checkout / ``POST /transactions``) and
the events checksum (webhooks), both per the contract and tested on its vectors.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import logging
from collections.abc import Mapping
from typing import Any, Literal

import httpx

from bot.clients.retrying import RetryingClient, Sleep, json_or_none
from bot.errors import ProviderError, wompi_error_from
from bot.settings import Settings

log = logging.getLogger(__name__)

KeyKind = Literal["public", "private", "none"]


# --- signatures -------------------------------------------------------------------


def wompi_timestamp(moment: dt.datetime) -> str:
    """``2026-07-31T20:28:50.000Z``: UTC with milliseconds, as Wompi prints dates."""
    if moment.tzinfo is None:
        raise ValueError("Wompi dates must be timezone-aware (UTC)")
    utc = moment.astimezone(dt.timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def integrity_signature(
    reference: str,
    amount_in_cents: int,
    currency: str,
    integrity_secret: str,
    expiration_time: str | dt.datetime | None = None,
) -> str:
    """``sha256_hex(reference + amount + currency [+ expiration] + secret)``, lowercase.

    Plain SHA-256, not HMAC (contract §1 "Integrity signature"); compute it server-side
    only, since the integrity secret must never reach a browser.
    """
    expiration = ""
    if isinstance(expiration_time, dt.datetime):
        expiration = wompi_timestamp(expiration_time)
    elif expiration_time:
        expiration = expiration_time
    material = f"{reference}{int(amount_in_cents)}{currency}{expiration}{integrity_secret}"
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def _property_string(value: Any) -> str:
    """The string form of a signed value: ints as digits, booleans JSON-style, null empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def events_checksum(event: Mapping[str, Any], events_secret: str) -> str:
    """Recompute an event's checksum from ``signature.properties`` (uppercase hex).

    The properties are read dynamically, in array order, from inside ``data`` (Wompi
    warns they can change), then ``str(timestamp)`` and the events secret are appended.
    Raises ``ValueError`` when the event lacks what the computation needs.
    """
    signature = event.get("signature")
    properties = signature.get("properties") if isinstance(signature, Mapping) else None
    data = event.get("data")
    timestamp = event.get("timestamp")
    if (
        not isinstance(properties, list)
        or not properties
        or not isinstance(data, Mapping)
        or isinstance(timestamp, bool)
        or not isinstance(timestamp, int | str)
    ):
        raise ValueError("event without signature.properties, data or timestamp")
    parts: list[str] = []
    for path in properties:
        node: Any = data
        for key in str(path).split("."):
            if not isinstance(node, Mapping) or key not in node:
                raise ValueError(f"signed property {path!r} is missing")
            node = node[key]
        parts.append(_property_string(node))
    material = "".join(parts) + str(timestamp) + events_secret
    return hashlib.sha256(material.encode("utf-8")).hexdigest().upper()


def verify_event(event: Mapping[str, Any], header_checksum: str | None, events_secret: str) -> bool:
    """True when the body's checksum (and the header's, if sent) match our computation.

    Case-insensitive (docs print uppercase) and constant-time. A missing header is
    tolerated (some proxies drop custom headers) but a present one must agree.
    """
    try:
        expected = events_checksum(event, events_secret)
    except ValueError:
        return False
    signature = event.get("signature")
    body_checksum = signature.get("checksum") if isinstance(signature, Mapping) else None
    if not isinstance(body_checksum, str) or not body_checksum:
        return False
    ok = hmac.compare_digest(body_checksum.strip().upper(), expected)
    if header_checksum is not None:
        ok = hmac.compare_digest(header_checksum.strip().upper(), expected) and ok
    return ok


# --- the client ---------------------------------------------------------------------


class WompiClient(RetryingClient):
    """One instance per process; the ``httpx.AsyncClient`` is injected or owned."""

    provider = "Wompi"
    retry_event = "wompi.retry"
    _log = log

    def __init__(
        self,
        *,
        base_url: str,
        public_key: str,
        private_key: str,
        http: httpx.AsyncClient | None = None,
        timeout_s: float = 10.0,
        max_attempts: int = 4,
        backoff_base_s: float = 0.5,
        backoff_cap_s: float = 20.0,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.public_key = public_key
        self._private_key = private_key
        super().__init__(
            http=http,
            timeout_s=timeout_s,
            max_attempts=max_attempts,
            backoff_base_s=backoff_base_s,
            backoff_cap_s=backoff_cap_s,
            sleep=sleep,
            trust_env=False,
        )

    @classmethod
    def from_settings(
        cls, settings: Settings, http: httpx.AsyncClient | None = None
    ) -> WompiClient:
        return cls(
            base_url=settings.wompi_url,
            public_key=settings.secret("wompi_public_key"),
            private_key=settings.secret("wompi_private_key"),
            http=http,
            timeout_s=settings.payments_timeout_s,
            max_attempts=settings.payments_max_attempts,
        )

    # --- payment links ----------------------------------------------------------
    async def create_payment_link(
        self,
        *,
        name: str,
        description: str,
        amount_in_cents: int | None,
        single_use: bool = True,
        collect_shipping: bool = False,
        currency: str = "COP",
        expires_at: dt.datetime | None = None,
        redirect_url: str | None = None,
        sku: str | None = None,
        image_url: str | None = None,
    ) -> dict[str, Any]:
        """``POST /payment_links`` (private key); returns ``data`` (``id`` is the link id).

        ``expires_at`` must be timezone-aware; it is sent in UTC as Wompi requires.
        """
        body: dict[str, Any] = {
            "name": name,
            "description": description,
            "single_use": single_use,
            "collect_shipping": collect_shipping,
            "currency": currency,
            "amount_in_cents": amount_in_cents,
        }
        if expires_at is not None:
            body["expires_at"] = wompi_timestamp(expires_at)
        optional = {"redirect_url": redirect_url, "sku": sku, "image_url": image_url}
        body.update({key: value for key, value in optional.items() if value is not None})
        return await self._data("POST", "/payment_links", "private", json=body)

    async def get_payment_link(self, link_id: str) -> dict[str, Any]:
        """``GET /payment_links/{id}`` needs no key."""
        return await self._data("GET", f"/payment_links/{link_id}", "none")

    async def deactivate_payment_link(self, link_id: str) -> dict[str, Any]:
        """``PATCH /payment_links/{id}`` ``{"active": false}`` (private key)."""
        return await self._data(
            "PATCH", f"/payment_links/{link_id}", "private", json={"active": False}
        )

    # --- transactions -----------------------------------------------------------
    async def get_transaction(self, transaction_id: str) -> dict[str, Any]:
        """``GET /transactions/{id}`` with the public key, as the contract says."""
        return await self._data("GET", f"/transactions/{transaction_id}", "public")

    async def transactions_by_reference(self, reference: str) -> list[dict[str, Any]]:
        """``GET /transactions?reference=`` (private key); a retry may share a reference."""
        body, _ = await self._request(
            "GET", "/transactions", "private", params={"reference": reference}
        )
        data = body.get("data")
        return [item for item in data if isinstance(item, dict)] if isinstance(data, list) else []

    async def void(self, transaction_id: str) -> dict[str, Any]:
        """``POST /transactions/{id}/void`` (private key; APPROVED cards, same day)."""
        data = await self._data("POST", f"/transactions/{transaction_id}/void", "private")
        # Tolerate ``{"data": {"transaction": {...}}}`` too: the void answer's exact
        # shape is not in the public docs we have.
        inner = data.get("transaction")
        return inner if isinstance(inner, dict) else data

    async def merchant(self) -> dict[str, Any]:
        """``GET /merchants/{public key}``: acceptance tokens and enabled methods."""
        return await self._data("GET", f"/merchants/{self.public_key}", "none")

    # --- the funnel -------------------------------------------------------------
    def _headers(self, key: KeyKind) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if key == "public":
            headers["Authorization"] = f"Bearer {self.public_key}"
        elif key == "private":
            headers["Authorization"] = f"Bearer {self._private_key}"
        return headers

    async def _data(self, method: str, path: str, key: KeyKind, **kwargs: Any) -> dict[str, Any]:
        body, _ = await self._request(method, path, key, **kwargs)
        data = body.get("data")
        if not isinstance(data, dict):
            raise ProviderError(f"Wompi {path} answered without a data object", raw=body)
        return data

    async def _request(
        self, method: str, path: str, key: KeyKind, **kwargs: Any
    ) -> tuple[dict[str, Any], int]:
        url = self.base_url + path
        response, attempt = await self._send_with_retries(
            lambda: self._http.request(method, url, headers=self._headers(key), **kwargs),
            error_from=lambda answer: wompi_error_from(answer.status_code, json_or_none(answer)),
            target=f"{method} {_route(path)}",
            log_fields={"route": _route(path)},
        )
        return json_or_none(response) or {}, attempt


def _route(path: str) -> str:
    """``/transactions/1234-…/void`` → ``/transactions/{id}/void`` for logs (ids are noise)."""
    parts = path.split("/")
    return "/".join(p if i < 2 or not p or p in ("void",) else "{id}" for i, p in enumerate(parts))
