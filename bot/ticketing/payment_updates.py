"""Apply what a payment provider says about a transaction, exactly once.

Called by the webhook routes after the signature check. The provider's statement is
recorded first (unique on provider + transaction + status, so a webhook delivered
three times is applied once); then the purchase moves:

* approved with the right amount and currency → ``paid``; the fulfilment worker is
  woken and issues the tickets (retrying until it can);
* approved with another amount or currency → ``flagged`` for staff, never fulfilled;
* declined / error while the link is still open → the buyer is told, with the same
  link to try again (Wompi links stay usable until an approved payment).

Messages to the buyer are best effort here: the record is what matters, and a
purchase in ``paid`` is retried by the worker whatever happens to this request.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable

from bot.errors import ProviderError
from bot.i18n import t
from bot.logging import event
from bot.payments.base import PaymentUpdate
from bot.storage.purchases import PurchaseRecord
from bot.ticketing.context import Ticketing
from bot.ticketing.money import cop

log = logging.getLogger(__name__)

__all__ = ["apply_payment_update"]


async def apply_payment_update(ctx: Ticketing, update: PaymentUpdate) -> str:
    """Record and apply one verified update; returns the outcome recorded for it."""
    store = ctx.store
    purchase = None
    if update.link_id:
        purchase = await store.purchase_by_link(update.provider, update.link_id)
    if purchase is None and update.reference:
        purchase = await store.purchase_by_reference(update.reference)
    recorded, new = await store.record_payment_event(
        provider=update.provider,
        transaction_id=update.transaction_id,
        status=update.status,
        amount_cop=update.amount_cop,
        currency=update.currency,
        reference=update.reference,
        link_id=update.link_id,
        method=update.method,
        raw=dict(update.raw),
        purchase_id=purchase.id if purchase else None,
    )
    if not new:
        outcome = "duplicate"
    elif purchase is None:
        outcome = "unknown_purchase"
    elif update.status == "approved":
        outcome = await _approved(ctx, purchase, update)
    elif update.status in ("declined", "error"):
        outcome = await _declined(ctx, purchase, update)
    else:
        outcome = "ignored"
    if new:
        await store.set_payment_event_outcome(recorded.id, outcome)
    event(
        log,
        "payment.update",
        provider=update.provider,
        status=update.status,
        outcome=outcome,
        purchase=purchase.id if purchase else None,
    )
    return outcome


async def _approved(ctx: Ticketing, purchase: PurchaseRecord, update: PaymentUpdate) -> str:
    store = ctx.store
    if update.amount_cop != purchase.total_cop or update.currency.upper() != purchase.currency:
        await store.flag_purchase(
            purchase.id,
            f"amount mismatch: paid {update.amount_cop} {update.currency}, "
            f"order {purchase.total_cop} {purchase.currency}",
        )
        await _tell(ctx, purchase, "tickets.payment.mismatch")
        return "mismatch"
    paid = await store.mark_paid(
        purchase.id,
        transaction_id=update.transaction_id,
        method=update.method,
    )
    if paid is None:
        return "late"  # already paid by another transaction (or fulfilled): nothing to do
    ctx.wake.set()
    if purchase.link_id and purchase.provider in ctx.gateways:
        # Mercado Pago preferences keep taking payments until they expire: close it.
        gateway = ctx.gateways[purchase.provider]
        ctx.background(_quietly(gateway.deactivate_link(purchase.link_id)))
    return "applied"


async def _declined(ctx: Ticketing, purchase: PurchaseRecord, update: PaymentUpdate) -> str:
    if purchase.state != "awaiting_payment" or not purchase.link_url:
        return "ignored"
    lang = purchase.language
    key = "tickets.payment.declined" if update.status == "declined" else "tickets.payment.error"
    ctx.background(
        _quietly(
            ctx.messenger.link_button(
                purchase.wa_id,
                t(lang, key, total=cop(purchase.total_cop)),
                t(lang, "tickets.pay_button"),
                purchase.link_url,
            )
        )
    )
    return "applied"


async def _tell(ctx: Ticketing, purchase: PurchaseRecord, key: str) -> None:
    text = t(purchase.language, key, reference=purchase.reference)
    ctx.background(_quietly(ctx.messenger.text(purchase.wa_id, text)))


async def _quietly(send: Awaitable[object]) -> None:
    """A courtesy message may fail: the buyer can still ask "¿cómo va mi pago?"."""
    try:
        await send
    except ProviderError:
        pass
