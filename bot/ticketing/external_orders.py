"""Orders sold outside WhatsApp whose buyer we can reach there (issue 5).

Such an order has no purchase row (and gets none: the fulfilment worker would try to
issue and send tickets Hi.Events already e-mailed). It is described by an in-memory
:class:`PurchaseRecord` whose reference is the Hi.Events order public id, so the same
lifecycle plan applies: ``reminder:<label>:O-AB12CD3:<start>`` and
``feedback:O-AB12CD3:<start>``. The start in the keys is what lets a later
``event.updated`` tell whether this buyer's plan is already for the new time.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import timedelta
from typing import Any

from bot.datefmt import format_moment
from bot.i18n import t
from bot.logging import event, mask_phone
from bot.storage.purchases import PurchaseRecord
from bot.ticketing.catalog import Event
from bot.ticketing.context import Ticketing
from bot.ticketing.lifecycle import fallback_template
from bot.ticketing.reach import Reach
from bot.ticketing.replan import event_info, plan_for_start

log = logging.getLogger(__name__)

__all__ = ["active_attendees", "confirm_external_order", "external_purchase"]


def active_attendees(order: dict[str, Any]) -> list[dict[str, Any]]:
    """The order's attendees whose tickets are valid, in the order issued."""
    found = [a for a in order.get("attendees") or [] if isinstance(a, dict)]
    found = [a for a in found if a.get("status") != "CANCELLED" and a.get("public_id")]
    return sorted(found, key=lambda a: a.get("id") or 0)


def _ticket_types(order: dict[str, Any]) -> str:
    items = [i for i in order.get("order_items") or [] if isinstance(i, dict)]
    return ", ".join(f"{i.get('item_name') or '?'} × {int(i.get('quantity') or 1)}" for i in items)


def external_purchase(order: dict[str, Any], reach: Reach, info: Event) -> PurchaseRecord:
    """The order as the lifecycle planner reads a purchase (nothing is stored)."""
    blank: dict[str, Any] = {f.name: None for f in dataclasses.fields(PurchaseRecord)}
    name = " ".join(p for p in (order.get("first_name"), order.get("last_name")) if p)
    attendees = active_attendees(order)
    return PurchaseRecord(
        **{
            **blank,
            "id": 0,
            "reference": str(order["public_id"]),
            "wa_id": reach.wa_id,
            "language": reach.language,
            "event_id": int(info.id),
            "event_title": info.title,
            "event_starts_at": info.starts_at,
            "ticket_type": _ticket_types(order) or "—",
            "quantity": max(len(attendees), 1),
            "buyer_name": name or "👋",
            "buyer_email": str(order.get("email") or ""),
            "hi_order_public_id": str(order["public_id"]),
            "hi_order_id": order.get("id"),
            "currency": str(order.get("currency") or "COP"),
            "state": "fulfilled",
        }
    )


async def confirm_external_order(ctx: Ticketing, order: dict[str, Any], reach: Reach) -> None:
    """Queue the registration confirmation and plan the reminders (idempotent keys)."""
    public_id = str(order.get("public_id"))
    try:
        attendees = active_attendees(order)
        if not attendees:
            event(log, "external.no_active_tickets", order=public_id)
            return
        info = await event_info(ctx.hi_events, int(order.get("event_id") or 0))
        if info is None:
            return  # logged: without the show's time there is nothing true to say
        purchase = external_purchase(order, reach, info)
        lang = purchase.language
        code = str(attendees[0]["public_id"])
        values = {
            "name": purchase.buyer_name.split()[0],
            "event": info.title[:120],
            "ticket_type": purchase.ticket_type[:120],
            "date_time": format_moment(lang, info.starts_at, info.starts_at - timedelta(days=30)),
            "venue": info.venue or info.title[:120],
            "ticket_code": code,
        }
        _row, new = await ctx.store.enqueue(
            idempotency_key=f"registration:{public_id}",
            wa_id=reach.wa_id,
            purpose="transactional",
            payload={
                "type": "text",
                "text": {"body": t(lang, "tickets.registration_confirmed", **values)},
            },
            template_fallback=fallback_template("registration_confirmation", lang, values),
        )
        await plan_for_start(ctx.store, purchase, info, code, info.starts_at, ctx.now())
        event(
            log,
            "external.confirmed",
            order=public_id,
            to=mask_phone(reach.wa_id),
            source=reach.source,
            new=new,
        )
    except Exception as exc:  # background task: nobody else would see the failure
        event(log, "external.failed", logging.ERROR, order=public_id, error=str(exc)[:300])
