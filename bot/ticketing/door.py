"""What happens when a ticket is scanned at the door (Hi.Events ``checkin.created``).

The scan itself is Hi.Events' business (its check-in API refuses a second scan); we
only record it against our ticket and welcome the holder once on WhatsApp, however
many times the webhook arrives.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any

from bot.errors import ProviderError
from bot.i18n import t
from bot.logging import event, mask_phone
from bot.ticketing.context import Ticketing

log = logging.getLogger(__name__)

__all__ = ["on_check_in"]


def _parse_time(value: Any) -> datetime:
    if isinstance(value, str) and value:
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            moment = datetime.fromisoformat(value.replace(" ", "T") + "+00:00")
        return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return datetime.now(timezone.utc)


async def on_check_in(ctx: Ticketing, payload: dict[str, Any]) -> str:
    """Record a check-in and welcome the holder; returns what was done."""
    attendee = payload.get("attendee") or {}
    public_id = attendee.get("public_id") or payload.get("attendee_public_id")
    if not public_id:
        return "no_attendee"
    ticket, _first = await ctx.store.record_check_in(
        public_id, _parse_time(payload.get("checked_in_at"))
    )
    if ticket is None:
        return "unknown_ticket"  # sold outside WhatsApp: nobody to welcome here
    if not await ctx.store.claim_welcome(public_id):
        return "already_welcomed"
    purchase = await ctx.store.get_purchase(ticket.purchase_id)
    lang = purchase.language if purchase else "es"
    text = t(
        lang,
        "tickets.welcome",
        holder=ticket.holder_name.split()[0] if ticket.holder_name else "",
        event=purchase.event_title if purchase else "",
    )
    ctx.background(_welcome(ctx, ticket.wa_id, text, public_id))
    return "welcomed"


async def _welcome(ctx: Ticketing, wa_id: str, text: str, public_id: str) -> None:
    """Sent after the webhook was answered (Hi.Events waits 3 s at most)."""
    try:
        await ctx.messenger.text(wa_id, text)
    except ProviderError as exc:
        event(log, "door.welcome_failed", logging.WARNING, ticket=public_id, error=str(exc))
        return
    event(log, "door.welcomed", to=mask_phone(wa_id), ticket=public_id)
