"""Messages the business sends first (payment outcomes, QR tickets, welcomes).

Unlike replies inside a Rasa turn, these are sent by the action server on a trigger.
Each send is persisted in ``outbound_messages`` before it is attempted (like the
channel's replies) and, unlike the channel, a failure is *raised*: the caller (the
fulfilment worker) keeps its own row pending and retries, so a ticket is never
dropped because WhatsApp answered 503 once. Issue 5's outbox generalises this.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from bot.clients.wappbiz import WappbizClient
from bot.errors import ProviderError, ReEngagementRequired
from bot.logging import event, mask_phone
from bot.replies import Option
from bot.whatsapp import outbound

log = logging.getLogger(__name__)

__all__ = ["Messenger"]


class Messenger:
    """Send WhatsApp messages to one person, recording every attempt."""

    def __init__(self, client: WappbizClient, store: Any) -> None:
        self.client = client
        self.store = store

    async def text(self, wa_id: str, text: str) -> str:
        wamid = ""
        for body in outbound.text_bodies(wa_id, text):
            wamid = await self._send(body)
        return wamid

    async def buttons(self, wa_id: str, text: str, options: Sequence[Option]) -> str:
        buttons = [{"title": o.title, "payload": o.payload} for o in options]
        wamid = ""
        for body in outbound.button_bodies(wa_id, text, buttons):
            wamid = await self._send(body)
        return wamid

    async def link_button(self, wa_id: str, text: str, label: str, url: str) -> str:
        """An interactive ``cta_url`` message: the payment link as one button."""
        payload = {"type": "cta_url", "text": text, "display_text": label, "url": url}
        wamid = ""
        for body in outbound.custom_bodies(wa_id, payload):
            wamid = await self._send(body)
        return wamid

    async def location(
        self, wa_id: str, latitude: float, longitude: float, name: str, address: str
    ) -> str:
        return await self._send(outbound.location_body(wa_id, latitude, longitude, name, address))

    async def image_png(
        self, wa_id: str, png: bytes, *, caption: str, filename: str
    ) -> tuple[str, str]:
        """Upload a PNG and send it; returns ``(media_id, wamid)``."""
        media_id = await self.client.upload_media(png, "image/png", filename)
        wamid = await self._send(
            outbound.media_body(wa_id, "image", media_id=media_id, caption=caption)
        )
        return media_id, wamid

    async def _send(self, body: dict[str, Any]) -> str:
        to = str(body["to"])
        outbound_id = await self.store.create_outbound(
            wa_id=to, msg_type=str(body.get("type")), payload=body, reply_to_wamid=None
        )
        try:
            result = await self.client.send(body)
        except ReEngagementRequired as exc:
            await self.store.outbound_result(
                outbound_id, status="window_closed", error_code=exc.code, error_detail=exc.details
            )
            event(log, "messenger.window_closed", logging.WARNING, to=mask_phone(to))
            raise
        except ProviderError as exc:
            await self.store.outbound_result(
                outbound_id, status="failed", error_code=exc.code, error_detail=str(exc)[:500]
            )
            event(log, "messenger.send_failed", logging.WARNING, to=mask_phone(to), code=exc.code)
            raise
        await self.store.outbound_result(
            outbound_id, status="accepted", wamid=result.wamid, attempts=result.attempts
        )
        return result.wamid
