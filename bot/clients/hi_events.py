"""Async client of the Hi.Events API (ticketing): events, checkout, orders, check-in.

All calls go through :meth:`HiEventsClient._request`, the single funnel that sends
``Accept: application/json`` (without it Laravel redirects instead of answering
401), logs in lazily and once more on a 401 (tokens expire after 7 days and are
revoked on refresh), maps Laravel error envelopes to the typed errors of
``bot.errors`` and retries what a retry can fix — network errors, timeouts, 429
(honouring ``Retry-After``) and 5xx — with exponential backoff and full jitter.

State-changing calls are safe to repeat: when a retry meets a 409 because the first
attempt did land (the answer was lost), the method reads the order back and returns
it if it is already in the wanted state — a duplicate payment notification simply
finds the order paid.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import httpx

from bot.clients.retrying import (
    RetryingClient,
    Sleep,
    full_jitter,
    http_timeout,
    json_or_none,
    retry_after_s,
)
from bot.errors import (
    HiEventsAuthError,
    HiEventsConflict,
    HiEventsError,
    HiEventsNotFound,
    ProviderError,
    hi_events_error_from,
)
from bot.logging import event
from bot.settings import Settings

log = logging.getLogger(__name__)

#: Longest ``Retry-After`` we are willing to sit through inside one conversation turn.
MAX_RETRY_AFTER_S = 30.0
_ISO = re.compile(r"^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$")


def parse_datetime(value: str | None) -> datetime | None:
    """Hi.Events dates as aware UTC datetimes.

    Cast dates come as ``2026-12-12T01:00:00.000000Z``, uncast ones as
    ``2026-12-12 01:00:00`` (UTC, contract §1), webhooks use ``+00:00``.
    """
    if not value or not isinstance(value, str):
        return None
    match = _ISO.match(value.strip())
    if not match:
        return None
    day, clock, fraction, zone = match.groups()
    text = f"{day}T{clock}{(fraction or '')[:7]}"
    if zone in (None, "Z"):
        zone = "+00:00"
    elif ":" not in zone:
        zone = f"{zone[:3]}:{zone[3:]}"
    try:
        return datetime.fromisoformat(text + zone).astimezone(timezone.utc)
    except ValueError:
        return None


@dataclass(frozen=True)
class CheckInResult:
    """Outcome of scanning one ticket.

    ``checked_in_at`` is the time of *the* check-in: the new one when ``ok``, the first
    one when the ticket was already used (``reason="already_checked_in"``).
    ``reason`` is one of ``already_checked_in``, ``cancelled``, ``awaiting_payment``,
    ``unknown`` (no such ticket), ``not_allowed`` (another list's ticket),
    ``list_inactive``, ``list_not_found`` or ``other``; None when ``ok``.
    """

    ok: bool
    public_id: str
    checked_in_at: datetime | None = None
    error: str | None = None
    reason: str | None = None
    attendee_id: int | None = None


def _reason(message: str) -> str:
    text = message.lower()
    if "already checked in" in text:
        return "already_checked_in"
    if "cancel" in text:
        return "cancelled"
    if "awaiting" in text or "marked as paid" in text:
        return "awaiting_payment"
    if "check-in list not found" in text:
        return "list_not_found"
    if "invalid attendee code" in text or "not found" in text:
        return "unknown"
    if "not allowed" in text:
        return "not_allowed"
    if "expired" in text or "not active" in text:
        return "list_inactive"
    return "other"


@dataclass(frozen=True)
class _Answer:
    status: int
    body: dict[str, Any]
    headers: httpx.Headers
    cookies: httpx.Cookies
    attempts: int


class HiEventsClient(RetryingClient):
    """One instance per process; the ``httpx.AsyncClient`` is injected or owned."""

    provider = "Hi.Events"
    retry_event = "hi_events.retry"
    _log = log

    def __init__(
        self,
        *,
        base_url: str,
        email: str,
        password: str,
        account_id: int | None = None,
        http: httpx.AsyncClient | None = None,
        timeout_s: float = 10.0,
        max_attempts: int = 4,
        backoff_base_s: float = 0.5,
        backoff_cap_s: float = 20.0,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.email = email
        self._password = password
        self.account_id = account_id
        super().__init__(
            http=http,
            timeout_s=timeout_s,
            max_attempts=max_attempts,
            backoff_base_s=backoff_base_s,
            backoff_cap_s=backoff_cap_s,
            sleep=sleep,
        )
        self._timeout = http_timeout(timeout_s)
        self._token: str | None = None
        self._login_lock = asyncio.Lock()
        #: Logins performed (tests and metrics: lazy login and re-login on 401).
        self.logins = 0

    @classmethod
    def from_settings(
        cls, settings: Settings, http: httpx.AsyncClient | None = None
    ) -> HiEventsClient:
        return cls(
            base_url=settings.hi_events_url,
            email=settings.hi_events_email,
            password=settings.secret("hi_events_password"),
            account_id=settings.hi_events_account_id,
            http=http,
            timeout_s=settings.hi_events_timeout_s,
            max_attempts=settings.hi_events_max_attempts,
        )

    # --- auth ----------------------------------------------------------------------------
    async def login(self) -> dict[str, Any]:
        """``POST /auth/login``; keeps the token for the following calls."""
        body: dict[str, Any] = {"email": self.email, "password": self._password}
        if self.account_id is not None:
            body["account_id"] = self.account_id
        answer = await self._request("POST", "/auth/login", json=body, auth=False)
        data = answer.body.get("data") if isinstance(answer.body.get("data"), dict) else answer.body
        token = answer.headers.get("x-auth-token") or data.get("token")
        if not token:
            # Several accounts and no account_id: Hi.Events answers 200 with token null.
            raise HiEventsAuthError(
                "Hi.Events login returned no token; set HI_EVENTS_ACCOUNT_ID", raw=answer.body
            )
        self._token = str(token)
        self.logins += 1
        return data

    async def _ensure_token(self) -> str:
        if self._token is None:
            async with self._login_lock:
                if self._token is None:
                    await self.login()
        assert self._token is not None
        return self._token

    # --- events --------------------------------------------------------------------------
    async def organizer_events(
        self, organizer_id: int, upcoming: bool = True
    ) -> list[dict[str, Any]]:
        """Every LIVE event of the organizer (all pages), public shape."""
        params = {"eventsStatus": "upcoming"} if upcoming else {}
        return await self._all_pages(
            f"/public/organizers/{organizer_id}/events", params=params, auth=False
        )

    async def public_event(self, event_id: int) -> dict[str, Any]:
        """``EventResourcePublic`` with products and availability; 404 unless LIVE."""
        return _data(await self._request("GET", f"/public/events/{event_id}", auth=False))

    async def event(self, event_id: int) -> dict[str, Any]:
        return _data(await self._request("GET", f"/events/{event_id}"))

    # --- public checkout -----------------------------------------------------------------------
    async def reserve(self, event_id: int, items: list[tuple[int, int, int]]) -> dict[str, Any]:
        """Reserve ``(product_id, price_id, quantity)`` lines; the order carries
        ``session_identifier``, needed by every later call on it while RESERVED."""
        grouped: dict[int, list[dict[str, int]]] = {}
        for product_id, price_id, quantity in items:
            grouped.setdefault(product_id, []).append({"price_id": price_id, "quantity": quantity})
        body = {
            "products": [
                {"product_id": product_id, "quantities": quantities}
                for product_id, quantities in grouped.items()
            ]
        }
        answer = await self._request(
            "POST", f"/public/events/{event_id}/order", json=body, auth=False
        )
        order = _data(answer)
        session = order.get("session_identifier") or answer.cookies.get("session_identifier")
        if not session:
            raise HiEventsError("reserve answered without a session identifier", raw=answer.body)
        order["session_identifier"] = session
        return order

    async def complete(
        self,
        event_id: int,
        short_id: str,
        session_identifier: str,
        *,
        first_name: str,
        last_name: str,
        email: str,
        ticket_price_ids: list[int],
    ) -> dict[str, Any]:
        """Buyer details; one ``products[]`` entry per ticket unit (the same person
        for each: the WhatsApp buyer; with PER_TICKET events they are all named so)."""
        person = {"first_name": first_name[:40], "last_name": last_name[:40], "email": email}
        body = {
            "order": {**person, "email_confirmation": email},
            "products": [{"product_price_id": pid, **person} for pid in ticket_price_ids],
        }
        path = f"/public/events/{event_id}/order/{short_id}"
        try:
            answer = await self._request(
                "PUT",
                path,
                json=body,
                params={"session_identifier": session_identifier},
                auth=False,
            )
        except HiEventsConflict:
            order = await self.public_order(event_id, short_id, session_identifier)
            if order.get("attendees") and (order.get("email") or "").lower() == email.lower():
                return order  # an earlier attempt landed; its answer was lost
            raise
        return _data(answer)

    async def await_offline_payment(
        self, event_id: int, short_id: str, session_identifier: str
    ) -> dict[str, Any]:
        """RESERVED → AWAITING_OFFLINE_PAYMENT; Hi.Events fires ``order.created``."""
        path = f"/public/events/{event_id}/order/{short_id}/await-offline-payment"
        try:
            answer = await self._request(
                "POST", path, params={"session_identifier": session_identifier}, auth=False
            )
        except HiEventsConflict:
            order = await self.public_order(event_id, short_id, session_identifier)
            if order.get("status") == "AWAITING_OFFLINE_PAYMENT":
                return order
            raise
        return _data(answer)

    async def public_order(
        self, event_id: int, short_id: str, session_identifier: str | None = None
    ) -> dict[str, Any]:
        params = {"session_identifier": session_identifier} if session_identifier else None
        return _data(
            await self._request(
                "GET", f"/public/events/{event_id}/order/{short_id}", params=params, auth=False
            )
        )

    async def abandon(
        self, event_id: int, short_id: str, session_identifier: str
    ) -> dict[str, Any]:
        """Give the seats back at once instead of waiting for the reservation to lapse."""
        return _data(
            await self._request(
                "POST",
                f"/public/events/{event_id}/order/{short_id}/abandon",
                params={"session_identifier": session_identifier},
                auth=False,
            )
        )

    # --- orders (JWT) ---------------------------------------------------------------------------
    async def find_order(self, event_id: int, public_id: str) -> dict[str, Any] | None:
        """The order with this ``O-XXXXXXX`` (RESERVED/ABANDONED ones are not listed)."""
        answer = await self._request(
            "GET",
            f"/events/{event_id}/orders",
            params={"filter_fields[public_id][eq]": public_id, "per_page": 1},
        )
        rows = answer.body.get("data") or []
        return next((row for row in rows if row.get("public_id") == public_id), None)

    async def order(self, event_id: int, order_id: int) -> dict[str, Any]:
        return _data(await self._request("GET", f"/events/{event_id}/orders/{order_id}"))

    async def mark_paid(self, event_id: int, order_id: int) -> dict[str, Any]:
        """``mark-as-paid``; an order that is already paid is returned as is (idempotent)."""
        try:
            return _data(
                await self._request("POST", f"/events/{event_id}/orders/{order_id}/mark-as-paid")
            )
        except HiEventsConflict:
            order = await self.order(event_id, order_id)
            if order.get("status") == "COMPLETED" and order.get("payment_status") in (
                "PAYMENT_RECEIVED",
                "NO_PAYMENT_REQUIRED",
            ):
                return order
            raise

    async def cancel_order(self, event_id: int, order_id: int) -> dict[str, Any]:
        """Cancel without refund (refunds are Stripe-only); already cancelled = done."""
        try:
            return _data(
                await self._request(
                    "POST", f"/events/{event_id}/orders/{order_id}/cancel", json={"refund": False}
                )
            )
        except HiEventsConflict:
            order = await self.order(event_id, order_id)
            if order.get("status") == "CANCELLED":
                return order
            raise

    async def orders(self, event_id: int) -> list[dict[str, Any]]:
        """Orders of the event (Hi.Events leaves out RESERVED and ABANDONED ones)."""
        return await self._all_pages(f"/events/{event_id}/orders")

    async def attendees(self, event_id: int, order_id: int | None = None) -> list[dict[str, Any]]:
        """Attendees of the event, or of one order (read from the order itself)."""
        if order_id is not None:
            order = await self.order(event_id, order_id)
            if isinstance(order.get("attendees"), list):
                return list(order["attendees"])
            rows = await self._all_pages(f"/events/{event_id}/attendees")
            return [row for row in rows if row.get("order_id") == order_id]
        return await self._all_pages(f"/events/{event_id}/attendees")

    async def resend_ticket(self, event_id: int, attendee_public_id: str) -> None:
        await self._request(
            "POST", f"/events/{event_id}/attendees/{attendee_public_id}/resend-ticket"
        )

    # --- check-in ---------------------------------------------------------------------------------
    async def check_in_lists(self, event_id: int) -> list[dict[str, Any]]:
        return await self._all_pages(f"/events/{event_id}/check-in-lists")

    async def check_in_list(self, list_short_id: str) -> dict[str, Any]:
        """Public list view: name, products (titles), event, counters."""
        return _data(
            await self._request("GET", f"/public/check-in-lists/{list_short_id}", auth=False)
        )

    async def check_in_attendee(
        self, list_short_id: str, attendee_public_id: str
    ) -> dict[str, Any] | None:
        """The attendee as the scanner sees it (with ``check_in`` once scanned), or None."""
        try:
            return _data(
                await self._request(
                    "GET",
                    f"/public/check-in-lists/{list_short_id}/attendees/{attendee_public_id}",
                    auth=False,
                )
            )
        except HiEventsNotFound:
            return None

    async def check_in(self, list_short_id: str, attendee_public_id: str) -> CheckInResult:
        """Scan one ticket. Refusals are results, not exceptions: the door shows them."""
        body = {"attendees": [{"public_id": attendee_public_id, "action": "check-in"}]}
        try:
            answer = await self._request(
                "POST",
                f"/public/check-in-lists/{list_short_id}/check-ins",
                json=body,
                auth=False,
            )
        except HiEventsConflict as error:  # whole-request refusals (CannotCheckInException)
            message = str(error.args[0])
            return CheckInResult(False, attendee_public_id, error=message, reason=_reason(message))
        rows = answer.body.get("data") or []
        row = rows[0] if rows and isinstance(rows[0], dict) else {}
        errors = answer.body.get("errors") or {}
        message = errors.get(attendee_public_id) if isinstance(errors, dict) else None
        checked_in_at = parse_datetime(row.get("checked_in_at"))
        attendee_id = row.get("attendee_id")
        if message is None and row:
            return CheckInResult(True, attendee_public_id, checked_in_at, attendee_id=attendee_id)
        message = str(message or "check-in answered without a check-in")
        reason = _reason(message)
        if reason == "already_checked_in" and checked_in_at is None:
            attendee = await self.check_in_attendee(list_short_id, attendee_public_id)
            first = (attendee or {}).get("check_in") or {}
            checked_in_at = parse_datetime(first.get("checked_in_at"))
        return CheckInResult(
            False, attendee_public_id, checked_in_at, message, reason, attendee_id=attendee_id
        )

    # --- webhooks ---------------------------------------------------------------------------------
    async def create_webhook(
        self,
        url: str,
        event_types: list[str],
        organizer_id: int | None = None,
        event_id: int | None = None,
    ) -> dict[str, Any]:
        """Register a hook on an organizer or one event; keep the returned ``secret``
        (Hi.Events shows it only in this answer)."""
        if (organizer_id is None) == (event_id is None):
            raise ValueError("pass exactly one of organizer_id or event_id")
        scope = f"/organizers/{organizer_id}" if event_id is None else f"/events/{event_id}"
        body = {"url": url, "event_types": list(event_types), "status": "ENABLED"}
        return _data(await self._request("POST", f"{scope}/webhooks", json=body))

    # --- the funnel ------------------------------------------------------------------------------
    async def _all_pages(
        self, path: str, *, params: dict[str, Any] | None = None, auth: bool = True
    ) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        page = 1
        while True:
            answer = await self._request(
                "GET", path, params={**(params or {}), "page": page, "per_page": 100}, auth=auth
            )
            rows.extend(r for r in answer.body.get("data") or [] if isinstance(r, dict))
            meta = answer.body.get("meta") or {}
            last = int(meta.get("last_page") or 1)
            if page >= last or not answer.body.get("data"):
                return rows
            page += 1

    async def _request(
        self,
        method: str,
        path: str,
        *,
        auth: bool = True,
        params: dict[str, Any] | None = None,
        json: dict[str, Any] | None = None,
        attempts: int | None = None,
    ) -> _Answer:
        url = self.base_url + path
        relogged = False

        async def send() -> httpx.Response:
            nonlocal relogged
            while True:
                headers = {"Accept": "application/json"}
                token: str | None = None
                if auth:
                    token = await self._ensure_token()
                    headers["Authorization"] = f"Bearer {token}"
                response = await self._http.request(
                    method, url, headers=headers, params=params, json=json, timeout=self._timeout
                )
                if response.status_code != 401 or not auth or relogged:
                    return response
                # Expired or revoked token: log in again once; this try is free.
                relogged = True
                if self._token == token:
                    self._token = None
                event(log, "hi_events.relogin", logging.INFO, path=_path_kind(path))

        response, attempt = await self._send_with_retries(
            send,
            error_from=lambda answer: hi_events_error_from(
                answer.status_code,
                json_or_none(answer),
                retry_after_s(answer.headers.get("retry-after")),
            ),
            target=f"{method} {path}",
            log_fields={"path": _path_kind(path)},
            attempts=attempts,
        )
        return _Answer(
            response.status_code,
            json_or_none(response) or {},
            response.headers,
            response.cookies,
            attempt,
        )

    def _backoff(
        self, attempt: int, error: ProviderError, response: httpx.Response | None
    ) -> float | None:
        """Full jitter (0…base·2ⁿ, capped); a ``Retry-After`` is a floor, not a hint.

        None = the server asks us to wait longer than a chat turn can: give up now.
        """
        delay = full_jitter(attempt, self.backoff_base_s, self.backoff_cap_s)
        retry_after = getattr(error, "retry_after", None)
        if retry_after is not None:
            if retry_after > MAX_RETRY_AFTER_S:
                return None
            delay = max(delay, retry_after)
        return delay


def _path_kind(path: str) -> str:
    """The route without ids or short ids, for logs (``/events/{id}/orders/{id}/mark-as-paid``)."""
    return re.sub(r"/(\d+|[a-z]{1,3}_[A-Za-z0-9]{13}|[A-Z]-[A-Z0-9]{7})(?=/|$)", "/{id}", path)


def _data(answer: _Answer) -> dict[str, Any]:
    data = answer.body.get("data")
    if not isinstance(data, dict):
        raise HiEventsError("answer without a data object", raw=answer.body)
    return dict(data)
