"""Hi.Events ``order.cancelled``: an order cancelled on Hi.Events' side (staff, a refund).

Our own cancellations (an expired reservation, a failed payment link) settle the
purchase before Hi.Events echoes them back, so only orders cancelled elsewhere reach
the buyer: an unpaid purchase is closed; a paid or fulfilled one is flagged for staff
(money may have to go back) and its QR codes stop opening the door, because Hi.Events
cancelled the attendees. The buyer is told through the outbox (durable, retried).
"""

from __future__ import annotations

import logging
from typing import Any

from bot.i18n import t
from bot.logging import event, mask_phone
from bot.ticketing.context import Ticketing

log = logging.getLogger(__name__)

__all__ = ["on_order_cancelled"]

#: States in which the purchase is already settled on our side.
SETTLED = ("expired", "cancelled")


async def on_order_cancelled(ctx: Ticketing, payload: dict[str, Any]) -> str:
    """Apply an ``order.cancelled`` webhook; returns what was done."""
    public_id = payload.get("public_id")
    if not public_id:
        return "no_order"
    purchase = await ctx.store.purchase_by_order(str(public_id))
    if purchase is None:
        return "unknown_order"  # sold outside WhatsApp
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
