"""Start a purchase: hold the seats in Hi.Events, then hand the buyer a payment link.

Hi.Events has no Colombian payment gateway, so we use its offline-payment path
(contract §6): reserve → complete (attendees are created) → await-offline-payment,
which commits the seats and gives the order a numeric id for ``mark-as-paid`` later.
The seats stay held while the payment link is valid (``PAYMENT_LINK_TTL_MIN``); the
fulfilment worker releases them when it expires.

Order of writes, so nothing is ever paid without a record: the purchase row exists
before the link does, and the link is stored before the buyer sees it.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from bot.errors import HiEventsConflict, HiEventsValidation, ProviderError
from bot.logging import event, mask_phone
from bot.storage.purchases import PurchaseRecord
from bot.ticketing.catalog import Event, TicketType
from bot.ticketing.context import Ticketing
from bot.ticketing.money import to_pesos

log = logging.getLogger(__name__)

__all__ = ["MAX_TICKETS", "PurchaseFailed", "PurchaseRequest", "new_reference", "start_purchase"]

MAX_TICKETS = 10
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud on the phone


class PurchaseFailed(Exception):
    """Why a purchase could not start; ``reason`` selects the copy the buyer reads."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason  # sold_out | unavailable | provider_down


@dataclass(frozen=True)
class PurchaseRequest:
    wa_id: str
    language: str
    event: Event
    ticket: TicketType
    quantity: int
    buyer_name: str
    buyer_email: str


def new_reference() -> str:
    """``FN-7K3P9QW2XD``: short enough for Wompi's 36-character ``sku``, unguessable."""
    return "FN-" + "".join(secrets.choice(_ALPHABET) for _ in range(10))


def split_name(full_name: str) -> tuple[str, str]:
    """First and last name for Hi.Events (each at most 40 characters)."""
    parts = full_name.split()
    first = parts[0] if parts else full_name
    last = " ".join(parts[1:]) or first
    return first[:40], last[:40]


async def start_purchase(ctx: Ticketing, request: PurchaseRequest) -> PurchaseRecord:
    """Reserve, record and create the link; returns the purchase record with its link."""
    if not 1 <= request.quantity <= MAX_TICKETS:
        raise PurchaseFailed("unavailable", "quantity out of range")
    hi = ctx.hi_events
    event_id = request.event.id
    ticket = request.ticket
    try:
        order = await hi.reserve(event_id, [(ticket.product_id, ticket.price_id, request.quantity)])
        session = order.get("session_identifier")
        first, last = split_name(request.buyer_name)
        await hi.complete(
            event_id,
            order["short_id"],
            session,
            first_name=first,
            last_name=last,
            email=request.buyer_email,
            ticket_price_ids=[ticket.price_id] * request.quantity,
        )
        order = await hi.await_offline_payment(event_id, order["short_id"], session)
        full = await hi.find_order(event_id, order["public_id"])
    except HiEventsValidation as exc:
        raise PurchaseFailed("sold_out", str(exc)) from exc
    except HiEventsConflict as exc:
        raise PurchaseFailed("unavailable", str(exc)) from exc
    except ProviderError as exc:
        raise PurchaseFailed("provider_down", str(exc)) from exc
    total = to_pesos(order.get("total_gross", ticket.price_cop * request.quantity))
    purchase = await ctx.store.create_purchase(
        reference=new_reference(),
        wa_id=request.wa_id,
        language=request.language,
        event_id=event_id,
        event_title=request.event.title,
        event_starts_at=request.event.starts_at,
        product_id=ticket.product_id,
        price_id=ticket.price_id,
        ticket_type=ticket.name,
        quantity=request.quantity,
        unit_price_cop=ticket.price_cop,
        total_cop=total,
        buyer_name=request.buyer_name,
        buyer_email=request.buyer_email,
        hi_order_short_id=order["short_id"],
        hi_order_public_id=order["public_id"],
        hi_order_id=int(full["id"]) if full else None,
        hi_session=session,
    )
    expires_at = ctx.now() + timedelta(minutes=ctx.settings.payment_link_ttl_min)
    try:
        link = await ctx.gateway.create_link(
            reference=purchase.reference,
            amount_cop=total,
            description=f"{request.quantity} × {ticket.name} · {request.event.title}",
            buyer_email=request.buyer_email,
            expires_at=expires_at,
        )
    except ProviderError as exc:
        # cancelled here first, so Hi.Events' order.cancelled webhook finds it settled
        await ctx.store.cancel_purchase(purchase.id)
        await release_seats(ctx, purchase)
        raise PurchaseFailed("provider_down", str(exc)) from exc
    purchase = await ctx.store.set_purchase_link(
        purchase.id,
        provider=link.provider,
        link_id=link.link_id,
        link_url=link.url,
        expires_at=link.expires_at or expires_at,
    )
    event(
        log,
        "purchase.started",
        purchase=purchase.id,
        to=mask_phone(request.wa_id),
        event_id=event_id,
        quantity=request.quantity,
        total_cop=total,
        provider=link.provider,
    )
    return purchase


async def release_seats(ctx: Ticketing, purchase: PurchaseRecord) -> bool:
    """Cancel the Hi.Events order of an unpaid purchase; False if it could not be done now."""
    if not purchase.hi_order_id:
        return True
    try:
        await ctx.hi_events.cancel_order(purchase.event_id, purchase.hi_order_id)
    except HiEventsConflict:
        return True  # already cancelled or completed: nothing to release
    except ProviderError as exc:
        event(log, "purchase.release_failed", logging.WARNING, purchase=purchase.id, error=str(exc))
        return False
    return True
