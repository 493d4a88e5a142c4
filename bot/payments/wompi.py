"""Wompi behind :class:`bot.payments.base.PaymentGateway`.

A purchase becomes one single-use payment link for the exact amount; the booking
reference travels as the link's ``sku`` and webhooks are joined back by
``payment_link_id`` (the contract does not confirm what ``reference`` Wompi gives a
link payment, so the adapter never relies on it). Pesos cross the domain boundary,
centavos the Wompi one.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

import httpx

from bot.clients.wompi import WompiClient, verify_event
from bot.errors import ProviderError, WompiNotFound
from bot.payments.base import (
    IgnoredWebhook,
    InvalidWebhookSignature,
    PaymentLink,
    PaymentStatus,
    PaymentUpdate,
)
from bot.settings import Settings

STATUS_MAP: dict[str, PaymentStatus] = {
    "APPROVED": "approved",
    "DECLINED": "declined",
    "ERROR": "error",
    "VOIDED": "voided",
    "PENDING": "pending",
}

#: Wompi's ``sku`` limit [3P]: the reference must fit, or joins would silently break.
MAX_REFERENCE_LEN = 36
#: Link ``name`` is the checkout's title; long descriptions are cut, the full text stays.
_MAX_NAME_LEN = 60


class WompiGateway:
    """The ticketing domain's view of Wompi (name ``"wompi"``)."""

    name = "wompi"

    def __init__(self, client: WompiClient, *, events_secret: str, checkout_base: str) -> None:
        self.client = client
        self._events_secret = events_secret
        self.checkout_base = checkout_base.rstrip("/")

    @classmethod
    def from_settings(
        cls, settings: Settings, http: httpx.AsyncClient | None = None
    ) -> WompiGateway:
        return cls(
            WompiClient.from_settings(settings, http=http),
            events_secret=settings.secret("wompi_events_secret"),
            checkout_base=settings.wompi_checkout_base,
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
        """A single-use link for ``amount_cop × 100`` centavos, ``sku`` = ``reference``.

        ``buyer_email`` is not sent: a payment link has no field to prefill it (the
        buyer types it on the checkout) and the domain already knows who is paying.
        ``expires_at`` must be timezone-aware; Wompi gets it in UTC.
        """
        if not reference or len(reference) > MAX_REFERENCE_LEN:
            raise ValueError(f"reference must be 1-{MAX_REFERENCE_LEN} characters (Wompi sku)")
        if isinstance(amount_cop, bool) or not isinstance(amount_cop, int) or amount_cop <= 0:
            raise ValueError("amount_cop must be a positive whole number of pesos")
        expires_utc = None
        if expires_at is not None:
            if expires_at.tzinfo is None:
                raise ValueError("expires_at must be timezone-aware")
            expires_utc = expires_at.astimezone(dt.timezone.utc)
        title = " ".join(description.split()) or reference
        data = await self.client.create_payment_link(
            name=title if len(title) <= _MAX_NAME_LEN else title[: _MAX_NAME_LEN - 1] + "…",
            description=description,
            amount_in_cents=amount_cop * 100,
            single_use=True,
            collect_shipping=False,
            expires_at=expires_utc,
            redirect_url=redirect_url,
            sku=reference,
        )
        link_id = str(data["id"])
        return PaymentLink(
            provider=self.name,
            link_id=link_id,
            url=f"{self.checkout_base}/l/{link_id}",
            reference=reference,
            amount_cop=amount_cop,
            expires_at=expires_utc,
        )

    async def parse_webhook(
        self, headers: Mapping[str, str], query: Mapping[str, str], raw_body: bytes
    ) -> PaymentUpdate:
        """Verify ``X-Event-Checksum`` and the body's checksum, then map the transaction.

        The checksum covers parsed values (not raw bytes), so parsing first is correct.
        No timestamp window: Wompi's last retry comes about 27 h after the event, with
        the original timestamp; replays are harmless because updates are de-duplicated
        on ``transaction_id`` + ``status``.
        """
        try:
            event = json.loads(raw_body)
        except (ValueError, UnicodeDecodeError):
            raise InvalidWebhookSignature("Wompi webhook body is not JSON") from None
        if not isinstance(event, dict):
            raise InvalidWebhookSignature("Wompi webhook body is not a JSON object")
        header = next(
            (value for key, value in headers.items() if key.lower() == "x-event-checksum"), None
        )
        if not verify_event(event, header, self._events_secret):
            raise InvalidWebhookSignature("Wompi events checksum mismatch")
        if event.get("event") != "transaction.updated":
            raise IgnoredWebhook(f"Wompi event {event.get('event')!r} carries no payment")
        data = event.get("data")
        transaction = data.get("transaction") if isinstance(data, dict) else None
        if not isinstance(transaction, dict):
            raise IgnoredWebhook("transaction.updated without data.transaction")
        return self._update(transaction, raw=event)

    async def fetch(self, transaction_id: str) -> PaymentUpdate:
        data = await self.client.get_transaction(transaction_id)
        detail = data.get("status_message")
        return self._update(
            data,
            raw=data,
            status_detail=detail if isinstance(detail, str) else None,
            error=ProviderError,
        )

    async def deactivate_link(self, link_id: str) -> None:
        """Stop a link from taking payments; a link Wompi no longer knows is already stopped."""
        try:
            await self.client.deactivate_payment_link(link_id)
        except WompiNotFound:
            return

    def _update(
        self,
        transaction: Mapping[str, Any],
        *,
        raw: Mapping[str, Any],
        status_detail: str | None = None,
        error: type[ProviderError] = IgnoredWebhook,
    ) -> PaymentUpdate:
        """Map one transaction; what cannot be mapped raises ``error`` (webhook: ignored)."""
        wompi_status = str(transaction.get("status") or "")
        status = STATUS_MAP.get(wompi_status)
        if status is None:
            raise error(f"unknown Wompi transaction status {wompi_status!r}")
        cents = transaction.get("amount_in_cents")
        if isinstance(cents, bool) or not isinstance(cents, int):
            raise error("Wompi transaction without an integer amount_in_cents")
        return PaymentUpdate(
            provider=self.name,
            transaction_id=str(transaction.get("id")),
            status=status,
            # Floor: stray centavos never round a payment up; ``raw`` keeps the exact figure.
            amount_cop=cents // 100,
            currency=str(transaction.get("currency") or ""),
            reference=_str_or_none(transaction.get("reference")),
            link_id=_str_or_none(transaction.get("payment_link_id")),
            method=_str_or_none(transaction.get("payment_method_type")),
            status_detail=status_detail,
            raw=dict(raw),
        )


def _str_or_none(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)
