"""Turn paid purchases into tickets on the buyer's phone, retrying until it is done.

A purchase in ``paid`` is the durable to-do: the worker claims it (a lease, with
``FOR UPDATE SKIP LOCKED`` on PostgreSQL), and every step is idempotent so a crash or
an outage at any point only means "do it again later":

1. ``mark-as-paid`` in Hi.Events (a 409 means it already is; we re-read the order);
2. one ``tickets`` row per attendee (unique on the attendee ``public_id``);
3. per ticket not yet sent: a QR PNG of the ``public_id``, uploaded and sent as an
   image with a caption (event, ticket type, holder, n/N); the wamid is stored;
4. the summary (date, venue, doors, how to enter), then ``fulfilled``.

A failure sets the next try with exponential backoff (capped), and the buyer is told
once that the payment arrived and the tickets are on their way. Staff see stuck
purchases with ``python -m bot purchases list --state paid`` and ``GET /admin/purchases``.

The same loop expires unpaid purchases whose link ran out: the seats are released in
Hi.Events, the link deactivated, and the buyer offered a new one.
"""

from __future__ import annotations

import asyncio
import logging
import random
from datetime import timedelta

from bot.datefmt import format_moment
from bot.errors import HiEventsConflict, ProviderError
from bot.i18n import t
from bot.logging import event, mask_phone
from bot.replies import Option
from bot.storage.purchases import PurchaseRecord
from bot.ticketing.catalog import Event, upcoming_events
from bot.ticketing.context import Ticketing
from bot.ticketing.lifecycle import plan_lifecycle
from bot.ticketing.money import cop
from bot.ticketing.purchase import release_seats
from bot.ticketing.qr import ticket_qr_png

log = logging.getLogger(__name__)

__all__ = ["FulfilmentWorker", "fulfil", "retry_delay_s"]

RETRY_BASE_S = 2.0
RETRY_CAP_S = 300.0


def retry_delay_s(attempts: int) -> float:
    """Full-jitter exponential backoff: 2 s, 4 s, 8 s … capped at 5 minutes."""
    return random.uniform(0.5, 1.0) * min(RETRY_CAP_S, RETRY_BASE_S * (2 ** max(0, attempts)))


async def _paid_order(ctx: Ticketing, purchase: PurchaseRecord) -> dict:
    """The Hi.Events order, marked as paid (idempotent)."""
    hi = ctx.hi_events
    order_id = purchase.hi_order_id
    if order_id is None:
        found = await hi.find_order(purchase.event_id, purchase.hi_order_public_id or "")
        if not found:
            raise ProviderError(f"order {purchase.hi_order_public_id} not found in Hi.Events")
        order_id = int(found["id"])
    order = await hi.order(purchase.event_id, order_id)
    if order.get("status") != "COMPLETED":
        try:
            await hi.mark_paid(purchase.event_id, order_id)
        except HiEventsConflict:
            pass  # a concurrent worker or a retry got there first; re-read below
        order = await hi.order(purchase.event_id, order_id)
    if order.get("status") != "COMPLETED":
        raise ProviderError(f"order {purchase.hi_order_public_id} is {order.get('status')}")
    if not order.get("attendees"):
        order["attendees"] = await hi.attendees(purchase.event_id, order_id)
    return order


async def fulfil(ctx: Ticketing, purchase: PurchaseRecord) -> None:
    """Issue and send the tickets of one paid purchase; raises to be retried."""
    order = await _paid_order(ctx, purchase)
    store = ctx.store
    attendees = sorted(order["attendees"], key=lambda a: a.get("id") or 0)
    for attendee in attendees:
        if attendee.get("status") == "CANCELLED":
            continue
        holder = " ".join(
            part for part in (attendee.get("first_name"), attendee.get("last_name")) if part
        )
        await store.add_ticket(
            purchase_id=purchase.id,
            attendee_public_id=attendee["public_id"],
            attendee_id=attendee.get("id"),
            holder_name=holder or purchase.buyer_name,
            ticket_type=purchase.ticket_type,
            wa_id=purchase.wa_id,
        )
    tickets = await store.tickets_for_purchase(purchase.id)
    await send_tickets(ctx, purchase, tickets, only_unsent=True)
    found = await _event_of(ctx, purchase)
    await ctx.messenger.text(purchase.wa_id, summary(ctx, purchase, found))
    # reminders 7 d / 1 d / 3 h before and the feedback request (outbox, idempotent)
    if tickets:
        await plan_lifecycle(store, purchase, found, tickets[0].attendee_public_id, ctx.now())
    await store.mark_fulfilled(purchase.id)
    event(
        log,
        "purchase.fulfilled",
        purchase=purchase.id,
        to=mask_phone(purchase.wa_id),
        tickets=len(tickets),
    )


async def send_tickets(
    ctx: Ticketing, purchase: PurchaseRecord, tickets: list, *, only_unsent: bool
) -> int:
    """Send QR images; with ``only_unsent`` the ones already delivered are skipped."""
    sent = 0
    total = len(tickets)
    for index, ticket in enumerate(tickets, start=1):
        if only_unsent and ticket.wamid:
            continue
        caption = t(
            purchase.language,
            "tickets.qr_caption",
            event=purchase.event_title,
            kind=ticket.ticket_type,
            holder=ticket.holder_name,
            n=index,
            total=total,
            code=ticket.attendee_public_id,
        )
        media_id, wamid = await ctx.messenger.image_png(
            purchase.wa_id,
            ticket_qr_png(ticket.attendee_public_id),
            caption=caption,
            filename=f"boleta-{ticket.attendee_public_id}.png",
        )
        await ctx.store.mark_ticket_sent(ticket.id, media_id=media_id, wamid=wamid)
        sent += 1
    return sent


async def _event_of(ctx: Ticketing, purchase: PurchaseRecord) -> Event | None:
    """The event's details for the summary; the summary still goes without them."""
    try:
        events = await upcoming_events(ctx.hi_events, ctx.settings.hi_events_organizer_id)
    except ProviderError:
        return None
    return next((e for e in events if e.id == purchase.event_id), None)


def summary(ctx: Ticketing, purchase: PurchaseRecord, found: Event | None) -> str:
    """Date, venue and how to get in, after the QR images."""
    lang = purchase.language
    venue = found.venue if found else ""
    address = f"{found.address}, {found.city}" if found else ""
    doors = found.doors_open if found and found.doors_open else ""
    return t(
        lang,
        "tickets.summary",
        quantity=purchase.quantity,
        kind=purchase.ticket_type,
        event=purchase.event_title,
        when=format_moment(lang, purchase.event_starts_at, ctx.now()),
        venue=venue,
        address=address,
        doors=doors,
        total=cop(purchase.total_cop),
        order=purchase.hi_order_public_id or purchase.reference,
    )


class FulfilmentWorker:
    """Background loop of the action server: fulfil due purchases, expire stale links."""

    def __init__(self, ctx: Ticketing, *, interval_s: float = 2.0, batch: int = 10) -> None:
        self.ctx = ctx
        self.interval_s = interval_s
        self.batch = batch
        self._task: asyncio.Task | None = None
        self._stopping = False

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        self._stopping = True
        self.ctx.wake.set()
        if self._task:
            try:
                await asyncio.wait_for(self._task, timeout=10)
            except (asyncio.TimeoutError, asyncio.CancelledError):
                self._task.cancel()

    async def _run(self) -> None:
        while not self._stopping:
            try:
                busy = await self.run_once()
            except Exception:
                log.exception("fulfilment.loop_error")
                busy = False
            if busy:
                continue
            self.ctx.wake.clear()
            try:
                await asyncio.wait_for(self.ctx.wake.wait(), timeout=self.interval_s)
            except asyncio.TimeoutError:
                pass

    async def run_once(self) -> bool:
        """One pass; True when it found work (so the loop goes again at once)."""
        store = self.ctx.store
        claimed = await store.claim_due_fulfilments(limit=self.batch, lease_s=120.0)
        await asyncio.gather(*(self._fulfil_one(p) for p in claimed))
        expired = await store.expire_due(now=self.ctx.now())
        for purchase in expired:
            await self._expired(purchase)
        return bool(claimed)

    async def _fulfil_one(self, purchase: PurchaseRecord) -> None:
        try:
            await fulfil(self.ctx, purchase)
        except Exception as exc:
            retry_at = self.ctx.now() + timedelta(seconds=retry_delay_s(purchase.attempts))
            await self.ctx.store.fulfilment_failed(
                purchase.id, error=str(exc)[:500], retry_at=retry_at
            )
            event(
                log,
                "purchase.fulfil_failed",
                logging.WARNING,
                purchase=purchase.id,
                attempts=purchase.attempts + 1,
                error=str(exc)[:200],
            )
            if purchase.attempts == 0:
                try:
                    await self.ctx.messenger.text(
                        purchase.wa_id, t(purchase.language, "tickets.payment.delayed")
                    )
                except ProviderError:
                    pass

    async def _expired(self, purchase: PurchaseRecord) -> None:
        await release_seats(self.ctx, purchase)
        if purchase.link_id:
            try:
                await self.ctx.gateway.deactivate_link(purchase.link_id)
            except ProviderError:
                pass  # the link's own expires_at stops it anyway
        lang = purchase.language
        try:
            await self.ctx.messenger.buttons(
                purchase.wa_id,
                t(lang, "tickets.expired", event=purchase.event_title),
                # payment_status on an expired purchase renews it (actions/tickets.py)
                [Option("/payment_status", t(lang, "tickets.new_link_button"))],
            )
        except ProviderError:
            pass
