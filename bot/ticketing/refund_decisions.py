"""Refund requests: recorded for staff, decided by a person, the answer sent back."""

from __future__ import annotations

from datetime import datetime

from bot.errors import ProviderError
from bot.i18n import t
from bot.privacy import format_due_date
from bot.storage.purchases import PurchaseRecord, RefundRecord
from bot.ticketing.context import Ticketing
from bot.ticketing.money import cop
from bot.ticketing.refunds import assess

__all__ = ["decide", "request_refund"]


async def request_refund(
    ctx: Ticketing, purchase: PurchaseRecord, *, reason: str | None, now: datetime
) -> tuple[RefundRecord, bool, str]:
    """Record a request (one pending per purchase); returns it, whether new, and why."""
    verdict = assess(
        paid_at=purchase.paid_at or purchase.created_at,
        event_starts_at=purchase.event_starts_at,
        requested_at=now,
    )
    record, created = await ctx.store.create_refund_request(
        purchase_id=purchase.id,
        wa_id=purchase.wa_id,
        reason=reason,
        basis=verdict.basis,
        eligible=verdict.eligible,
        retracto_deadline=verdict.retracto_deadline,
        refund_due_by=verdict.refund_due_by,
    )
    return record, created, verdict.why


async def decide(
    ctx: Ticketing, request_id: int, *, approved: bool, decided_by: str, note: str | None
) -> RefundRecord | None:
    """Record staff's decision and tell the buyer (the record stays if WhatsApp fails)."""
    record = await ctx.store.decide_refund(
        request_id, approved=approved, decided_by=decided_by, note=note
    )
    if record is None:
        return None
    purchase = await ctx.store.get_purchase(record.purchase_id)
    if purchase is None:
        return record
    lang = purchase.language
    key = "tickets.refund.approved" if approved else "tickets.refund.rejected"
    text = t(
        lang,
        key,
        order=purchase.hi_order_public_id or purchase.reference,
        total=cop(purchase.total_cop),
        due=format_due_date(lang, record.refund_due_by) if record.refund_due_by else "",
        note=note or "",
    )
    try:
        await ctx.messenger.text(purchase.wa_id, text.strip())
        await ctx.store.mark_refund_notified(record.id)
    except ProviderError:
        pass  # visible as decided but not notified (notified_at is empty)
    return record
