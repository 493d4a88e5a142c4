"""Planned reminders of one purchase: their keys, cancelling them, planning them anew.

:mod:`bot.ticketing.lifecycle` plans the reminders once, under the keys
``reminder:<label>:<reference>`` and ``feedback:<reference>``. When the show moves, a
new plan must not collide with the old rows (``enqueue`` keeps the first row of a key),
so re-planned rows carry the new start: ``reminder:<label>:<reference>:<start iso>``.
Cancelling "the reminders of a purchase" therefore means the base keys and every
stamped variant of them; the rows of the current plan are kept, which makes planning
the same new start twice a no-op.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import datetime, timezone
from typing import Any

from bot.clients.hi_events import HiEventsClient
from bot.errors import ProviderError
from bot.logging import event, mask_phone
from bot.storage.purchases import PurchaseRecord
from bot.ticketing.catalog import Event, event_from_resource
from bot.ticketing.lifecycle import REMINDERS, planned_messages

log = logging.getLogger(__name__)

__all__ = [
    "cancel_planned",
    "event_info",
    "iso_stamp",
    "plan_for_start",
    "planned_keys",
]


def iso_stamp(moment: datetime) -> str:
    """``2026-12-12T01:00:00Z``: the UTC start as it appears in idempotency keys."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def planned_keys(reference: str) -> tuple[list[str], list[str]]:
    """(exact keys, key prefixes) of every lifecycle row ever planned for ``reference``."""
    bases = [f"reminder:{label}:{reference}" for label, _before, _template in REMINDERS]
    bases.append(f"feedback:{reference}")
    return bases, [f"{base}:" for base in bases]


async def cancel_planned(store: Any, reference: str, *, keep: list[str] | None = None) -> int:
    """Cancel the still-queued reminders and feedback request of ``reference``."""
    keys, prefixes = planned_keys(reference)
    return int(await store.cancel_queued_keys(keys, prefixes=prefixes, keep=keep or []))


async def plan_for_start(
    store: Any,
    purchase: PurchaseRecord,
    info: Event | None,
    first_code: str,
    starts_at: datetime,
    now: datetime,
) -> tuple[int, int]:
    """Replace the purchase's plan by one for ``starts_at``; returns (cancelled, new).

    The new rows are keyed with the start, the old ones cancelled (except these), and a
    row of this plan cancelled earlier (the show moved away and back) is queued again.
    """
    moved = dataclasses.replace(purchase, event_starts_at=starts_at)
    stamp = iso_stamp(starts_at)
    rows = planned_messages(moved, info, first_code, now)
    for row in rows:
        row["idempotency_key"] = f"{row['idempotency_key']}:{stamp}"
    keys = [row["idempotency_key"] for row in rows]
    cancelled = await cancel_planned(store, purchase.reference, keep=keys)
    created = 0
    again: list[str] = []
    for row in rows:
        record, new = await store.enqueue(**row)
        created += int(new)
        if not new and record.status == "cancelled":
            again.append(record.idempotency_key)
    if again:
        await store.requeue_cancelled(again)
    event(
        log,
        "lifecycle.replanned",
        to=mask_phone(purchase.wa_id),
        reference=purchase.reference,
        cancelled=cancelled,
        new=created,
        revived=len(again),
    )
    return cancelled, created


async def event_info(client: HiEventsClient, event_id: int) -> Event | None:
    """The show as the reminders describe it, fresh from the JWT API (not the 30 s cache:
    it may be read right after a schedule change)."""
    try:
        return event_from_resource(await client.event(int(event_id)))
    except (ProviderError, ValueError, KeyError) as exc:
        event(log, "lifecycle.no_event_info", logging.WARNING, event_id=event_id, error=str(exc))
        return None
