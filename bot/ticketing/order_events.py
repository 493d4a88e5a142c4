"""Hi.Events ``order.cancelled``: an order cancelled on Hi.Events' side (staff, a refund).

Our own cancellations (an expired reservation, a failed payment link) settle the
purchase before Hi.Events echoes them back, so only orders cancelled elsewhere reach
the buyer: an unpaid purchase is closed; a paid or fulfilled one is flagged for staff
(money may have to go back) and its QR codes stop opening the door, because Hi.Events
cancelled the attendees. The buyer is told through the outbox (durable, retried).

``order.created`` / ``order.marked_as_paid`` (issue 5): an order sold elsewhere (box
office, web shop, a manual attendee) whose buyer we can reach on WhatsApp
(:mod:`bot.ticketing.reach`) gets a ``registration_confirmation`` and the lifecycle
reminders, keyed by the Hi.Events order public id. Our own orders have a purchase row
and are left to the purchase flow; unpaid orders wait for ``order.marked_as_paid``.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.i18n import t
from bot.logging import event, mask_phone
from bot.ticketing.context import Ticketing
from bot.ticketing.external_orders import confirm_external_order
from bot.ticketing.reach import reach_for_order
from bot.ticketing.replan import cancel_planned

log = logging.getLogger(__name__)

__all__ = ["on_order_cancelled", "on_order_created"]

#: Orders whose tickets are valid: paid, free, or created by staff as paid.
CONFIRMED = ("COMPLETED",)

#: States in which the purchase is already settled on our side.
SETTLED = ("expired", "cancelled")


async def on_order_cancelled(ctx: Ticketing, payload: dict[str, Any]) -> str:
    """Apply an ``order.cancelled`` webhook; returns what was done."""
    public_id = payload.get("public_id")
    if not public_id:
        return "no_order"
    purchase = await ctx.store.purchase_by_order(str(public_id))
    if purchase is None:
        # sold outside WhatsApp: reminders planned for its buyer (if any) stop here
        cancelled = await cancel_planned(ctx.store, str(public_id))
        event(log, "order.external_cancelled", order=str(public_id), reminders=cancelled)
        return "unknown_order"
    if purchase.state in SETTLED:
        return "already_settled"
    if purchase.state == "awaiting_payment":
        await ctx.store.cancel_purchase(purchase.id)
        outcome = "cancelled"
    else:  # paid, fulfilled or flagged: a person must look at the money
        await ctx.store.flag_purchase(
            purchase.id, "order cancelled in Hi.Events", even_fulfilled=True
        )
        outcome = "flagged"
    text = t(
        purchase.language,
        "tickets.order_cancelled",
        order=purchase.hi_order_public_id or purchase.reference,
        event=purchase.event_title,
    )
    await ctx.store.enqueue(
        idempotency_key=f"order_cancelled:{public_id}",
        wa_id=purchase.wa_id,
        purpose="transactional",
        payload={"type": "text", "text": {"body": text}},
    )
    event(log, "order.cancelled_upstream", to=mask_phone(purchase.wa_id), outcome=outcome)
    return outcome


async def on_order_created(ctx: Ticketing, payload: dict[str, Any]) -> str:
    """``order.created`` / ``order.marked_as_paid``: confirm orders sold elsewhere.

    Recognising and matching are local reads (fast); the event lookup and the queueing
    run after the answer, in the background, like the other courtesy messages.
    """
    public_id = payload.get("public_id")
    if not public_id:
        return "no_order"
    if await ctx.store.purchase_by_order(str(public_id)) is not None:
        return "ours"  # the purchase flow confirms and reminds its own buyers
    if payload.get("status") not in CONFIRMED:
        # awaiting an offline payment: confirmed when order.marked_as_paid arrives
        event(log, "order.external_unpaid", order=str(public_id), status=payload.get("status"))
        return "external_unpaid"
    reach = await reach_for_order(ctx.store, payload)
    if reach is None:
        # no phone answer, no purchase with this e-mail: Hi.Events e-mailed the buyer
        event(log, "order.external_unreachable", order=str(public_id))
        return "external_unreachable"
    ctx.background(confirm_external_order(ctx, payload, reach))
    event(
        log,
        "order.external_matched",
        order=str(public_id),
        to=mask_phone(reach.wa_id),
        source=reach.source,
    )
    return "external_confirming"
