"""Hi.Events ``event.updated``: the show moved, so its reminders and holders follow.

The webhook carries the whole ``EventResource`` but not what changed, so the start is
compared with what each purchase recorded (``event_starts_at``). For every purchase
of the event whose start differs:

* its queued reminders and feedback request are cancelled and planned anew for the
  new time (:func:`bot.ticketing.replan.plan_for_start`, keys carry the start);
* its holder gets one ``schedule_update`` message (free text, the library template as
  ``template_fallback``), keyed ``schedule:<event id>:<new start>:<wa_id>`` so two
  purchases of one person, or a redelivery, send it once;
* ``event_starts_at`` is updated last, so a crash half-way is redone by the next
  ``event.updated`` and an edit that did not move the show changes nothing.

Buyers of orders sold elsewhere that we confirmed on WhatsApp
(:mod:`bot.ticketing.external_orders`) are found through the Hi.Events order list and
treated the same way. The venue is not compared: purchases do not record it (see
docs/decisions/hi_events.md). The work runs after the webhook is answered.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from bot.datefmt import format_moment
from bot.errors import ProviderError
from bot.i18n import t
from bot.logging import event, mask_phone
from bot.storage.outbox import PRIORITY_TRANSACTIONAL
from bot.storage.purchases import PurchaseRecord
from bot.ticketing import catalog
from bot.ticketing.catalog import Event, event_from_resource
from bot.ticketing.context import Ticketing
from bot.ticketing.external_orders import active_attendees, external_purchase
from bot.ticketing.lifecycle import fallback_template
from bot.ticketing.reach import reach_for_order
from bot.ticketing.replan import iso_stamp, plan_for_start

log = logging.getLogger(__name__)

__all__ = ["on_event_updated", "replan_event", "schedule_update_row"]

#: Purchases whose holders have (or are about to get) valid tickets.
HOLDING = ("paid", "fulfilled")


def schedule_update_row(
    purchase: PurchaseRecord, info: Event, old_start: datetime | None, now: datetime
) -> dict[str, Any]:
    """The outbox row telling one holder about the new time (pure: testable alone)."""
    lang = purchase.language
    start = info.starts_at
    when = format_moment(lang, start, now)
    if old_start is not None:
        old = format_moment(lang, old_start, now)
        details = t(lang, "tickets.schedule_update_details", old_date_time=old)
    else:  # an order sold elsewhere: we never recorded its old time
        details = t(lang, "tickets.schedule_update_check")
    values = {
        "name": purchase.buyer_name.split()[0] if purchase.buyer_name else "👋",
        "event": info.title[:120],
        "new_date_time": when,
        "venue": info.venue or info.title[:120],
        "details": details,
    }
    text = t(lang, "tickets.schedule_update", **values)
    return {
        "idempotency_key": f"schedule:{info.id}:{iso_stamp(start)}:{purchase.wa_id}",
        "wa_id": purchase.wa_id,
        "kind": "message",
        "purpose": "transactional",
        "priority": PRIORITY_TRANSACTIONAL,
        "payload": {"type": "text", "text": {"body": text}},
        "template_fallback": fallback_template("schedule_update", lang, values),
    }


async def on_event_updated(ctx: Ticketing, payload: dict[str, Any]) -> str:
    """Check the webhook and hand the re-planning to the background; returns at once."""
    try:
        info = event_from_resource(payload)
    except (ValueError, KeyError, TypeError) as exc:
        event(log, "schedule.bad_event", logging.WARNING, error=str(exc)[:200])
        return "no_event"
    catalog.clear_cache()  # the chat shows the new time from now on
    ctx.background(_replan_safely(ctx, info))
    return "replanning"


async def _replan_safely(ctx: Ticketing, info: Event) -> None:
    try:
        await replan_event(ctx, info)
    except Exception as exc:  # background task: log, the next event.updated redoes it
        event(log, "schedule.failed", logging.ERROR, event_id=info.id, error=str(exc)[:300])


async def replan_event(ctx: Ticketing, info: Event) -> dict[str, int]:
    """Re-plan every purchase (and confirmed outside order) of a show that moved."""
    counts = {"moved": 0, "messages": 0}
    for purchase in await ctx.store.purchases_of_event(info.id, states=HOLDING):
        moved, sent = await _replan_purchase(ctx, purchase, info)
        counts["moved"] += moved
        counts["messages"] += sent
    try:
        moved, sent = await _replan_external(ctx, info)
    except ProviderError as exc:  # Hi.Events down: our own buyers are done already
        event(log, "schedule.external_failed", logging.WARNING, event_id=info.id, error=str(exc))
        moved = sent = 0
    counts["moved"] += moved
    counts["messages"] += sent
    event(log, "schedule.replanned", event_id=info.id, start=iso_stamp(info.starts_at), **counts)
    return counts


async def _replan_purchase(
    ctx: Ticketing, purchase: PurchaseRecord, info: Event
) -> tuple[int, int]:
    old = purchase.event_starts_at
    if iso_stamp(old) == iso_stamp(info.starts_at):
        return 0, 0  # this edit did not move the show, or it was re-planned already
    store = ctx.store
    tickets = await store.tickets_for_purchase(purchase.id)
    cancelled = await store.cancelled_tickets(t.attendee_public_id for t in tickets)
    valid = [t for t in tickets if t.attendee_public_id not in cancelled]
    sent = 0
    if purchase.state == "fulfilled" and valid:
        await plan_for_start(
            store, purchase, info, valid[0].attendee_public_id, info.starts_at, ctx.now()
        )
    # a paid purchase not yet fulfilled is planned by the fulfilment worker from the new
    # start below; a purchase whose every ticket was cancelled has nobody to tell
    if valid or (purchase.state == "paid" and not tickets):
        _row, new = await store.enqueue(**schedule_update_row(purchase, info, old, ctx.now()))
        sent = int(new)
        event(log, "schedule.update_queued", to=mask_phone(purchase.wa_id), new=new)
    await store.set_event_start(purchase.id, info.starts_at)
    return 1, sent


async def _replan_external(ctx: Ticketing, info: Event) -> tuple[int, int]:
    """Outside orders we confirmed (``registration:<order>`` exists) whose plan is for
    another start (no feedback row keyed with the new one)."""
    store = ctx.store
    stamp = iso_stamp(info.starts_at)
    moved = sent = 0
    for order in await ctx.hi_events.orders(info.id):
        public_id = str(order.get("public_id") or "")
        if not public_id or order.get("status") != "COMPLETED":
            continue
        if await store.outbox_by_key(f"registration:{public_id}") is None:
            continue  # never confirmed on WhatsApp (ours, or unreachable)
        if await store.outbox_by_key(f"feedback:{public_id}:{stamp}") is not None:
            continue  # already planned for this start
        attendees = active_attendees(order)
        reach = await reach_for_order(store, order)
        if reach is None or not attendees:
            continue
        purchase = external_purchase(order, reach, info)
        code = str(attendees[0]["public_id"])
        await plan_for_start(store, purchase, info, code, info.starts_at, ctx.now())
        _row, new = await store.enqueue(**schedule_update_row(purchase, info, None, ctx.now()))
        moved += 1
        sent += int(new)
    return moved, sent
