"""What happens when a ticket is scanned at the door (Hi.Events ``checkin.created``).

The scan itself is Hi.Events' business (its check-in API refuses a second scan); we
only record it against our ticket and welcome the holder once on WhatsApp, however
many times the webhook arrives. The welcome goes through the outbox (issue 5): durable,
retried, and sent as the ``checkin_welcome`` template when the holder's 24-hour window
has closed, which on the day of a show bought weeks earlier is the usual case.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any

from bot.i18n import t
from bot.logging import event, mask_phone
from bot.templates import TemplateValueError, UnknownTemplate, build_template, default_library
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
    holder = ticket.holder_name.split()[0] if ticket.holder_name else ""
    text = t(lang, "tickets.welcome", holder=holder, event=purchase.event_title if purchase else "")
    await ctx.store.enqueue(
        idempotency_key=f"welcome:{public_id}",
        wa_id=ticket.wa_id,
        kind="message",
        purpose="transactional",
        payload={"type": "text", "text": {"body": text}},
        template_fallback=_welcome_template(lang, holder, purchase.event_title if purchase else ""),
    )
    event(log, "door.welcome_queued", to=mask_phone(ticket.wa_id), ticket=public_id)
    return "welcomed"


def _welcome_template(lang: str, holder: str, event_title: str) -> dict[str, Any] | None:
    """``checkin_welcome`` for when the holder's 24-hour window has closed (show day)."""
    try:
        template = default_library().get("checkin_welcome", lang)
        return build_template(template, {"name": holder or "👋", "event": event_title[:120]})
    except (UnknownTemplate, TemplateValueError) as exc:
        event(log, "door.no_welcome_template", logging.WARNING, error=str(exc)[:200])
        return None
