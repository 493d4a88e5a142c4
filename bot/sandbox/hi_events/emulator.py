"""The Hi.Events emulator: state, business rules and webhook fan-out.

Each public method mirrors one Hi.Events handler or service named in the contract
(``CompleteOrderHandler``, ``MarkOrderAsPaidService``, ``CreateAttendeeCheckInService``…)
and raises :class:`~bot.sandbox.hi_events.errors.ApiError` exactly where the PHP code
throws, so the bot meets the same 401/403/404/409/422 answers it will meet in
production. Routes (``routes.py``) only parse requests and wrap answers.

Everything runs in the server's event loop without awaits inside an operation, so
each operation is atomic with respect to the others, like a database transaction.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import logging
import re
import secrets
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import httpx

from bot.logging import event as log_event
from bot.sandbox.hi_events import resources as res
from bot.sandbox.hi_events.config import HiEventsConfig
from bot.sandbox.hi_events.errors import (
    ApiError,
    conflict,
    forbidden,
    not_found,
    unauthenticated,
    validation,
)
from bot.sandbox.hi_events.model import (
    Attendee,
    CheckIn,
    CheckInList,
    Event,
    Order,
    OrderItem,
    Price,
    Product,
    Webhook,
    WebhookLog,
    jwt_decode,
    jwt_encode,
    public_id,
    short_id,
    utcnow,
    webhook_secret,
)
from bot.sandbox.hi_events.seed import build_seed
from bot.sandbox.hi_events.state import HiEventsState
from bot.sandbox.hi_events.webhooks import Outgoing, WebhookDispatcher, encode_envelope

log = logging.getLogger(__name__)

#: DomainEventType.php
EVENT_TYPES = (
    "product.created",
    "product.updated",
    "product.deleted",
    "event.created",
    "event.updated",
    "event.archived",
    "order.created",
    "order.updated",
    "order.marked_as_paid",
    "order.refunded",
    "order.cancelled",
    "attendee.created",
    "attendee.updated",
    "attendee.cancelled",
    "checkin.created",
    "checkin.deleted",
)
#: What the pre-registered bot webhook listens to (``event.updated``: schedule changes).
BOT_EVENT_TYPES = [
    t for t in EVENT_TYPES if t.split(".")[0] in ("order", "attendee", "checkin")
] + ["event.updated"]

CHECK_IN = "check-in"
CHECK_IN_AND_PAY = "check-in-and-mark-order-as-paid"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_METADATA_HOSTS = frozenset(
    {"metadata", "metadata.google.internal", "metadata.azure.com", "169.254.169.254"}
)
USER_ID = 1
ROLE = "ADMIN"
#: ``JWT_REFRESH_TTL``: an expired token may still be refreshed for 14 days.
REFRESH_TTL_MIN = 20160

FAULT_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass
class Fault:
    """The next ``remaining`` requests whose path contains ``path_contains`` fail."""

    status: int | str  # an HTTP status or "timeout"
    remaining: int
    path_contains: str = ""
    method: str | None = None
    retry_after: int = 1

    def matches(self, method: str, path: str) -> bool:
        return self.path_contains in path and self.method in (None, method.upper())

    def to_api(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "count": self.remaining,
            "path_contains": self.path_contains,
            "method": self.method,
            "retry_after": self.retry_after,
        }


class HiEventsEmulator:
    """One emulated Hi.Events account with one organizer; ``reset`` re-seeds it."""

    def __init__(self, config: HiEventsConfig, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.config = config
        self.now = clock
        self.faults: list[Fault] = []
        self._http: httpx.AsyncClient | None = None
        self._token_generation = 0
        self._revoked_jti: set[str] = set()
        self._hits: dict[str, deque[float]] = {}
        self.requests = 0
        self.state = self._seed()
        self.webhooks = WebhookDispatcher(
            client=lambda: self.http,
            timeout_s=config.webhook_timeout_s,
            record=self.state_log,
            now=lambda: self.now(),
            next_log_id=lambda: next(self.state.webhook_log_ids),
        )

    # --- life cycle ----------------------------------------------------------------------
    def _seed(self) -> HiEventsState:
        seed = build_seed(
            organizer_id=self.config.organizer_id,
            account_id=self.config.account_id,
            order_timeout_min=self.config.order_timeout_min,
            now=self.now(),
        )
        state = HiEventsState(seed.organizer, seed.events, seed.check_in_lists)
        if self.config.webhook_url:
            hook_id = next(state.webhook_ids)
            state.webhooks[hook_id] = Webhook(
                id=hook_id,
                account_id=self.config.account_id,
                organizer_id=self.config.organizer_id,
                url=self.config.webhook_url,
                event_types=list(BOT_EVENT_TYPES),
                status="ENABLED",
                secret=self.config.webhook_secret or webhook_secret(),
                created_at=self.now(),
            )
        return state

    def state_log(self, entry: WebhookLog) -> None:
        self.state.webhook_logs.append(entry)

    @property
    def http(self) -> httpx.AsyncClient:
        """Created lazily inside the running loop (webhooks and the door's self-calls)."""
        if self._http is None:
            self._http = httpx.AsyncClient(follow_redirects=False, trust_env=False)
        return self._http

    async def close(self) -> None:
        await self.webhooks.drain(timeout_s=self.config.webhook_timeout_s + 1)
        self.webhooks.cancel_all()
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def reset(self) -> None:
        """Re-seed; deliveries already queued finish first so none lands in the new state."""
        await self.webhooks.drain(timeout_s=self.config.webhook_timeout_s + 1)
        self.webhooks.cancel_all()
        self.faults.clear()
        self._hits.clear()
        self.state = self._seed()
        self.webhooks.sent = self.webhooks.failed = 0

    # --- sandbox controls -----------------------------------------------------------------
    def add_fault(self, body: dict[str, Any]) -> Fault:
        status = body.get("status", 503)
        if status != "timeout":
            try:
                status = int(status)
            except (TypeError, ValueError):
                status = 0
            if status not in FAULT_STATUSES:
                raise ApiError(
                    400, {"message": "status must be 429, 500, 502, 503, 504 or 'timeout'"}
                )
        try:
            count = max(1, int(body.get("count", 1)))
            retry_after = max(0, int(body.get("retry_after", 1)))
        except (TypeError, ValueError) as exc:
            raise ApiError(400, {"message": "count and retry_after must be integers"}) from exc
        method = body.get("method")
        fault = Fault(
            status=status,
            remaining=count,
            path_contains=str(body.get("path_contains") or ""),
            method=str(method).upper() if method else None,
            retry_after=retry_after,
        )
        self.faults.append(fault)
        return fault

    def take_fault(self, method: str, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.matches(method, path):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self.faults.remove(fault)
                return fault
        return None

    async def raise_fault(self, fault: Fault) -> None:
        if fault.status == "timeout":
            await asyncio.sleep(self.config.fault_timeout_s)
            raise ApiError(504, {"message": "Gateway Timeout"})
        status = int(fault.status)
        if status == 429:
            raise ApiError(
                429,
                {"message": "Too Many Attempts."},
                {
                    "Retry-After": str(fault.retry_after),
                    "X-RateLimit-Limit": str(self.config.rate_limit_per_min or 180),
                    "X-RateLimit-Remaining": "0",
                },
            )
        message = {500: "Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}
        raise ApiError(status, {"message": message.get(status, "Gateway Timeout")})

    def throttle(self, key: str) -> None:
        """``throttle:api`` (off unless ``rate_limit_per_min`` is set)."""
        limit = self.config.rate_limit_per_min
        if limit <= 0:
            return
        hits = self._hits.setdefault(key, deque())
        now = time.monotonic()
        while hits and hits[0] <= now - 60:
            hits.popleft()
        if len(hits) >= limit:
            retry = max(1, int(60 - (now - hits[0])) + 1)
            raise ApiError(
                429,
                {"message": "Too Many Attempts."},
                {
                    "Retry-After": str(retry),
                    "X-RateLimit-Limit": str(limit),
                    "X-RateLimit-Remaining": "0",
                },
            )
        hits.append(now)

    def expire_order(self, order_short_id: str) -> Order:
        order = self.state.order_by_short_id(order_short_id)
        if order is None:
            raise not_found("Order not found")
        order.reserved_until = self.now() - timedelta(seconds=1)
        return order

    def revoke_tokens(self) -> None:
        """Every token issued so far becomes invalid (tests of the client's re-login)."""
        self._token_generation += 1

    def counts(self) -> dict[str, Any]:
        state = self.state
        return {
            "events": len(state.events),
            "orders": dict(Counter(o.status for o in state.orders.values())),
            "attendees": dict(Counter(a.status for a in state.attendees.values())),
            "check_ins": len(state.check_ins),
            "webhooks": len(state.webhooks),
            "webhook_deliveries": {
                "sent": self.webhooks.sent,
                "failed": self.webhooks.failed,
                "pending": self.webhooks.pending,
            },
            "emails": len(state.emails),
            "faults": [f.to_api() for f in self.faults],
            "requests": self.requests,
        }

    # --- auth (LoginService, jwt-auth) ---------------------------------------------------------
    def login(self, body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        email = body.get("email")
        password = body.get("password")
        errors: dict[str, list[str]] = {}
        if not isinstance(email, str) or not email:
            errors["email"] = ["The email field is required."]
        elif not _EMAIL.match(email):
            errors["email"] = ["The email field must be a valid email address."]
        if not isinstance(password, str) or not password:
            errors["password"] = ["The password field is required."]
        if errors:
            raise validation(errors)
        assert isinstance(email, str) and isinstance(password, str)
        good = email.strip().lower() == self.config.email.lower() and hmac.compare_digest(
            password.encode(), self.config.password.encode()
        )
        account_id = body.get("account_id")
        if account_id not in (None, self.config.account_id):
            good = False
        if not good:
            raise ApiError(401, {"message": "Username or Password are incorrect", "errors": []})
        token = self._issue_token()
        return token, self.auth_body(token)

    def _issue_token(self) -> str:
        now = int(self.now().timestamp())
        claims = {
            "iss": "hi-events-sandbox",
            "iat": now,
            "nbf": now,
            "exp": now + self.config.jwt_ttl_min * 60,
            "jti": secrets.token_urlsafe(12),
            "sub": str(USER_ID),
            "account_id": self.config.account_id,
            "role": ROLE,
            "gen": self._token_generation,
        }
        return jwt_encode(claims, self.config.jwt_secret)

    def auth_body(self, token: str) -> dict[str, Any]:
        """``AuthenticatedResponseResource``."""
        return {
            "token": token,
            "token_type": "bearer",
            "expires_in": self.config.jwt_ttl_min * 60,
            "user": {
                "id": USER_ID,
                "account_id": self.config.account_id,
                "first_name": "Bot",
                "last_name": "Fashionistas",
                "email": self.config.email,
                "timezone": "America/Bogota",
                "locale": "es",
                "role": ROLE,
                "is_account_owner": True,
                "is_email_verified": True,
                "has_pending_email_change": False,
            },
            "accounts": [
                {
                    "id": self.config.account_id,
                    "name": self.state.organizer.name,
                    "currency_code": "COP",
                    "timezone": "America/Bogota",
                    "is_account_email_confirmed": True,
                    "is_saas_mode_enabled": False,
                }
            ],
        }

    def _claims(self, authorization: str | None) -> dict[str, Any] | None:
        if not authorization or not authorization.lower().startswith("bearer "):
            return None
        claims = jwt_decode(authorization[7:].strip(), self.config.jwt_secret)
        if claims is None or claims.get("gen") != self._token_generation:
            return None
        if claims.get("jti") in self._revoked_jti:
            return None
        return claims

    def authenticate(self, authorization: str | None) -> dict[str, Any]:
        claims = self._claims(authorization)
        if claims is None or int(claims.get("exp", 0)) <= int(self.now().timestamp()):
            raise unauthenticated()
        return claims

    def refresh(self, authorization: str | None) -> tuple[str, dict[str, Any]]:
        """A new token for a valid one, or one expired less than the refresh window ago."""
        claims = self._claims(authorization)
        now = int(self.now().timestamp())
        if claims is None or int(claims.get("iat", 0)) + REFRESH_TTL_MIN * 60 <= now:
            raise unauthenticated()
        self._revoked_jti.add(str(claims.get("jti")))  # jwt-auth blacklists the old token
        token = self._issue_token()
        return token, self.auth_body(token)

    def logout(self, authorization: str | None) -> None:
        claims = self.authenticate(authorization)
        self._revoked_jti.add(str(claims.get("jti")))

    # --- events ------------------------------------------------------------------------------
    def event(self, event_id: int) -> Event:
        found = self.state.events.get(event_id)
        if found is None or found.account_id != self.config.account_id:
            raise not_found("Event not found")
        return found

    def public_event(self, event_id: int) -> Event:
        """404 with an empty body unless LIVE (GetPublicEventAction)."""
        found = self.state.events.get(event_id)
        if found is None or found.status != "LIVE":
            raise not_found()
        return found

    def organizer_events(
        self, organizer_id: int, *, upcoming: bool, live_only: bool
    ) -> list[Event]:
        if organizer_id != self.state.organizer.id:
            return []
        now = self.now()
        events = [e for e in self.state.events.values() if e.organizer_id == organizer_id]
        if live_only:
            events = [e for e in events if e.status == "LIVE"]
        if upcoming:
            events = [e for e in events if e.status != "ARCHIVED" and e.end_date > now]
        return sorted(events, key=lambda e: e.start_date)

    def update_settings(self, event_id: int, body: dict[str, Any]) -> Event:
        event = self.event(event_id)
        errors: dict[str, list[str]] = {}
        if "order_timeout_in_minutes" in body:
            value = body["order_timeout_in_minutes"]
            if not isinstance(value, int) or not 1 <= value <= 120:
                errors["order_timeout_in_minutes"] = [
                    "The order timeout in minutes field must be between 1 and 120."
                ]
        if "payment_providers" in body:
            providers = body["payment_providers"]
            if not isinstance(providers, list) or any(
                p not in ("STRIPE", "OFFLINE") for p in providers
            ):
                errors["payment_providers"] = ["The selected payment providers is invalid."]
        if "attendee_details_collection_method" in body and body[
            "attendee_details_collection_method"
        ] not in ("PER_TICKET", "PER_ORDER"):
            errors["attendee_details_collection_method"] = [
                "The selected attendee details collection method is invalid."
            ]
        if errors:
            raise validation(errors)
        for key, value in body.items():
            if key in event.settings or key == "location_details":
                event.settings[key] = value
        if isinstance(body.get("location_details"), dict):
            event.location_details = dict(body["location_details"])
        event.updated_at = self.now()
        return event

    def update_status(self, event_id: int, status: Any) -> Event:
        event = self.event(event_id)
        if status not in ("DRAFT", "LIVE", "ARCHIVED"):
            raise validation({"status": ["The selected status is invalid."]})
        event.status = status
        event.updated_at = self.now()
        return event

    # --- public checkout (§5) ----------------------------------------------------------------
    def reserve(self, event_id: int, body: dict[str, Any]) -> Order:
        """``CreateOrderAction`` + ``OrderCreateRequestValidationService``."""
        found = self.state.events.get(event_id)
        if found is None:
            raise not_found("Event not found")
        if found.status != "LIVE":
            raise forbidden("This event is not live.")
        now = self.now()
        products = body.get("products")
        if not isinstance(products, list) or not products:
            raise validation({"products": ["The products field is required."]})
        errors: dict[str, list[str]] = {}
        lines: list[tuple[Product, Price, int]] = []
        taken: Counter[int] = Counter()
        for index, entry in enumerate(products):
            key = f"products.{index}"
            product = None
            if isinstance(entry, dict) and isinstance(entry.get("product_id"), int):
                product = self.state.product(entry["product_id"])
            if product is None or product.event_id != found.id:
                errors[key] = ["The product ID is invalid."]
                continue
            quantities = entry.get("quantities")
            if not isinstance(quantities, list) or not quantities:
                errors[key] = [f"Quantities are required for {product.title}."]
                continue
            chosen: list[tuple[Price, int]] = []
            for quantity in quantities:
                price = None
                if isinstance(quantity, dict):
                    price = next(
                        (p for p in product.prices if p.id == quantity.get("price_id")), None
                    )
                amount = quantity.get("quantity") if isinstance(quantity, dict) else None
                if price is None:
                    errors[key] = [f"Invalid price ID for {product.title}."]
                    break
                if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0:
                    errors[key] = [f"Invalid quantity for {product.title}."]
                    break
                if amount:
                    chosen.append((price, amount))
            if key in errors:
                continue
            total = sum(amount for _price, amount in chosen)
            if not total:
                continue
            maximum = product.max_per_order or 100
            if total > maximum:
                errors[key] = [
                    f"The maximum number of products available for {product.title} is {maximum}"
                ]
                continue
            if product.min_per_order and total < product.min_per_order:
                errors[key] = [
                    f"You must order at least {product.min_per_order} products for {product.title}"
                ]
                continue
            for price, amount in chosen:
                remaining = self.state.remaining(price, now)
                if remaining is not None:  # earlier lines of this request count too
                    remaining = max(0, remaining - taken[price.id])
                if remaining is not None and amount > remaining:
                    errors[key] = [
                        f"The product {product.title} is sold out"
                        if remaining == 0
                        else f"The maximum number of products available for {product.title} "
                        f"is {remaining}"
                    ]
                    break
                lines.append((product, price, amount))
                taken[price.id] += amount
        if not errors and not lines:
            errors["products"] = ["You haven't selected any products"]
        if errors:
            raise validation(errors)
        order_id = next(self.state.order_ids)
        timeout = int(found.settings.get("order_timeout_in_minutes") or 15)
        order = Order(
            id=order_id,
            short_id=short_id("o"),
            public_id=public_id("O"),
            event_id=found.id,
            session_id=secrets.token_hex(20),
            currency=found.currency,
            items=[
                OrderItem(
                    id=next(self.state.item_ids),
                    order_id=order_id,
                    product_id=product.id,
                    product_price_id=price.id,
                    item_name=product.title
                    if not price.label
                    else f"{product.title} - {price.label}",
                    quantity=amount,
                    price=price.price,
                )
                for product, price, amount in lines
            ],
            reserved_until=now + timedelta(minutes=timeout),
            created_at=now,
            updated_at=now,
        )
        self.state.orders[order.id] = order
        return order

    def _public_order(self, event_id: int, order_short_id: str, session: str | None) -> Order:
        order = self.state.order_by_short_id(order_short_id)
        if order is None or order.event_id != event_id:
            raise not_found("Order not found")
        if order.status == "RESERVED" and not (
            session and hmac.compare_digest(session.encode(), order.session_id.encode())
        ):
            raise forbidden("Sorry, we could not verify your session. Please create a new order.")
        return order

    def public_order(self, event_id: int, order_short_id: str, session: str | None) -> Order:
        return self._public_order(event_id, order_short_id, session)

    def complete(
        self, event_id: int, order_short_id: str, session: str | None, body: dict[str, Any]
    ) -> Order:
        """``CompleteOrderHandler``: attendees are created now."""
        order = self._public_order(event_id, order_short_id, session)
        now = self.now()
        if order.status != "RESERVED" or order.attendee_ids or order.email:
            raise conflict("This order has already been processed")
        if order.is_expired(now):
            raise conflict("This order has expired")
        event = self.state.events[order.event_id]
        details = body.get("order") if isinstance(body.get("order"), dict) else {}
        entries = body.get("products")
        errors: dict[str, list[str]] = {}
        _person(details, "order", errors)
        confirmation = details.get("email_confirmation")
        if confirmation is not None and confirmation != details.get("email"):
            errors["order.email_confirmation"] = ["The email confirmation does not match."]
        per_ticket = event.settings.get("attendee_details_collection_method") == "PER_TICKET"
        if not isinstance(entries, list):
            errors["products"] = ["The products field is required."]
            entries = []
        for index, entry in enumerate(entries):
            if not isinstance(entry, dict) or not isinstance(entry.get("product_price_id"), int):
                errors[f"products.{index}.product_price_id"] = [
                    "The product price id field is required."
                ]
            elif per_ticket:
                _person(entry, f"products.{index}", errors)
        if errors:
            raise validation(errors)
        wanted = Counter(
            item.product_price_id
            for item in order.items
            for _ in range(item.quantity)
            if self._is_ticket(item.product_id)
        )
        given = Counter(entry["product_price_id"] for entry in entries)
        if wanted != given:
            raise conflict(
                "The number of attendees does not match the number of tickets in the order"
            )
        order.first_name = str(details["first_name"]).strip()
        order.last_name = str(details["last_name"]).strip()
        order.email = str(details["email"]).strip()
        order.locale = str(body.get("locale") or details.get("locale") or "es")
        paid = order.total > Decimal("0")
        for entry in entries:
            source = entry if per_ticket else details
            found = self.state.price(entry["product_price_id"])
            assert found is not None  # the counters matched the order's own items
            product, price = found
            attendee = Attendee(
                id=next(self.state.attendee_ids),
                short_id=short_id("a"),
                public_id=public_id("A"),
                order_id=order.id,
                event_id=order.event_id,
                product_id=product.id,
                product_price_id=price.id,
                status="AWAITING_PAYMENT" if paid else "ACTIVE",
                first_name=str(source.get("first_name") or order.first_name).strip(),
                last_name=str(source.get("last_name") or order.last_name).strip(),
                email=str(source.get("email") or order.email).strip(),
                locale=order.locale,
                created_at=now,
                updated_at=now,
            )
            self.state.attendees[attendee.id] = attendee
            order.attendee_ids.append(attendee.id)
        order.updated_at = now
        if paid:
            order.payment_status = "AWAITING_PAYMENT"
        else:
            order.status = "COMPLETED"
            order.payment_status = "NO_PAYMENT_REQUIRED"
            self._commit_quantities(order)
            self._fire_order_created(order)
        return order

    def await_offline_payment(
        self, event_id: int, order_short_id: str, session: str | None
    ) -> Order:
        """``TransitionOrderToOfflinePaymentHandler``."""
        order = self._public_order(event_id, order_short_id, session)
        event = self.state.events[order.event_id]
        if "OFFLINE" not in (event.settings.get("payment_providers") or []):
            raise forbidden("Offline payments are not enabled for this event")
        if order.status != "RESERVED":
            raise conflict("Order is not in the correct status to transition to offline payment")
        if order.is_expired(self.now()):
            raise conflict("Order reservation has expired")
        if not order.email:
            raise conflict("Order details must be completed before choosing offline payment")
        order.status = "AWAITING_OFFLINE_PAYMENT"
        order.payment_status = "AWAITING_OFFLINE_PAYMENT"
        order.payment_provider = "OFFLINE"
        order.updated_at = self.now()
        self._commit_quantities(order)
        self.state.emails.append(
            {
                "to": order.email or "",
                "kind": "offline_payment_instructions",
                "order": order.public_id,
            }
        )
        self._fire_order_created(order)
        return order

    def abandon(self, event_id: int, order_short_id: str, session: str | None) -> Order:
        order = self._public_order(event_id, order_short_id, session)
        if order.status != "RESERVED":
            raise conflict("Order is not in the correct status to be abandoned")
        order.status = "ABANDONED"
        order.updated_at = self.now()
        return order

    def _is_ticket(self, product_id: int) -> bool:
        """Only TICKET products create attendees (``ProductType``)."""
        product = self.state.product(product_id)
        return product is None or product.product_type == "TICKET"

    def _commit_quantities(self, order: Order) -> None:
        if order.quantities_committed:
            return
        for item in order.items:
            found = self.state.price(item.product_price_id)
            if found is not None:
                found[1].quantity_sold += item.quantity
        order.quantities_committed = True

    def _release_quantities(self, order: Order) -> None:
        if not order.quantities_committed:
            return
        for item in order.items:
            found = self.state.price(item.product_price_id)
            if found is not None:
                found[1].quantity_sold = max(0, found[1].quantity_sold - item.quantity)
        order.quantities_committed = False

    # --- authenticated orders and attendees (§6, §7) ----------------------------------------
    def order(self, event_id: int, order_id: int) -> Order:
        self.event(event_id)
        order = self.state.orders.get(order_id)
        if order is None or order.event_id != event_id:
            raise not_found("Order not found")
        return order

    def listed_orders(self, event_id: int) -> list[Order]:
        """``GET /events/{id}/orders`` leaves RESERVED and ABANDONED out."""
        self.event(event_id)
        return [
            o
            for o in self.state.orders.values()
            if o.event_id == event_id and o.status not in ("RESERVED", "ABANDONED")
        ]

    def mark_as_paid(self, event_id: int, order_id: int) -> Order:
        """``MarkOrderAsPaidService``."""
        order = self.order(event_id, order_id)
        self._mark_paid(order)
        return order

    def _mark_paid(self, order: Order) -> None:
        if order.status != "AWAITING_OFFLINE_PAYMENT":
            raise conflict("Order is not awaiting offline payment")
        now = self.now()
        order.status = "COMPLETED"
        order.payment_status = "PAYMENT_RECEIVED"
        order.updated_at = now
        for attendee in self.state.order_attendees(order):
            if attendee.status == "AWAITING_PAYMENT":
                attendee.status = "ACTIVE"
                attendee.updated_at = now
        self.state.emails.append(
            {"to": order.email or "", "kind": "order_summary", "order": order.public_id}
        )
        event = self.state.events[order.event_id]
        self._fire("order.marked_as_paid", event, res.order_resource(self.state, order), order)

    def cancel(self, event_id: int, order_id: int) -> Order:
        """``CancelOrderHandler`` (``{"refund": false}``; refunds are Stripe-only)."""
        order = self.order(event_id, order_id)
        if order.status == "CANCELLED":
            raise conflict("Order already cancelled")
        now = self.now()
        order.status = "CANCELLED"
        order.updated_at = now
        self._release_quantities(order)
        attendees = self.state.order_attendees(order)
        for attendee in attendees:
            attendee.status = "CANCELLED"
            attendee.updated_at = now
        event = self.state.events[order.event_id]
        self._fire("order.cancelled", event, res.order_resource(self.state, order), order)
        for attendee in attendees:
            self._fire(
                "attendee.cancelled",
                event,
                res.attendee_resource(self.state, attendee, with_check_ins=False),
                order,
            )
        return order

    def listed_attendees(self, event_id: int) -> list[Attendee]:
        """Attendees of orders the organizer can see (not RESERVED, not ABANDONED)."""
        self.event(event_id)
        visible = {o.id for o in self.listed_orders(event_id)}
        return [
            a
            for a in self.state.attendees.values()
            if a.event_id == event_id and a.order_id in visible
        ]

    def attendee(self, event_id: int, attendee_id: int) -> Attendee:
        self.event(event_id)
        found = self.state.attendees.get(attendee_id)
        if found is None or found.event_id != event_id:
            raise not_found("Attendee not found")
        return found

    def public_ticket(self, event_id: int, attendee_short_id: str) -> Attendee:
        found = next(
            (a for a in self.state.attendees.values() if a.short_id == attendee_short_id), None
        )
        if found is None or found.event_id != event_id:
            raise not_found("Attendee not found")
        return found

    def resend_ticket(self, event_id: int, attendee_public_id: str) -> None:
        self.event(event_id)
        found = self.state.attendee_by_public_id(attendee_public_id)
        if found is None or found.event_id != event_id:
            raise not_found("Attendee not found")
        if found.status != "ACTIVE":
            raise conflict("You cannot resend the ticket of an inactive attendee")
        self.state.emails.append({"to": found.email, "kind": "ticket", "attendee": found.public_id})

    # --- check-in (§8) ------------------------------------------------------------------------
    def check_in_lists(self, event_id: int) -> list[CheckInList]:
        self.event(event_id)
        return [c for c in self.state.check_in_lists.values() if c.event_id == event_id]

    def check_in_list(self, event_id: int, list_id: int) -> CheckInList:
        self.event(event_id)
        found = self.state.check_in_lists.get(list_id)
        if found is None or found.event_id != event_id:
            raise not_found("Check-in list not found")
        return found

    def public_check_in_list(self, list_short_id: str) -> CheckInList:
        found = self.state.check_in_list_by_short_id(list_short_id)
        if found is None:
            raise not_found("Check-in list not found")
        return found

    def public_list_attendee(self, list_short_id: str, attendee_public_id: str) -> Attendee:
        check_in_list = self.public_check_in_list(list_short_id)
        found = self.state.attendee_by_public_id(attendee_public_id)
        if found is None or found.event_id != check_in_list.event_id:
            raise not_found("Attendee not found")
        return found

    def check_in(
        self, list_short_id: str, body: dict[str, Any], ip: str | None
    ) -> tuple[list[CheckIn], dict[str, str]]:
        """``CreateAttendeeCheckInService::checkInAttendees``: per-attendee errors in a map.

        Whole-batch failures are 409 like ``CannotCheckInException``: unknown list,
        list expired or not active yet, an unknown code, a ticket of another list.
        An attendee already checked in gets their *existing* check-in back in ``data``
        (so the first scan's time is known) with an error next to it.
        """
        check_in_list = self.state.check_in_list_by_short_id(list_short_id)
        if check_in_list is None:
            raise conflict("Check-in list not found")
        now = self.now()
        if check_in_list.expires_at is not None and check_in_list.expires_at <= now:
            raise conflict("Check-in list has expired")
        if check_in_list.activates_at is not None and check_in_list.activates_at > now:
            raise conflict("Check-in list is not active yet")
        requested = body.get("attendees")
        if not isinstance(requested, list) or not requested:
            raise validation({"attendees": ["The attendees field is required."]})
        errors: dict[str, list[str]] = {}
        actions: dict[str, str] = {}
        for index, entry in enumerate(requested):
            if not isinstance(entry, dict) or not isinstance(entry.get("public_id"), str):
                errors[f"attendees.{index}.public_id"] = ["The public id field is required."]
                continue
            action = entry.get("action") or CHECK_IN
            if action not in (CHECK_IN, CHECK_IN_AND_PAY):
                errors[f"attendees.{index}.action"] = [
                    f"The selected attendees.{index}.action is invalid."
                ]
                continue
            actions.setdefault(entry["public_id"], action)
        if errors:
            raise validation(errors)
        attendees = {pid: self.state.attendee_by_public_id(pid) for pid in actions}
        unknown = [pid for pid, attendee in attendees.items() if attendee is None]
        if unknown:
            raise conflict(f"Invalid attendee code detected: {', '.join(unknown)} ")
        for attendee in attendees.values():
            assert attendee is not None
            if (
                attendee.event_id != check_in_list.event_id
                or attendee.product_id not in check_in_list.product_ids
            ):
                raise conflict(
                    f"Attendee {attendee.full_name} is not allowed to check in using this "
                    "check-in list"
                )
        event = self.state.events[check_in_list.event_id]
        allow_unpaid = bool(event.settings.get("allow_orders_awaiting_offline_payment_to_check_in"))
        created: list[CheckIn] = []
        messages: dict[str, str] = {}
        for pid, action in actions.items():
            attendee = attendees[pid]
            assert attendee is not None
            existing = self.state.check_in_of(attendee.id, check_in_list.id)
            if existing is not None:
                created.append(existing)
                messages[pid] = f"Attendee {attendee.full_name} is already checked in"
                continue
            problem = _status_problem(attendee, action, allow_unpaid)
            order = self.state.orders[attendee.order_id]
            pay = action == CHECK_IN_AND_PAY and order.status != "COMPLETED"
            if problem is None and pay and order.status != "AWAITING_OFFLINE_PAYMENT":
                problem = "Order is not awaiting offline payment"
            if problem is not None:
                messages[pid] = problem
                continue
            check_in = CheckIn(
                id=next(self.state.check_in_ids),
                short_id=short_id("ci"),
                check_in_list_id=check_in_list.id,
                attendee_id=attendee.id,
                order_id=attendee.order_id,
                product_id=attendee.product_id,
                event_id=check_in_list.event_id,
                created_at=now,
                ip_address=ip,
            )
            self.state.check_ins[check_in.id] = check_in
            created.append(check_in)
            if pay:
                self._mark_paid(order)
            self._fire(
                "checkin.created",
                event,
                res.check_in_resource(self.state, check_in, with_attendee=True),
                order,
            )
        return created, messages

    # --- webhooks (§10) ------------------------------------------------------------------------
    def webhooks_of(self, *, event_id: int | None, organizer_id: int | None) -> list[Webhook]:
        return [
            w
            for w in self.state.webhooks.values()
            if (event_id is not None and w.event_id == event_id)
            or (event_id is None and organizer_id is not None and w.organizer_id == organizer_id)
        ]

    def check_scope(self, event_id: int | None, organizer_id: int | None) -> None:
        if event_id is not None:
            self.event(event_id)
        elif organizer_id != self.state.organizer.id:
            raise not_found("Organizer not found")

    def webhook(
        self, webhook_id: int, *, event_id: int | None, organizer_id: int | None
    ) -> Webhook:
        self.check_scope(event_id, organizer_id)
        found = next(
            (
                w
                for w in self.webhooks_of(event_id=event_id, organizer_id=organizer_id)
                if w.id == webhook_id
            ),
            None,
        )
        if found is None:
            raise not_found("Webhook not found")
        return found

    def create_webhook(
        self, body: dict[str, Any], *, event_id: int | None, organizer_id: int | None
    ) -> Webhook:
        """``CreateWebhookService``: the secret is only ever shown in this answer."""
        self.check_scope(event_id, organizer_id)
        self._validate_webhook(body, partial=False)
        hook_id = next(self.state.webhook_ids)
        hook = Webhook(
            id=hook_id,
            account_id=self.config.account_id,
            organizer_id=organizer_id if event_id is None else None,
            event_id=event_id,
            url=str(body["url"]),
            event_types=list(body["event_types"]),
            status=str(body.get("status") or "ENABLED"),
            secret=webhook_secret(),
            created_at=self.now(),
        )
        self.state.webhooks[hook_id] = hook
        return hook

    def update_webhook(
        self,
        webhook_id: int,
        body: dict[str, Any],
        *,
        event_id: int | None,
        organizer_id: int | None,
    ) -> Webhook:
        hook = self.webhook(webhook_id, event_id=event_id, organizer_id=organizer_id)
        self._validate_webhook(body, partial=True)
        if "url" in body:
            hook.url = str(body["url"])
        if "event_types" in body:
            hook.event_types = list(body["event_types"])
        if "status" in body:
            hook.status = str(body["status"])
        return hook

    def delete_webhook(
        self, webhook_id: int, *, event_id: int | None, organizer_id: int | None
    ) -> None:
        hook = self.webhook(webhook_id, event_id=event_id, organizer_id=organizer_id)
        del self.state.webhooks[hook.id]

    def webhook_logs(
        self, webhook_id: int, *, event_id: int | None, organizer_id: int | None
    ) -> list[WebhookLog]:
        hook = self.webhook(webhook_id, event_id=event_id, organizer_id=organizer_id)
        return [entry for entry in self.state.webhook_logs if entry.webhook_id == hook.id]

    def _validate_webhook(self, body: dict[str, Any], *, partial: bool) -> None:
        errors: dict[str, list[str]] = {}
        if "url" in body or not partial:
            url = body.get("url")
            if not isinstance(url, str) or not url:
                errors["url"] = ["The url field is required."]
            else:
                parts = urlsplit(url)
                if parts.scheme not in ("http", "https") or not parts.hostname:
                    errors["url"] = ["The url field must be a valid URL."]
                elif self._internal_host(parts.hostname):
                    errors["url"] = ["The URL must not point to an internal or private address."]
        if "event_types" in body or not partial:
            types = body.get("event_types")
            if not isinstance(types, list) or not types:
                errors["event_types"] = ["The event types field is required."]
            else:
                for index, value in enumerate(types):
                    if value not in EVENT_TYPES:
                        errors[f"event_types.{index}"] = [
                            f"The selected event_types.{index} is invalid."
                        ]
        if body.get("status") not in (None, "ENABLED", "PAUSED"):
            errors["status"] = ["The selected status is invalid."]
        if errors:
            raise validation(errors)

    def _internal_host(self, host: str) -> bool:
        """``NoInternalUrlRule`` (literal hosts only; the emulator resolves no DNS)."""
        host = host.lower().strip("[]")
        if host in self.config.allowed_internal_webhook_hosts:
            return False
        if host == "localhost" or host.endswith(".localhost") or host in _METADATA_HOSTS:
            return True
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        return bool(
            address.is_loopback
            or address.is_private
            or address.is_link_local
            or address.is_unspecified
            or address.is_reserved
            or address.is_multicast
        )

    def _fire(self, event_type: str, event: Event, payload: dict[str, Any], order: Order) -> None:
        """Hand one domain event to every matching hook; ordered per (hook, order)."""
        hooks = [
            w
            for w in self.state.webhooks.values()
            if w.status == "ENABLED"
            and event_type in w.event_types
            and (
                w.event_id == event.id
                or (w.event_id is None and w.organizer_id == event.organizer_id)
            )
        ]
        if not hooks:
            return
        body = encode_envelope(event_type, self.now(), payload)
        for hook in hooks:
            self.webhooks.submit(f"order:{order.id}", Outgoing(hook, event_type, body))
        log_event(
            log, "hi_events.webhook_queued", logging.DEBUG, event_type=event_type, hooks=len(hooks)
        )

    def fire(self, event_type: str, event: Event, payload: dict[str, Any], order: Order) -> None:
        """:meth:`_fire` for the staff edits in ``edits.py``."""
        self._fire(event_type, event, payload, order)

    def fire_order_created(self, order: Order) -> None:
        self._fire_order_created(order)

    def commit_quantities(self, order: Order) -> None:
        self._commit_quantities(order)

    def fire_event(self, event_type: str, event: Event, payload: dict[str, Any]) -> None:
        """An ``event.*`` webhook: like :meth:`_fire`, ordered per (hook, event)."""
        hooks = [
            w
            for w in self.state.webhooks.values()
            if w.status == "ENABLED"
            and event_type in w.event_types
            and (
                w.event_id == event.id
                or (w.event_id is None and w.organizer_id == event.organizer_id)
            )
        ]
        body = encode_envelope(event_type, self.now(), payload)
        for hook in hooks:
            self.webhooks.submit(f"event:{event.id}", Outgoing(hook, event_type, body))

    def _fire_order_created(self, order: Order) -> None:
        """``order.created`` then one ``attendee.created`` per attendee (contract §10)."""
        event = self.state.events[order.event_id]
        self._fire("order.created", event, res.order_resource(self.state, order), order)
        for attendee in self.state.order_attendees(order):
            self._fire(
                "attendee.created",
                event,
                res.attendee_resource(self.state, attendee, with_check_ins=False),
                order,
            )


def _person(source: dict[str, Any], prefix: str, errors: dict[str, list[str]]) -> None:
    """first/last name required, at most 40 characters; a valid e-mail."""
    for field, label in (("first_name", "first name"), ("last_name", "last name")):
        value = source.get(field)
        if not isinstance(value, str) or not value.strip():
            errors[f"{prefix}.{field}"] = [f"The {label} field is required."]
        elif len(value) > 40:
            errors[f"{prefix}.{field}"] = [
                f"The {label} field must not be greater than 40 characters."
            ]
    email = source.get("email")
    if not isinstance(email, str) or not email.strip():
        errors[f"{prefix}.email"] = ["The email field is required."]
    elif not _EMAIL.match(email.strip()):
        errors[f"{prefix}.email"] = ["The email field must be a valid email address."]


def _status_problem(attendee: Attendee, action: str, allow_unpaid: bool) -> str | None:
    """``validateAttendeeStatus``."""
    if attendee.status == "CANCELLED":
        return f"Attendee {attendee.full_name}'s ticket is cancelled"
    if not allow_unpaid:
        if action == CHECK_IN and attendee.status == "AWAITING_PAYMENT":
            return (
                f"Unable to check in as attendee {attendee.full_name}'s order is awaiting payment"
            )
        if action == CHECK_IN_AND_PAY:
            return (
                f"Attendee {attendee.full_name}'s order cannot be marked as paid. "
                "Please check your event settings"
            )
    return None
