"""Wompi's events webhook as the emulator sends it (contract §1 "Events webhook").

The checksum is computed here independently of :mod:`bot.clients.wompi`, on purpose:
if both sides shared one function a bug in it would verify itself. Bodies are encoded
once, so retries and sandbox redeliveries resend byte-identical JSON (same
``timestamp``, same ``sent_at``: the contract calls ``sent_at`` the first delivery).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from bot.logging import event as log_event
from bot.sandbox.webhook_sender import DeliveryLog

log = logging.getLogger(__name__)

#: What Wompi signs today; receivers must still read ``signature.properties``.
SIGNED_PROPERTIES = ("transaction.id", "transaction.status", "transaction.amount_in_cents")


def _string_form(value: Any) -> str:
    """How a property value joins the checksum: JSON-ish, ``null`` as empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def checksum(data: dict[str, Any], properties: Sequence[str], timestamp: int, secret: str) -> str:
    """Uppercase SHA-256 of the property values, the timestamp and the events secret."""
    parts: list[str] = []
    for path in properties:
        node: Any = data
        for key in path.split("."):
            node = node.get(key) if isinstance(node, dict) else None
        parts.append(_string_form(node))
    material = "".join(parts) + str(timestamp) + secret
    return hashlib.sha256(material.encode("utf-8")).hexdigest().upper()


def iso_utc(seconds: float) -> str:
    """``2026-07-31T15:04:05.123Z``: the millisecond UTC form Wompi prints."""
    moment = dt.datetime.fromtimestamp(seconds, tz=dt.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def build_event(
    event_name: str,
    transaction: dict[str, Any],
    *,
    environment: str,
    secret: str,
    now: float | None = None,
) -> dict[str, Any]:
    """The body Wompi posts: only the transaction fields the contract lists."""
    moment = time.time() if now is None else now
    timestamp = int(moment)
    keys = (
        "id",
        "amount_in_cents",
        "reference",
        "customer_email",
        "currency",
        "payment_method_type",
        "redirect_url",
        "status",
        "shipping_address",
        "payment_link_id",
        "payment_source_id",
    )
    data = {"transaction": {key: transaction.get(key) for key in keys}}
    return {
        "event": event_name,
        "data": data,
        "environment": environment,
        "signature": {
            "properties": list(SIGNED_PROPERTIES),
            "checksum": checksum(data, SIGNED_PROPERTIES, timestamp, secret),
        },
        "timestamp": timestamp,
        "sent_at": iso_utc(moment),
    }


def encode(body: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON, like a Node service's ``JSON.stringify``."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


@dataclass
class Attempt:
    attempt: int
    at: float
    status_code: int | None
    error: str | None
    duration_ms: float


@dataclass
class Delivery:
    """One body and every attempt made to deliver it."""

    id: int
    event: str
    transaction_id: str
    transaction_status: str
    url: str
    body: bytes
    checksum: str
    redelivery_of: int | None = None
    state: str = "pending"  # pending -> delivered | failed
    attempts: list[Attempt] = field(default_factory=list)

    def to_api(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "event": self.event,
            "transaction_id": self.transaction_id,
            "transaction_status": self.transaction_status,
            "url": self.url,
            "state": self.state,
            "status_code": self.attempts[-1].status_code if self.attempts else None,
            "redelivery_of": self.redelivery_of,
            "checksum_header": self.checksum,
            "attempts": [a.__dict__ for a in self.attempts],
            "body": json.loads(self.body),
        }


class EventSender(DeliveryLog[Delivery]):
    """Posts events with Wompi's retry policy (delays from the config) and records them."""

    def get(self, delivery_id: int) -> Delivery | None:
        return next((d for d in self.deliveries if d.id == delivery_id), None)

    def prepare(self, body: dict[str, Any], url: str) -> Delivery:
        transaction = body["data"]["transaction"]
        delivery = Delivery(
            id=next(self._ids),
            event=body["event"],
            transaction_id=str(transaction["id"]),
            transaction_status=str(transaction["status"]),
            url=url,
            body=encode(body),
            checksum=body["signature"]["checksum"],
        )
        self.deliveries.append(delivery)
        return delivery

    def duplicate(self, delivery: Delivery, url: str | None = None) -> Delivery:
        """The very same bytes again, as an at-least-once sender sometimes does."""
        copy = Delivery(
            id=next(self._ids),
            event=delivery.event,
            transaction_id=delivery.transaction_id,
            transaction_status=delivery.transaction_status,
            url=url or delivery.url,
            body=delivery.body,
            checksum=delivery.checksum,
            redelivery_of=delivery.id,
        )
        self.deliveries.append(copy)
        return copy

    async def attempt(self, delivery: Delivery, timeout_s: float) -> bool:
        """One POST; True when the receiver answered exactly 200 (Wompi's rule)."""
        headers = {
            "Content-Type": "application/json",
            "X-Event-Checksum": delivery.checksum,
            "User-Agent": "wompi-sandbox-emulator",
        }
        started = time.monotonic()
        status: int | None = None
        error: str | None = None
        try:
            response = await self.client.post(
                delivery.url, content=delivery.body, headers=headers, timeout=timeout_s
            )
            status = response.status_code
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        delivery.attempts.append(
            Attempt(
                len(delivery.attempts) + 1,
                time.time(),
                status,
                error,
                round((time.monotonic() - started) * 1000, 1),
            )
        )
        return status == 200

    async def deliver(
        self, delivery: Delivery, *, retry_delays_s: Sequence[float], timeout_s: float
    ) -> Delivery:
        """First attempt now, then one retry after each configured delay."""
        delays = list(retry_delays_s)
        while True:
            if await self.attempt(delivery, timeout_s):
                delivery.state = "delivered"
                return delivery
            last = delivery.attempts[-1]
            log_event(
                log,
                "wompi_sandbox.webhook_failed",
                logging.WARNING,
                delivery=delivery.id,
                attempt=last.attempt,
                status=last.status_code,
                error=last.error,
            )
            if not delays:
                delivery.state = "failed"
                return delivery
            await asyncio.sleep(delays.pop(0))
