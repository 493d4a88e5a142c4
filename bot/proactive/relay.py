"""Proactive messages through the dialogue inside the 24-hour window (issue 5, item 2).

WhatsApp allows free text only within 24 hours of the person's last message; inside it
a reminder, a schedule change or the door welcome should be part of the conversation,
so that "¿y cómo llego?" after "tu show es mañana" is understood. The outbox worker
asks :class:`RasaRelay` for the body of each eligible row: the relay calls Rasa's
``POST /conversations/<wa_id>/trigger_intent`` with ``EXTERNAL_proactive`` and the
row's key (entity ``proactive_ref``) and no output channel, so Rasa runs the turn under
the conversation lock, records it in the tracker, runs ``action_proactive_message``
(which answers with the row's message and sets what the next answer needs) and returns
the messages instead of sending them. The worker then sends what came back through its
own path: rate limit, idempotency key, retries, 131047 → template, all unchanged.

Not relayed (sent directly, as before): templates and rows outside the window (the
dialogue has nothing to add to a template the person may never answer), broadcasts
(10,000 Rasa turns would cost the rate limit for no conversation), emergency alerts
(speed first), and any row when Rasa does not answer in time: the message matters
more than the tracker knowing it, so a failed relay falls back to the direct send.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx

from bot.logging import event, mask_phone
from bot.storage.outbox import PRIORITY_EMERGENCY, OutboxRecord
from bot.storage.types import as_utc, utcnow

__all__ = ["EXTERNAL_INTENT", "REF_ENTITY", "RasaRelay", "relayed_body"]

log = logging.getLogger(__name__)

EXTERNAL_INTENT = "EXTERNAL_proactive"
REF_ENTITY = "proactive_ref"
#: WhatsApp's customer-service window, less a margin: a row sent at 23:59 of the window
#: could arrive after it closed, and the direct path's 131047 fallback is for that.
WINDOW = timedelta(hours=24) - timedelta(minutes=5)


def relayed_body(row: OutboxRecord, messages: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The Cloud API body among Rasa's collected messages that carries this row's key."""
    for message in messages:
        custom = message.get("custom")
        if not isinstance(custom, dict):
            continue
        outbox = custom.get("outbox")
        if not isinstance(outbox, dict) or outbox.get("key") != row.idempotency_key:
            continue
        body = outbox.get("whatsapp")
        if isinstance(body, dict) and body.get("type"):
            return {
                "to": row.wa_id,
                **body,
                "biz_opaque_callback_data": body.get(
                    "biz_opaque_callback_data", row.idempotency_key
                ),
            }
    return None


class RasaRelay:
    """Asks Rasa for the body of a proactive row; ``None`` means "send it directly"."""

    def __init__(
        self,
        store: Any,
        rasa_url: str,
        token: str | None,
        *,
        timeout_s: float = 10.0,
        client: httpx.AsyncClient | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.store = store
        self.rasa_url = rasa_url.rstrip("/")
        self.token = token
        self._client = client or httpx.AsyncClient(timeout=timeout_s)
        self._own_client = client is None
        self._clock = clock

    async def aclose(self) -> None:
        if self._own_client:
            await self._client.aclose()

    def eligible(self, row: OutboxRecord) -> bool:
        """Free text to one person, not a broadcast, not an emergency."""
        return (
            row.kind == "message"
            and row.broadcast_id is None
            and row.priority != PRIORITY_EMERGENCY
        )

    async def window_open(self, wa_id: str) -> bool:
        contact = await self.store.get_contact(wa_id)
        last = None if contact is None else contact.last_inbound_at
        if last is None:
            return False
        return self._clock() - as_utc(last, "last_inbound_at") < WINDOW

    async def body_for(self, row: OutboxRecord) -> dict[str, Any] | None:
        """The body Rasa answered for ``row``, or ``None`` (not eligible, closed, failed)."""
        if not self.eligible(row):
            return None
        try:
            if not await self.window_open(row.wa_id):
                return None
            messages = await self._trigger(row)
        except Exception as exc:  # Rasa down, slow, or answering garbage: send directly
            event(
                log,
                "outbox.relay_failed",
                logging.WARNING,
                id=row.id,
                wa_id=mask_phone(row.wa_id),
                error=type(exc).__name__,
            )
            return None
        body = relayed_body(row, messages)
        event(
            log,
            "outbox.relayed" if body is not None else "outbox.relay_empty",
            id=row.id,
            wa_id=mask_phone(row.wa_id),
            messages=len(messages),
        )
        return body

    async def _trigger(self, row: OutboxRecord) -> list[dict[str, Any]]:
        url = f"{self.rasa_url}/conversations/{quote(row.wa_id, safe='')}/trigger_intent"
        params = {"token": self.token} if self.token else None
        response = await self._client.post(
            url,
            params=params,
            json={"name": EXTERNAL_INTENT, "entities": {REF_ENTITY: row.idempotency_key}},
        )
        response.raise_for_status()
        data = response.json()
        messages = data.get("messages") if isinstance(data, dict) else None
        return [m for m in messages or [] if isinstance(m, dict)]
