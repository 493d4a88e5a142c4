"""Hi.Events ``attendee.updated`` / ``attendee.cancelled``: keep our tickets in step.

Staff edit attendees in Hi.Events (a new holder name, a cancelled ticket). Our ticket
rows are what the chat shows ("my tickets", the QR caption on a resend), so the holder
name follows, and a cancellation is remembered (:meth:`cancel_ticket`). When every
ticket of a purchase is cancelled nobody is left to remind, so its still-queued
reminders and feedback request are cancelled. Attendees of orders sold elsewhere have
no ticket row here: their order's ``order.cancelled`` stops their reminders.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.logging import event, mask_phone
from bot.ticketing.context import Ticketing
from bot.ticketing.replan import cancel_planned

log = logging.getLogger(__name__)

__all__ = ["on_attendee_cancelled", "on_attendee_updated"]


def _holder(payload: dict[str, Any]) -> str:
    return " ".join(
        str(part).strip() for part in (payload.get("first_name"), payload.get("last_name")) if part
    ).strip()


async def on_attendee_updated(ctx: Ticketing, payload: dict[str, Any]) -> str:
    """A new holder name goes on the ticket; a ``CANCELLED`` status cancels it."""
    public_id = payload.get("public_id")
    if not public_id:
        return "no_attendee"
    ticket = await ctx.store.ticket_by_public_id(str(public_id))
    if ticket is None:
        return "unknown_ticket"  # sold outside WhatsApp (or not issued yet)
    outcome = "unchanged"
    holder = _holder(payload)
    if holder and holder != ticket.holder_name:
        await ctx.store.rename_ticket(str(public_id), holder)
        event(log, "ticket.renamed", ticket=str(public_id), to=mask_phone(ticket.wa_id))
        outcome = "renamed"
    if payload.get("status") == "CANCELLED":
        cancelled = await on_attendee_cancelled(ctx, payload)
        outcome = cancelled if outcome == "unchanged" else f"{outcome}+{cancelled}"
    return outcome


async def on_attendee_cancelled(ctx: Ticketing, payload: dict[str, Any]) -> str:
    """Mark the ticket cancelled; the purchase's reminders stop with its last ticket."""
    public_id = payload.get("public_id")
    if not public_id:
        return "no_attendee"
    ticket = await ctx.store.ticket_by_public_id(str(public_id))
    if ticket is None:
        return "unknown_ticket"
    first = await ctx.store.cancel_ticket(str(public_id))
    tickets = await ctx.store.tickets_for_purchase(ticket.purchase_id)
    cancelled = await ctx.store.cancelled_tickets(t.attendee_public_id for t in tickets)
    if len(cancelled) < len(tickets):
        outcome = "ticket_cancelled" if first else "already_cancelled"
        event(log, "ticket.cancelled", ticket=str(public_id), left=len(tickets) - len(cancelled))
        return outcome
    purchase = await ctx.store.get_purchase(ticket.purchase_id)
    if purchase is None:
        return "ticket_cancelled"
    stopped = await cancel_planned(ctx.store, purchase.reference)
    event(
        log,
        "purchase.all_tickets_cancelled",
        purchase=purchase.id,
        to=mask_phone(purchase.wa_id),
        reminders=stopped,
    )
    return "reminders_cancelled"
