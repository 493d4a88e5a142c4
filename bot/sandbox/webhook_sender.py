"""Signed webhook delivery from the sandbox to the bot (contract §1.2, §1.3).

Meta signs the exact bytes it sends, with non-ASCII escaped; we do the same so a
receiver that re-serialises JSON before checking the signature fails here too.
Failed deliveries are retried with exponential backoff, and every attempt is
recorded so tests and developers can see what the bot answered.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import logging
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import httpx

from bot.logging import event, mask_phone

log = logging.getLogger(__name__)

D = TypeVar("D")


def encode_payload(payload: dict[str, Any]) -> bytes:
    """Compact JSON with ``ensure_ascii=True``: the bytes that get signed and sent."""
    return json.dumps(payload, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def sign(app_secret: str, body: bytes) -> str:
    """``sha256=<lowercase hex HMAC-SHA256(app_secret, body)>``."""
    digest = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


@dataclass
class DeliveryAttempt:
    attempt: int
    at: float
    status_code: int | None
    error: str | None
    duration_ms: float


@dataclass
class Delivery:
    """One webhook (one body) and the attempts made to deliver it."""

    id: int
    kind: str  # "message", "status", "template", "verify"
    ref: str  # wamid or template id
    wa_id: str | None
    url: str
    body: bytes
    signature: str
    state: str = "pending"  # pending -> delivered | failed
    attempts: list[DeliveryAttempt] = field(default_factory=list)

    @property
    def last_status(self) -> int | None:
        return self.attempts[-1].status_code if self.attempts else None

    def to_api(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "ref": self.ref,
            "wa_id": self.wa_id,
            "url": self.url,
            "state": self.state,
            "status_code": self.last_status,
            "attempts": [a.__dict__ for a in self.attempts],
            "payload": json.loads(self.body),
        }


class DeliveryLog(Generic[D]):
    """What every emulator's webhook sender shares: one lazy ``httpx.AsyncClient``, ids,
    and the last ``history`` deliveries (for the sandbox API and the tests)."""

    def __init__(self, history: int) -> None:
        self._client: httpx.AsyncClient | None = None
        self._ids = itertools.count(1)
        self.deliveries: deque[D] = deque(maxlen=history)

    @property
    def client(self) -> httpx.AsyncClient:
        """Created lazily inside the running loop (the app may be built outside it)."""
        if self._client is None:
            self._client = httpx.AsyncClient(follow_redirects=False, trust_env=False)
        return self._client

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def clear(self) -> None:
        self.deliveries.clear()


class WebhookSender(DeliveryLog[Delivery]):
    """Posts signed payloads with retries; one shared ``httpx.AsyncClient``."""

    def prepare(
        self,
        payload: dict[str, Any],
        *,
        app_secret: str,
        url: str,
        kind: str,
        ref: str,
        wa_id: str | None = None,
    ) -> Delivery:
        """Encode and sign now, so duplicates resend byte-identical bodies."""
        body = encode_payload(payload)
        delivery = Delivery(
            id=next(self._ids),
            kind=kind,
            ref=ref,
            wa_id=wa_id,
            url=url,
            body=body,
            signature=sign(app_secret, body),
        )
        self.deliveries.append(delivery)
        return delivery

    def duplicate(self, delivery: Delivery) -> Delivery:
        """The same signed bytes again, as Meta's at-least-once delivery sometimes does."""
        copy = Delivery(
            id=next(self._ids),
            kind=delivery.kind,
            ref=delivery.ref,
            wa_id=delivery.wa_id,
            url=delivery.url,
            body=delivery.body,
            signature=delivery.signature,
        )
        self.deliveries.append(copy)
        return copy

    async def deliver(
        self, delivery: Delivery, *, max_attempts: int, backoff_s: float, timeout_s: float
    ) -> Delivery:
        """Try up to ``max_attempts`` times; 2xx ends it, anything else backs off."""
        headers = {
            "Content-Type": "application/json",
            "X-Hub-Signature-256": delivery.signature,
            "User-Agent": "facebookexternalua",
        }
        for attempt in range(1, max(1, max_attempts) + 1):
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
                DeliveryAttempt(
                    attempt,
                    time.time(),
                    status,
                    error,
                    round((time.monotonic() - started) * 1000, 1),
                )
            )
            if status is not None and 200 <= status < 300:
                delivery.state = "delivered"
                event(
                    log,
                    "webhook.delivered",
                    logging.DEBUG,
                    kind=delivery.kind,
                    attempt=attempt,
                    status=status,
                    wa_id=mask_phone(delivery.wa_id),
                )
                return delivery
            event(
                log,
                "webhook.attempt_failed",
                logging.WARNING,
                kind=delivery.kind,
                attempt=attempt,
                status=status,
                error=error,
                wa_id=mask_phone(delivery.wa_id),
            )
            if attempt < max_attempts:
                await asyncio.sleep(backoff_s * 2 ** (attempt - 1))
        delivery.state = "failed"
        event(
            log,
            "webhook.gave_up",
            logging.WARNING,
            kind=delivery.kind,
            attempts=len(delivery.attempts),
            wa_id=mask_phone(delivery.wa_id),
        )
        return delivery
