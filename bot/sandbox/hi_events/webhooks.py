"""Outgoing webhooks of the emulator, as spatie/laravel-webhook-server sends them.

Contract §10: ``POST <url>`` with ``Content-Type: application/json``,
``X-Webhook-Source: Hi.Events`` and ``Signature: <lowercase hex HMAC-SHA256(secret,
body)>``, body ``{"event_type","event_sent_at","payload"}`` encoded like PHP
``json_encode`` (``\\/`` and ``\\uXXXX``), 3 s timeout and effectively one attempt, the
outcome recorded in the webhook logs.

Hi.Events posts inline while it handles the request; here delivery runs in a
background task so the API answer never waits for the bot, but deliveries that share
an ordering key (one order, one destination) are chained: ``order.created`` is
always delivered before that order's ``order.marked_as_paid``.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from bot.logging import event
from bot.sandbox.hi_events.model import Webhook, WebhookLog, iso_offset, php_json

log = logging.getLogger(__name__)

#: ``last_response_body`` / log bodies are truncated like Hi.Events does.
MAX_LOGGED_BODY = 1000


def encode_envelope(event_type: str, sent_at: datetime, payload: dict[str, Any]) -> bytes:
    """The exact bytes that are signed and sent."""
    return php_json(
        {"event_type": event_type, "event_sent_at": iso_offset(sent_at), "payload": payload}
    )


def sign(secret: str, body: bytes) -> str:
    """Lowercase hex HMAC-SHA256 without prefix or timestamp (spatie ``DefaultSigner``)."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass
class Outgoing:
    webhook: Webhook
    event_type: str
    body: bytes


class WebhookDispatcher:
    """Delivers in the background; one chain of tasks per ordering key."""

    def __init__(
        self,
        *,
        client: Callable[[], httpx.AsyncClient],
        timeout_s: float,
        record: Callable[[WebhookLog], None],
        now: Callable[[], datetime],
        next_log_id: Callable[[], int],
    ) -> None:
        self._client = client
        self._timeout_s = timeout_s
        self._record = record
        self._now = now
        self._next_log_id = next_log_id
        self._chains: dict[str, asyncio.Task[None]] = {}
        self.sent = 0
        self.failed = 0

    @property
    def pending(self) -> int:
        return sum(1 for task in self._chains.values() if not task.done())

    def submit(self, key: str, outgoing: Outgoing) -> None:
        """Queue behind the previous delivery with the same key (never blocks the caller)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # pragma: no cover - the API always runs inside the loop
            event(log, "hi_events.webhook_skipped", logging.WARNING, reason="no_loop")
            return
        chain_key = f"{outgoing.webhook.id}:{key}"
        previous = self._chains.get(chain_key)
        task = loop.create_task(self._after(previous, outgoing))
        self._chains[chain_key] = task

        def _forget(done: asyncio.Task[None]) -> None:
            if self._chains.get(chain_key) is done:
                del self._chains[chain_key]

        task.add_done_callback(_forget)

    async def drain(self, timeout_s: float = 10.0) -> None:
        """Wait until every queued delivery finished (tests, reset, shutdown)."""
        deadline = time.monotonic() + timeout_s
        while self._chains and time.monotonic() < deadline:
            await asyncio.wait(list(self._chains.values()), timeout=deadline - time.monotonic())

    def cancel_all(self) -> None:
        for task in self._chains.values():
            task.cancel()
        self._chains.clear()

    async def _after(self, previous: asyncio.Task[None] | None, outgoing: Outgoing) -> None:
        if previous is not None:
            # ``wait`` (not ``await previous``): the previous delivery records its own
            # failure, and cancelling this one must not cancel the one before it.
            await asyncio.wait([previous])
        await self._deliver(outgoing)

    async def _deliver(self, outgoing: Outgoing) -> None:
        webhook = outgoing.webhook
        headers = {
            "Content-Type": "application/json",
            "X-Webhook-Source": "Hi.Events",
            "Signature": sign(webhook.secret, outgoing.body),
        }
        status: int | None = None
        response_body: str | None = None
        try:
            response = await self._client().post(
                webhook.url, content=outgoing.body, headers=headers, timeout=self._timeout_s
            )
            status = response.status_code
            response_body = response.text[:MAX_LOGGED_BODY]
        except httpx.HTTPError as exc:
            response_body = (f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)[
                :MAX_LOGGED_BODY
            ]
        now = self._now()
        webhook.last_triggered_at = now
        webhook.last_response_code = status
        webhook.last_response_body = response_body
        self._record(
            WebhookLog(
                id=self._next_log_id(),
                webhook_id=webhook.id,
                event_type=outgoing.event_type,
                payload=outgoing.body.decode("ascii"),
                created_at=now,
                response_code=status,
                response_body=response_body,
            )
        )
        ok = status is not None and 200 <= status < 300
        if ok:
            self.sent += 1
        else:
            self.failed += 1
        event(
            log,
            "hi_events.webhook_delivered" if ok else "hi_events.webhook_failed",
            logging.DEBUG if ok else logging.WARNING,
            webhook_id=webhook.id,
            event_type=outgoing.event_type,
            status=status,
        )
