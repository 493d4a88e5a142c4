"""Mercado Pago Checkout Pro behind :class:`bot.payments.base.PaymentGateway`.

A purchase becomes one preference with one item for the exact amount;
``external_reference`` carries the booking reference and is the join key (Mercado
Pago echoes it on every payment). Mercado Pago's webhook only *names* a payment, so
:meth:`MercadoPagoGateway.parse_webhook` verifies the ``x-signature`` and then fetches
the payment: the API answer, not the notification, is the statement we act on.

Unlike a Wompi single-use link, a preference keeps taking payments until it expires:
a rejected attempt may be followed by an approved one, and nothing stops a second
approved one. The domain therefore calls :meth:`deactivate_link` once a reservation is
paid or released, which moves ``expiration_date_to`` to now.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections import OrderedDict
from collections.abc import Mapping
from decimal import ROUND_FLOOR, Decimal, InvalidOperation
from typing import Any

import httpx

from bot.clients.mercadopago import MercadoPagoClient, verify_mp_signature
from bot.errors import MercadoPagoNotFound, ProviderError
from bot.logging import event
from bot.payments.base import (
    IgnoredWebhook,
    InvalidWebhookSignature,
    PaymentLink,
    PaymentStatus,
    PaymentUpdate,
)
from bot.settings import Settings

log = logging.getLogger(__name__)

#: Mercado Pago payment ``status`` → the domain's vocabulary (contract §2).
STATUS_MAP: dict[str, PaymentStatus] = {
    "approved": "approved",
    "rejected": "declined",
    "cancelled": "voided",
    "refunded": "refunded",
    "charged_back": "refunded",
    "pending": "pending",
    "in_process": "pending",
    "authorized": "pending",
    # A dispute opened on a payment that was approved: the money came in and stays held
    # until it is resolved; ``charged_back``/``refunded`` follow if the buyer wins.
    "in_mediation": "approved",
}

#: ``external_reference`` limit at Mercado Pago.
MAX_REFERENCE_LEN = 256
_MAX_TITLE_LEN = 256
_ORDER_CACHE = 1024


class MercadoPagoGateway:
    """The ticketing domain's view of Mercado Pago (name ``"mercadopago"``)."""

    name = "mercadopago"

    def __init__(
        self,
        client: MercadoPagoClient,
        *,
        webhook_secret: str,
        notification_url: str | None = None,
    ) -> None:
        self.client = client
        self._webhook_secret = webhook_secret
        #: Per-preference webhook URL; ``None`` relies on the dashboard webhook, which the
        #: contract prefers (the SDK deprecates ``notification_url``).
        self.notification_url = notification_url
        self._order_preferences: OrderedDict[str, str] = OrderedDict()

    @classmethod
    def from_settings(
        cls, settings: Settings, http: httpx.AsyncClient | None = None
    ) -> MercadoPagoGateway:
        return cls(
            MercadoPagoClient.from_settings(settings, http=http),
            webhook_secret=settings.secret("mercadopago_webhook_secret"),
        )

    async def aclose(self) -> None:
        await self.client.aclose()

    async def create_link(
        self,
        *,
        reference: str,
        amount_cop: int,
        description: str,
        buyer_email: str | None,
        expires_at: dt.datetime | None,
        redirect_url: str | None = None,
    ) -> PaymentLink:
        """One preference: one item (``quantity`` 1, ``unit_price`` = pesos, ``COP``).

        ``expires_at`` must be timezone-aware; it becomes ``expiration_date_to`` with
        ``expires: true``. ``redirect_url`` becomes every back_url with
        ``auto_return: approved`` (display only: the webhook is what counts).
        """
        if not reference or len(reference) > MAX_REFERENCE_LEN:
            raise ValueError(f"reference must be 1-{MAX_REFERENCE_LEN} characters")
        if isinstance(amount_cop, bool) or not isinstance(amount_cop, int) or amount_cop <= 0:
            raise ValueError("amount_cop must be a positive whole number of pesos")
        title = " ".join(description.split()) or reference
        body: dict[str, Any] = {
            "items": [
                {
                    "id": reference,
                    "title": title[:_MAX_TITLE_LEN],
                    "description": description,
                    "quantity": 1,
                    "currency_id": "COP",
                    "unit_price": amount_cop,
                }
            ],
            "external_reference": reference,
        }
        if buyer_email:
            body["payer"] = {"email": buyer_email}
        if redirect_url:
            body["back_urls"] = {
                "success": redirect_url,
                "failure": redirect_url,
                "pending": redirect_url,
            }
            body["auto_return"] = "approved"
        if self.notification_url:
            body["notification_url"] = self.notification_url
        expires_utc = None
        if expires_at is not None:
            if expires_at.tzinfo is None:
                raise ValueError("expires_at must be timezone-aware")
            expires_utc = expires_at.astimezone(dt.timezone.utc)
            body["expires"] = True
            body["expiration_date_to"] = _mp_date(expires_utc)
        preference = await self.client.create_preference(body)
        return PaymentLink(
            provider=self.name,
            link_id=str(preference["id"]),
            url=str(preference["init_point"]),
            reference=reference,
            amount_cop=amount_cop,
            expires_at=expires_utc,
        )

    async def parse_webhook(
        self, headers: Mapping[str, str], query: Mapping[str, str], raw_body: bytes
    ) -> PaymentUpdate:
        """Verify ``x-signature`` over ``data.id`` (query), then fetch that payment.

        The signature covers the query's ``data.id``, the ``x-request-id`` and a
        timestamp, not the body; so the payment id is taken from the query and a body
        naming another one is refused. A well-signed notification of another ``type``
        (merchant orders, subscriptions…) is :class:`IgnoredWebhook`, and so is one
        naming a payment this account cannot see (the dashboard's "Simular" test id).
        """
        lowered = {key.lower(): value for key, value in headers.items()}
        data_id = _str_or_none(query.get("data.id"))
        if not verify_mp_signature(
            lowered.get("x-signature"), lowered.get("x-request-id"), data_id, self._webhook_secret
        ):
            raise InvalidWebhookSignature("Mercado Pago x-signature mismatch")
        body = _json_object(raw_body)
        kind = _str_or_none(query.get("type")) or _str_or_none(body.get("type"))
        if kind != "payment":
            raise IgnoredWebhook(f"Mercado Pago notification of type {kind!r} carries no payment")
        if data_id is None:
            raise InvalidWebhookSignature("payment notification without a signed data.id")
        data = body.get("data")
        body_id = _str_or_none(data.get("id")) if isinstance(data, dict) else None
        if body_id is not None and body_id != data_id:
            raise InvalidWebhookSignature("body data.id differs from the signed query data.id")
        try:
            payment = await self.client.get_payment(data_id)
        except MercadoPagoNotFound:
            raise IgnoredWebhook(f"payment {data_id} is unknown to this account") from None
        return await self._update(payment)

    async def fetch(self, transaction_id: str) -> PaymentUpdate:
        return await self._update(await self.client.get_payment(transaction_id))

    async def deactivate_link(self, link_id: str) -> None:
        """Expire the preference now; one Mercado Pago no longer knows is already dead."""
        past = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1)
        try:
            await self.client.update_preference(
                link_id, {"expires": True, "expiration_date_to": _mp_date(past)}
            )
        except MercadoPagoNotFound:
            return

    async def _update(self, payment: Mapping[str, Any]) -> PaymentUpdate:
        mp_status = str(payment.get("status") or "")
        status = STATUS_MAP.get(mp_status)
        if status is None:
            raise IgnoredWebhook(f"unknown Mercado Pago payment status {mp_status!r}")
        amount = _pesos(payment.get("transaction_amount"))
        if amount is None:
            raise IgnoredWebhook("Mercado Pago payment without a numeric transaction_amount")
        return PaymentUpdate(
            provider=self.name,
            transaction_id=str(payment.get("id")),
            status=status,
            amount_cop=amount,
            currency=str(payment.get("currency_id") or ""),
            reference=_str_or_none(payment.get("external_reference")),
            link_id=await self._preference_of(payment),
            method=_str_or_none(payment.get("payment_method_id")),
            status_detail=_str_or_none(payment.get("status_detail")),
            raw=dict(payment),
        )

    async def _preference_of(self, payment: Mapping[str, Any]) -> str | None:
        """The preference behind a payment, via its merchant order (payments do not name it).

        Best effort and cached: ``reference`` is the primary join key, so a failed
        lookup leaves ``link_id`` empty rather than failing the webhook.
        """
        order = payment.get("order")
        order_id = _str_or_none(order.get("id")) if isinstance(order, Mapping) else None
        if order_id is None:
            return None
        cached = self._order_preferences.get(order_id)
        if cached is not None:
            return cached
        try:
            merchant_order = await self.client.get_merchant_order(order_id)
        except ProviderError as exc:
            event(
                log,
                "mercadopago.merchant_order_unavailable",
                logging.WARNING,
                order_id=order_id,
                error=type(exc).__name__,
            )
            return None
        preference_id = _str_or_none(merchant_order.get("preference_id"))
        if preference_id is not None:
            self._order_preferences[order_id] = preference_id
            while len(self._order_preferences) > _ORDER_CACHE:
                self._order_preferences.popitem(last=False)
        return preference_id


def _mp_date(value: dt.datetime) -> str:
    """``2024-01-10T17:00:00.000+00:00``: Mercado Pago's ``yyyy-MM-dd'T'HH:mm:ss.SSSZ``."""
    return value.isoformat(timespec="milliseconds")


def _pesos(value: Any) -> int | None:
    """Whole pesos, floored: stray centavos never round a payment up (``raw`` keeps them)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return None
    if not amount.is_finite():
        return None
    return int(amount.to_integral_value(rounding=ROUND_FLOOR))


def _json_object(raw_body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(raw_body) if raw_body else {}
    except (ValueError, UnicodeDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def _str_or_none(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)
