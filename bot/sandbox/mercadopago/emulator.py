"""In-memory behaviour of the Mercado Pago emulator (contract §2, Checkout Pro).

The HTTP faces (``routes.py``, ``checkout_page.py``) stay thin: every payment, from the
hosted page or from a sandbox control route, goes through :meth:`MercadoPagoEmulator.pay`
so a test exercises exactly what a person clicking the page does.

Shapes follow the public API: preferences and payments carry Mercado Pago's field
names, dates are ISO-8601 with milliseconds and Mercado Pago's ``-04:00`` server offset
(so a client that assumes Bogotá time breaks here, not in production), a payment points
at its preference only through ``order.id`` → ``GET /merchant_orders/{id}`` →
``preference_id``, and errors use the ``{"message","error","status","cause"}`` envelope.
"""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
import hashlib
import hmac
import itertools
import json
import logging
import math
import re
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from bot.logging import event
from bot.sandbox.mercadopago.config import MercadoPagoConfig

log = logging.getLogger(__name__)

#: Mercado Pago answers in its servers' offset, whatever the site.
MP_TZ = dt.timezone(dt.timedelta(hours=-4))
SITE_ID = "MCO"
CURRENCY = "COP"
#: Statuses a payment can still be approved from (PSE transfer done, cash paid, review passed).
APPROVABLE = frozenset({"pending", "in_process", "authorized"})
#: Every status the contract lists; the control route refuses others.
KNOWN_STATUSES = frozenset(
    {
        "pending",
        "approved",
        "authorized",
        "in_process",
        "in_mediation",
        "rejected",
        "cancelled",
        "refunded",
        "charged_back",
    }
)
_DEFAULT_DETAIL = {
    "approved": "accredited",
    "authorized": "pending_capture",
    "in_process": "pending_contingency",
    "in_mediation": "in_mediation",
    "rejected": "cc_rejected_other_reason",
    "cancelled": "by_collector",
    "refunded": "refunded",
    "charged_back": "settled",
    "pending": "pending_waiting_transfer",
}
#: (method, outcome) → (payment_method_id, payment_type_id, status, default status_detail).
_OUTCOMES: dict[tuple[str, str], tuple[str, str, str, str]] = {
    ("card", "approved"): ("visa", "credit_card", "approved", "accredited"),
    ("card", "rejected"): ("visa", "credit_card", "rejected", "cc_rejected_insufficient_amount"),
    ("card", "pending"): ("visa", "credit_card", "in_process", "pending_contingency"),
    ("pse", "approved"): ("pse", "bank_transfer", "approved", "accredited"),
    ("pse", "rejected"): ("pse", "bank_transfer", "rejected", "bank_error"),
    ("pse", "pending"): ("pse", "bank_transfer", "pending", "pending_waiting_transfer"),
    ("efecty", "approved"): ("efecty", "ticket", "approved", "accredited"),
    ("efecty", "pending"): ("efecty", "ticket", "pending", "pending_waiting_payment"),
}
_DEFAULT_METHOD = {"approved": "card", "rejected": "card", "pending": "pse"}
_ALNUM = re.compile(r"^[A-Za-z0-9]+$")
_IDEMPOTENCY_KEEP = 5_000


class MercadoPagoApiError(Exception):
    """An answer in Mercado Pago's error envelope."""

    def __init__(
        self,
        status: int,
        error: str,
        message: str,
        cause: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message
        self.cause = cause or []

    def envelope(self) -> dict[str, Any]:
        return {
            "message": self.message,
            "error": self.error,
            "status": self.status,
            "cause": self.cause,
        }


def _invalid(code: str, description: str) -> dict[str, Any]:
    return {"code": code, "description": description, "data": None}


def now_mp() -> dt.datetime:
    return dt.datetime.now(MP_TZ)


def iso(value: dt.datetime | None) -> str | None:
    """``2024-01-10T08:00:00.000-04:00``: Mercado Pago's date format."""
    if value is None:
        return None
    return value.astimezone(MP_TZ).isoformat(timespec="milliseconds")


def parse_date(value: Any, field_name: str) -> dt.datetime | None:
    """An ISO-8601 date with an offset; Mercado Pago refuses dates without a zone."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise MercadoPagoApiError(
            400,
            f"invalid_{field_name}",
            f"{field_name} invalid",
            [_invalid(f"invalid_{field_name}", f"{field_name} must be an ISO-8601 string")],
        )
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise MercadoPagoApiError(
            400,
            f"invalid_{field_name}",
            f"{field_name} invalid",
            [
                _invalid(
                    f"invalid_{field_name}",
                    f"{field_name} must look like yyyy-MM-dd'T'HH:mm:ss.SSSZ (offset required)",
                )
            ],
        )
    return parsed


def manifest_id(data_id: str) -> str:
    """Mercado Pago lowercases an alphanumeric ``data.id`` in the signed manifest."""
    return data_id.lower() if _ALNUM.match(data_id) else data_id


def sign_notification(secret: str, data_id: str, request_id: str, ts: int) -> str:
    """``ts=<seconds>,v1=<hex HMAC-SHA256(secret, manifest)>`` (contract §2, Webhooks).

    Written independently of the bot's verifier on purpose: if both shared one
    manifest builder, a bug in it would pass every test.
    """
    manifest = f"id:{manifest_id(data_id)};request-id:{request_id};ts:{ts};"
    digest = hmac.new(secret.encode(), manifest.encode(), hashlib.sha256).hexdigest()
    return f"ts={ts},v1={digest}"


def with_query(url: str, params: dict[str, str]) -> str:
    """Append query parameters to a URL that may already carry some."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True) + list(params.items())
    return urlunsplit(parts._replace(query=urlencode(query)))


def _number(value: float) -> int | float:
    """Whole amounts as JSON integers (``150000``), fractional ones as they are."""
    return int(value) if float(value).is_integer() else round(float(value), 2)


@dataclass
class DeliveryAttempt:
    attempt: int
    at: float
    status_code: int | None
    error: str | None
    duration_ms: float


@dataclass
class Delivery:
    """One notification (one body, one ``x-request-id``) and the attempts to deliver it."""

    id: int
    notification_id: int
    payment_id: str
    action: str
    url: str
    body: bytes
    request_id: str
    ts: int
    signature: str
    #: The receiver's URL before ``?data.id=…&type=payment`` was added (for redelivery).
    base_url: str = ""
    redelivery_of: int | None = None
    state: str = "pending"  # pending -> delivered | failed
    attempts: list[DeliveryAttempt] = field(default_factory=list)

    @property
    def headers(self) -> dict[str, str]:
        return {
            "Content-Type": "application/json",
            "x-signature": self.signature,
            "x-request-id": self.request_id,
            "User-Agent": "MercadoPago WebHook v1.0 payment",
        }

    def to_api(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "notification_id": self.notification_id,
            "payment_id": self.payment_id,
            "action": self.action,
            "url": self.url,
            "state": self.state,
            "status_code": self.attempts[-1].status_code if self.attempts else None,
            "request_id": self.request_id,
            "signature": self.signature,
            "redelivery_of": self.redelivery_of,
            "attempts": [a.__dict__ for a in self.attempts],
            "payload": json.loads(self.body),
        }


@dataclass
class Fault:
    """Answer ``status`` instead of serving the next ``remaining`` matching API calls."""

    status: int
    remaining: int
    path_contains: str = ""

    def to_api(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "remaining": self.remaining,
            "path_contains": self.path_contains,
        }


_FAULT_ERRORS = {
    429: ("too_many_requests", "Too many requests"),
    500: ("internal_error", "Internal server error"),
    502: ("bad_gateway", "Bad gateway"),
    503: ("service_unavailable", "Service unavailable"),
    504: ("gateway_timeout", "Gateway timeout"),
}


class MercadoPagoEmulator:
    """Preferences, payments, merchant orders and signed webhooks, all in memory."""

    def __init__(self, config: MercadoPagoConfig) -> None:
        self.config = config
        self.preferences: dict[str, dict[str, Any]] = {}
        self.payments: dict[str, dict[str, Any]] = {}
        self.merchant_orders: dict[str, dict[str, Any]] = {}
        #: preference id → its merchant order id (created with the first payment).
        self._pref_orders: dict[str, str] = {}
        self.deliveries: OrderedDict[int, Delivery] = OrderedDict()
        self.faults: list[Fault] = []
        self._idempotent: OrderedDict[tuple[str, str, str], tuple[int, dict[str, Any]]] = (
            OrderedDict()
        )
        # Ids never restart (not even on reset) and start from the clock, so a bot
        # database that outlives a sandbox restart never sees one payment id twice.
        seed = int(time.time() * 10)
        self._payment_ids = itertools.count(seed)
        self._order_ids = itertools.count(seed)
        self._notification_ids = itertools.count(seed * 10)
        self._delivery_ids = itertools.count(1)
        self._tasks: dict[int, asyncio.Task[Delivery]] = {}
        self._client: httpx.AsyncClient | None = None

    # --- lifecycle ---------------------------------------------------------------
    @property
    def client(self) -> httpx.AsyncClient:
        """Created lazily inside the running loop (the app may be built outside it)."""
        if self._client is None:
            self._client = httpx.AsyncClient(follow_redirects=False, trust_env=False)
        return self._client

    async def close(self) -> None:
        await self._cancel_tasks()
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def reset(self) -> None:
        """Forget everything but the id counters (tests start clean)."""
        await self._cancel_tasks()
        self.preferences.clear()
        self.payments.clear()
        self.merchant_orders.clear()
        self._pref_orders.clear()
        self.deliveries.clear()
        self.faults.clear()
        self._idempotent.clear()

    async def _cancel_tasks(self) -> None:
        tasks = [t for t in self._tasks.values() if not t.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()

    # --- API guards ----------------------------------------------------------------
    def check_token(self, authorization: str | None) -> None:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            token.strip().encode(), self.config.access_token.encode()
        ):
            raise MercadoPagoApiError(
                401,
                "unauthorized",
                "invalid access token",
                [_invalid("invalid_token", "the Bearer token is missing or not valid")],
            )

    def take_fault(self, path: str) -> MercadoPagoApiError | None:
        for fault in self.faults:
            if fault.remaining > 0 and fault.path_contains in path:
                fault.remaining -= 1
                self.faults = [f for f in self.faults if f.remaining > 0]
                error, message = _FAULT_ERRORS.get(fault.status, ("fault", "Injected fault"))
                return MercadoPagoApiError(fault.status, error, message)
        return None

    def add_fault(self, body: dict[str, Any]) -> Fault:
        status = body.get("status", 503)
        count = body.get("count", 1)
        path_contains = body.get("path_contains") or ""
        if not isinstance(status, int) or not 400 <= status <= 599:
            raise MercadoPagoApiError(400, "bad_request", "status must be an integer 400-599")
        if not isinstance(count, int) or count < 1:
            raise MercadoPagoApiError(400, "bad_request", "count must be a positive integer")
        if not isinstance(path_contains, str):
            raise MercadoPagoApiError(400, "bad_request", "path_contains must be a string")
        fault = Fault(status, count, path_contains)
        self.faults.append(fault)
        return fault

    def idempotent_answer(
        self, method: str, path: str, key: str | None
    ) -> tuple[int, dict[str, Any]] | None:
        if not key:
            return None
        return self._idempotent.get((method, path, key))

    def remember_answer(
        self, method: str, path: str, key: str | None, status: int, body: dict[str, Any]
    ) -> None:
        """Keep a successful POST's answer: a retry with the same key gets it again."""
        if not key:
            return
        self._idempotent[(method, path, key)] = (status, body)
        while len(self._idempotent) > _IDEMPOTENCY_KEEP:
            self._idempotent.popitem(last=False)

    # --- preferences -----------------------------------------------------------------
    def create_preference(self, body: Any, public_base: str) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise MercadoPagoApiError(400, "bad_request", "the body must be a JSON object")
        pref_id = f"{self.config.user_id}-{uuid.uuid4()}"
        base = (self.config.public_base_url or public_base).rstrip("/")
        init_point = f"{base}/mercadopago/checkout/pay/{pref_id}"
        preference: dict[str, Any] = {
            "id": pref_id,
            "client_id": self.config.client_id,
            "collector_id": self.config.user_id,
            "date_created": iso(now_mp()),
            "operation_type": "regular_payment",
            "site_id": SITE_ID,
            "marketplace": "NONE",
            "marketplace_fee": 0,
            "init_point": init_point,
            "sandbox_init_point": init_point,
            "items": [],
            "payer": {},
            "back_urls": {"success": "", "failure": "", "pending": ""},
            "auto_return": "",
            "notification_url": None,
            "external_reference": "",
            "expires": False,
            "expiration_date_from": None,
            "expiration_date_to": None,
            "metadata": {},
            "statement_descriptor": None,
            "binary_mode": False,
            "payment_methods": {
                "excluded_payment_methods": [],
                "excluded_payment_types": [],
                "installments": None,
                "default_installments": None,
            },
            "additional_info": "",
        }
        self._apply_preference_fields(preference, body, creating=True)
        self.preferences[pref_id] = preference
        event(
            log,
            "mercadopago.preference_created",
            logging.DEBUG,
            preference_id=pref_id,
            external_reference=preference["external_reference"],
        )
        return copy.deepcopy(preference)

    def update_preference(self, pref_id: str, body: Any) -> dict[str, Any]:
        preference = self._preference(pref_id)
        if not isinstance(body, dict):
            raise MercadoPagoApiError(400, "bad_request", "the body must be a JSON object")
        updated = copy.deepcopy(preference)
        self._apply_preference_fields(updated, body, creating=False)
        preference.clear()
        preference.update(updated)
        preference["last_updated"] = iso(now_mp())
        return copy.deepcopy(preference)

    def get_preference(self, pref_id: str) -> dict[str, Any]:
        return copy.deepcopy(self._preference(pref_id))

    def _preference(self, pref_id: str) -> dict[str, Any]:
        preference = self.preferences.get(pref_id)
        if preference is None:
            raise MercadoPagoApiError(
                404,
                "not_found",
                f"preference {pref_id} not found",
                [_invalid("not_found", "Preference not found")],
            )
        return preference

    def _apply_preference_fields(
        self, preference: dict[str, Any], body: dict[str, Any], *, creating: bool
    ) -> None:
        """Validate and copy the fields Checkout Pro accepts; all problems at once."""
        causes: list[dict[str, Any]] = []
        if "items" in body or creating:
            items = self._items(body.get("items"), causes)
            if items is not None:
                preference["items"] = items
        ref = body.get("external_reference", preference["external_reference"])
        if ref is None:
            ref = ""
        if not isinstance(ref, str) or len(ref) > 256:
            causes.append(
                _invalid("invalid_external_reference", "external_reference: string ≤ 256 chars")
            )
        else:
            preference["external_reference"] = ref
        if "back_urls" in body:
            urls = body["back_urls"] or {}
            if not isinstance(urls, dict) or any(
                k not in ("success", "failure", "pending") or not isinstance(v, str)
                for k, v in urls.items()
            ):
                causes.append(
                    _invalid("invalid_back_urls", "back_urls: {success, failure, pending} strings")
                )
            else:
                preference["back_urls"] = {
                    k: urls.get(k, "") or "" for k in ("success", "failure", "pending")
                }
        if "auto_return" in body:
            auto = body["auto_return"] or ""
            if auto not in ("", "approved", "all"):
                causes.append(_invalid("invalid_auto_return", "auto_return: approved or all"))
            else:
                preference["auto_return"] = auto
        if preference["auto_return"] and not preference["back_urls"]["success"]:
            causes.append(
                _invalid(
                    "invalid_auto_return", "auto_return invalid. back_url.success must be defined"
                )
            )
        if "notification_url" in body:
            url = body["notification_url"]
            if url is not None and (
                not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https")
            ):
                causes.append(
                    _invalid("invalid_notification_url", "notification_url must be a valid URL")
                )
            else:
                preference["notification_url"] = url or None
        if "expires" in body:
            if not isinstance(body["expires"], bool):
                causes.append(_invalid("invalid_expires", "expires must be a boolean"))
            else:
                preference["expires"] = body["expires"]
        for name in ("expiration_date_from", "expiration_date_to"):
            if name in body:
                try:
                    preference[name] = iso(parse_date(body[name], name))
                except MercadoPagoApiError as exc:
                    causes.extend(exc.cause)
        start = parse_date(preference.get("expiration_date_from"), "expiration_date_from")
        end = parse_date(preference.get("expiration_date_to"), "expiration_date_to")
        if "expires" not in body and ("expiration_date_to" in body) and end is not None:
            # Dates are honoured whenever set; echo what they imply.
            preference["expires"] = True
        if start is not None and end is not None and start >= end:
            causes.append(
                _invalid(
                    "invalid_expiration_date_to",
                    "expiration_date_to must be after expiration_date_from",
                )
            )
        if "payer" in body:
            payer = body["payer"]
            if payer is not None and not isinstance(payer, dict):
                causes.append(_invalid("invalid_payer", "payer must be an object"))
            else:
                preference["payer"] = payer or {}
        if "metadata" in body:
            metadata = body["metadata"]
            if metadata is not None and not isinstance(metadata, dict):
                causes.append(_invalid("invalid_metadata", "metadata must be an object"))
            else:
                preference["metadata"] = metadata or {}
        for name in ("statement_descriptor", "additional_info"):
            if name in body:
                value = body[name]
                if value is not None and not isinstance(value, str):
                    causes.append(_invalid(f"invalid_{name}", f"{name} must be a string"))
                else:
                    preference[name] = value
        if "binary_mode" in body:
            preference["binary_mode"] = bool(body["binary_mode"])
        if "payment_methods" in body and isinstance(body["payment_methods"], dict):
            preference["payment_methods"].update(body["payment_methods"])
        if causes:
            raise MercadoPagoApiError(400, causes[0]["code"], causes[0]["description"], causes)

    @staticmethod
    def _items(items: Any, causes: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
        if not isinstance(items, list) or not items:
            causes.append(_invalid("invalid_items", "items must be a non-empty list"))
            return None
        result = []
        for index, item in enumerate(items):
            where = f"items[{index}]"
            if not isinstance(item, dict):
                causes.append(_invalid("invalid_items", f"{where} must be an object"))
                continue
            title = item.get("title")
            quantity = item.get("quantity")
            price = item.get("unit_price")
            currency = item.get("currency_id") or CURRENCY
            if not isinstance(title, str) or not title.strip():
                causes.append(_invalid("invalid_items", f"{where}.title is required"))
            if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
                causes.append(_invalid("invalid_items", f"{where}.quantity: integer ≥ 1"))
            if (
                isinstance(price, bool)
                or not isinstance(price, (int, float))
                or not math.isfinite(price)
                or price <= 0
            ):
                causes.append(_invalid("invalid_items", f"{where}.unit_price: number > 0"))
            if currency != CURRENCY:
                causes.append(
                    _invalid("invalid_items", f"{where}.currency_id: only COP on site {SITE_ID}")
                )
            result.append(
                {
                    "id": str(item.get("id") or ""),
                    "category_id": str(item.get("category_id") or ""),
                    "currency_id": CURRENCY,
                    "description": str(item.get("description") or ""),
                    "picture_url": str(item.get("picture_url") or ""),
                    "title": title,
                    "quantity": quantity,
                    "unit_price": price,
                }
            )
        return result

    def preference_total(self, preference: dict[str, Any]) -> float:
        return float(sum(i["unit_price"] * i["quantity"] for i in preference["items"]))

    def preference_expired(self, preference: dict[str, Any]) -> str | None:
        """Why the link cannot take payments now (``expired``/``not_yet_active``) or ``None``."""
        now = now_mp()
        end = parse_date(preference.get("expiration_date_to"), "expiration_date_to")
        start = parse_date(preference.get("expiration_date_from"), "expiration_date_from")
        if end is not None and now >= end:
            return "expired"
        if start is not None and now < start:
            return "not_yet_active"
        return None

    # --- payments ----------------------------------------------------------------------
    def get_payment(self, payment_id: str) -> dict[str, Any]:
        return copy.deepcopy(self._payment(payment_id))

    def _payment(self, payment_id: str) -> dict[str, Any]:
        if not payment_id.isdigit():
            raise MercadoPagoApiError(
                400,
                "bad_request",
                "invalid payment_id",
                [_invalid("invalid_id", "payment id must be a number")],
            )
        payment = self.payments.get(payment_id)
        if payment is None:
            raise MercadoPagoApiError(
                404,
                "not_found",
                "Payment not found",
                [{"code": 2000, "description": "Payment not found", "data": None}],
            )
        return payment

    def search_payments(self, args: dict[str, str]) -> dict[str, Any]:
        """``GET /v1/payments/search``: filter by ``external_reference``/``status``/``id``."""
        try:
            limit = max(1, min(1000, int(args.get("limit", 30))))
            offset = max(0, int(args.get("offset", 0)))
        except ValueError:
            raise MercadoPagoApiError(
                400, "bad_request", "limit and offset must be integers"
            ) from None
        results = list(self.payments.values())
        for name in ("external_reference", "status", "id"):
            if args.get(name):
                results = [p for p in results if str(p.get(name)) == args[name]]
        sort = args.get("sort", "date_created")
        if sort not in ("date_created", "date_approved", "date_last_updated", "id"):
            raise MercadoPagoApiError(400, "bad_request", f"invalid sort {sort}")
        reverse = args.get("criteria", "desc") != "asc"
        # Same-millisecond dates tie; the id (monotonic) keeps creation order.
        results.sort(key=lambda p: (str(p.get(sort) or ""), int(p["id"])), reverse=reverse)
        page = results[offset : offset + limit]
        return {
            "paging": {"total": len(results), "limit": limit, "offset": offset},
            "results": copy.deepcopy(page),
        }

    def get_merchant_order(self, order_id: str) -> dict[str, Any]:
        order = self.merchant_orders.get(order_id)
        if order is None:
            raise MercadoPagoApiError(404, "not_found", f"Merchant Order {order_id} not found", [])
        payments = [self.payments[p] for p in order["payment_ids"]]
        paid = sum(p["transaction_amount"] for p in payments if p["status"] == "approved")
        refunded = sum(p["transaction_amount"] for p in payments if p["status"] == "refunded")
        total = order["total_amount"]
        if paid >= total:
            status, order_status = "closed", "paid"
        elif paid > 0:
            status, order_status = "opened", "partially_paid"
        else:
            status, order_status = "opened", "payment_required"
        view = {k: v for k, v in order.items() if k != "payment_ids"}
        view.update(
            {
                "status": status,
                "order_status": order_status,
                "paid_amount": _number(paid),
                "refunded_amount": _number(refunded),
                "payments": [
                    {
                        "id": int(p["id"]),
                        "transaction_amount": p["transaction_amount"],
                        "total_paid_amount": p["transaction_details"]["total_paid_amount"],
                        "currency_id": p["currency_id"],
                        "status": p["status"],
                        "status_detail": p["status_detail"],
                        "date_approved": p["date_approved"],
                        "date_created": p["date_created"],
                        "last_modified": p["date_last_updated"],
                        "amount_refunded": p["transaction_amount_refunded"],
                        "operation_type": p["operation_type"],
                    }
                    for p in payments
                ],
            }
        )
        return copy.deepcopy(view)

    def pay(
        self,
        pref_id: str,
        outcome: str,
        *,
        method: str | None = None,
        status_detail: str | None = None,
        payer_email: str | None = None,
    ) -> tuple[dict[str, Any], Delivery | None]:
        """A buyer pays on the hosted page: create the payment and send ``payment.created``.

        The single code path for the page and ``POST _sandbox/preferences/{id}/pay``.
        """
        preference = self._preference(pref_id)
        if outcome not in _DEFAULT_METHOD:
            raise MercadoPagoApiError(
                400, "bad_request", "outcome must be approved, rejected or pending"
            )
        method = method or _DEFAULT_METHOD[outcome]
        chosen = _OUTCOMES.get((method, outcome))
        if chosen is None:
            raise MercadoPagoApiError(
                400, "bad_request", f"method {method!r} cannot end {outcome!r} here"
            )
        why = self.preference_expired(preference)
        if why is not None:
            raise MercadoPagoApiError(
                400,
                "preference_expired" if why == "expired" else "preference_not_active",
                "this payment link expired" if why == "expired" else "this link is not active yet",
            )
        method_id, type_id, status, detail = chosen
        if status_detail:
            detail = status_detail
        now = now_mp()
        amount = self.preference_total(preference)
        payment_id = str(next(self._payment_ids))
        order_id = self._order_for(preference)
        payer = preference.get("payer") or {}
        payment: dict[str, Any] = {
            "id": int(payment_id),
            "date_created": iso(now),
            "date_approved": iso(now) if status == "approved" else None,
            "date_last_updated": iso(now),
            "date_of_expiration": iso(now + dt.timedelta(days=3)) if type_id == "ticket" else None,
            "money_release_date": iso(now) if status == "approved" else None,
            "operation_type": "regular_payment",
            "issuer_id": None,
            "payment_method_id": method_id,
            "payment_type_id": type_id,
            "payment_method": {"id": method_id, "type": type_id},
            "status": status,
            "status_detail": detail,
            "currency_id": CURRENCY,
            "description": preference["items"][0]["title"],
            "live_mode": False,
            "sponsor_id": None,
            "collector_id": self.config.user_id,
            "payer": {
                "type": "guest",
                "id": None,
                "email": payer_email or payer.get("email") or "test_user_co@testuser.com",
                "identification": {"type": "CC", "number": "1010101010"},
            },
            "metadata": copy.deepcopy(preference.get("metadata") or {}),
            "additional_info": {
                "items": [
                    {
                        "id": i["id"],
                        "title": i["title"],
                        "quantity": str(i["quantity"]),
                        "unit_price": str(i["unit_price"]),
                    }
                    for i in preference["items"]
                ]
            },
            "order": {"id": order_id, "type": "mercadopago"},
            "external_reference": preference["external_reference"] or None,
            "transaction_amount": _number(amount),
            "transaction_amount_refunded": 0,
            "installments": 1,
            "transaction_details": {
                "net_received_amount": _number(amount) if status == "approved" else 0,
                "total_paid_amount": _number(amount),
                "overpaid_amount": 0,
                "installment_amount": _number(amount),
                "financial_institution": "1007" if method_id == "pse" else None,
                "external_resource_url": None,
                "payment_method_reference_id": None,
            },
            "card": (
                {
                    "first_six_digits": "401354",
                    "last_four_digits": "6260",
                    "cardholder": {"name": _CARDHOLDER.get(status, "APRO")},
                }
                if type_id == "credit_card"
                else {}
            ),
            "statement_descriptor": preference.get("statement_descriptor"),
            "notification_url": preference.get("notification_url"),
            "processing_mode": "aggregator",
            "binary_mode": preference.get("binary_mode", False),
            "captured": True,
            "refunds": [],
        }
        self.payments[payment_id] = payment
        self.merchant_orders[order_id]["payment_ids"].append(payment_id)
        event(
            log,
            "mercadopago.payment_created",
            payment_id=payment_id,
            status=status,
            status_detail=detail,
            external_reference=payment["external_reference"],
        )
        delivery = self._notify(payment, "payment.created")
        return copy.deepcopy(payment), delivery

    def _order_for(self, preference: dict[str, Any]) -> str:
        """The preference's merchant order, created with its first payment (as at MP)."""
        existing = self._pref_orders.get(preference["id"])
        if existing:
            return existing
        order_id = str(next(self._order_ids))
        now = iso(now_mp())
        self.merchant_orders[order_id] = {
            "id": int(order_id),
            "preference_id": preference["id"],
            "external_reference": preference["external_reference"],
            "site_id": SITE_ID,
            "collector": {"id": self.config.user_id},
            "marketplace": "NONE",
            "notification_url": preference.get("notification_url"),
            "date_created": now,
            "last_updated": now,
            "items": copy.deepcopy(preference["items"]),
            "total_amount": _number(self.preference_total(preference)),
            "payment_ids": [],
        }
        self._pref_orders[preference["id"]] = order_id
        return order_id

    def set_status(
        self, payment_id: str, status: str, status_detail: str | None = None
    ) -> tuple[dict[str, Any], Delivery | None]:
        """Move a payment to another status and send ``payment.updated``."""
        payment = self._payment(payment_id)
        if status not in KNOWN_STATUSES:
            raise MercadoPagoApiError(400, "bad_request", f"unknown status {status!r}")
        now = iso(now_mp())
        payment["status"] = status
        payment["status_detail"] = status_detail or _DEFAULT_DETAIL[status]
        payment["date_last_updated"] = now
        if status == "approved" and not payment["date_approved"]:
            payment["date_approved"] = now
            payment["money_release_date"] = now
            payment["transaction_details"]["net_received_amount"] = payment["transaction_amount"]
        if status == "refunded":
            payment["transaction_amount_refunded"] = payment["transaction_amount"]
            payment["refunds"] = [
                {
                    "id": next(self._notification_ids),
                    "payment_id": payment["id"],
                    "amount": payment["transaction_amount"],
                    "status": "approved",
                    "date_created": now,
                }
            ]
        event(log, "mercadopago.payment_updated", payment_id=payment_id, status=status)
        delivery = self._notify(payment, "payment.updated")
        return copy.deepcopy(payment), delivery

    def approve(self, payment_id: str) -> tuple[dict[str, Any], Delivery | None]:
        """The PSE transfer cleared / the Efecty cash was paid / the review passed."""
        payment = self._payment(payment_id)
        if payment["status"] not in APPROVABLE:
            raise MercadoPagoApiError(
                409,
                "invalid_status",
                f"payment {payment_id} is {payment['status']}; only pending ones can be approved",
            )
        return self.set_status(payment_id, "approved", "accredited")

    def redirect_url(self, payment: dict[str, Any]) -> str | None:
        """Where "Volver al sitio" goes: the back_url for the outcome plus MP's query."""
        preference = self.preferences.get(
            self.merchant_orders.get(str(payment["order"]["id"]), {}).get("preference_id", "")
        )
        if preference is None:
            return None
        key = {"approved": "success", "rejected": "failure"}.get(payment["status"], "pending")
        base = preference["back_urls"].get(key) or ""
        if not base:
            return None
        status = payment["status"]
        return with_query(
            base,
            {
                "collection_id": str(payment["id"]),
                "collection_status": status,
                "payment_id": str(payment["id"]),
                "status": status,
                "external_reference": payment["external_reference"] or "null",
                "payment_type": payment["payment_type_id"],
                "merchant_order_id": str(payment["order"]["id"]),
                "preference_id": preference["id"],
                "site_id": SITE_ID,
                "processing_mode": "aggregator",
                "merchant_account_id": "null",
            },
        )

    def auto_return(self, payment: dict[str, Any]) -> bool:
        """Whether the page redirects by itself (``auto_return`` approved or all)."""
        order = self.merchant_orders.get(str(payment["order"]["id"]), {})
        preference = self.preferences.get(order.get("preference_id", ""), {})
        mode = preference.get("auto_return") or ""
        return mode == "all" or (mode == "approved" and payment["status"] == "approved")

    def payments_of(self, pref_id: str) -> list[dict[str, Any]]:
        self._preference(pref_id)
        order_id = self._pref_orders.get(pref_id)
        if not order_id:
            return []
        return [
            copy.deepcopy(self.payments[p]) for p in self.merchant_orders[order_id]["payment_ids"]
        ]

    # --- webhooks -----------------------------------------------------------------------
    def _notify(self, payment: dict[str, Any], action: str) -> Delivery | None:
        """Sign and queue a ``payment`` notification; delivery runs in the background."""
        url = payment.get("notification_url") or self.config.webhook_url
        if not url:
            return None
        body = {
            "action": action,
            "api_version": "v1",
            "data": {"id": str(payment["id"])},
            "date_created": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "id": next(self._notification_ids),
            "live_mode": False,
            "type": "payment",
            "user_id": self.config.user_id,
        }
        delivery = self._prepare(
            str(payment["id"]), action, url, json.dumps(body, separators=(",", ":")).encode()
        )
        self._start(delivery)
        return delivery

    def _prepare(
        self,
        payment_id: str,
        action: str,
        base_url: str,
        body: bytes,
        redelivery_of: int | None = None,
    ) -> Delivery:
        request_id = str(uuid.uuid4())
        ts = int(time.time())
        delivery = Delivery(
            id=next(self._delivery_ids),
            notification_id=json.loads(body)["id"],
            payment_id=payment_id,
            action=action,
            url=with_query(base_url, {"data.id": payment_id, "type": "payment"}),
            body=body,
            request_id=request_id,
            ts=ts,
            signature=sign_notification(self.config.webhook_secret, payment_id, request_id, ts),
            base_url=base_url,
            redelivery_of=redelivery_of,
        )
        self.deliveries[delivery.id] = delivery
        while len(self.deliveries) > self.config.max_deliveries:
            self.deliveries.popitem(last=False)
        return delivery

    def _start(self, delivery: Delivery) -> None:
        task = asyncio.get_running_loop().create_task(self._deliver(delivery))
        self._tasks[delivery.id] = task
        task.add_done_callback(lambda _t, key=delivery.id: self._tasks.pop(key, None))

    def redeliver(self, delivery_id: int) -> Delivery:
        """Send a past notification again: same body, fresh ``x-request-id`` and signature."""
        original = self.deliveries.get(delivery_id)
        if original is None:
            raise MercadoPagoApiError(404, "not_found", f"delivery {delivery_id} not found")
        delivery = self._prepare(
            original.payment_id,
            original.action,
            original.base_url,
            original.body,
            redelivery_of=original.id,
        )
        self._start(delivery)
        return delivery

    async def wait(self, delivery: Delivery | None, timeout: float | None = None) -> None:
        """Block until ``delivery`` ends (delivered or out of retries); for ``?sync=1``."""
        if delivery is None:
            return
        task = self._tasks.get(delivery.id)
        if task is not None:
            await asyncio.wait_for(asyncio.shield(task), timeout)

    async def _deliver(self, delivery: Delivery) -> Delivery:
        """First attempt at once, then one per configured delay; only 200/201 count."""
        delays = (0.0, *self.config.retry_delays_s)
        for attempt, delay in enumerate(delays, 1):
            if delay:
                await asyncio.sleep(delay)
            started = time.monotonic()
            status: int | None = None
            error: str | None = None
            try:
                response = await self.client.post(
                    delivery.url,
                    content=delivery.body,
                    headers=delivery.headers,
                    timeout=self.config.webhook_timeout_s,
                )
                status = response.status_code
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            delivery.attempts.append(
                DeliveryAttempt(
                    attempt,
                    time.time(),
                    status,
                    error,
                    round((time.monotonic() - started) * 1000, 1),
                )
            )
            if status in (200, 201):
                delivery.state = "delivered"
                event(
                    log,
                    "mercadopago.webhook_delivered",
                    logging.DEBUG,
                    payment_id=delivery.payment_id,
                    attempt=attempt,
                )
                return delivery
            event(
                log,
                "mercadopago.webhook_attempt_failed",
                logging.WARNING,
                payment_id=delivery.payment_id,
                attempt=attempt,
                status=status,
                error=error,
            )
        delivery.state = "failed"
        return delivery


_CARDHOLDER = {"approved": "APRO", "rejected": "FUND", "in_process": "CONT"}
