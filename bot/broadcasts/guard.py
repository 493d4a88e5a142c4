"""STOP before the next message: the checks the delivery worker and the opt-out call.

The outbox worker does not know about consent, and a broadcast's rows are written when
it is sent, possibly days before they are due (Saturday 08:00 for a Friday-night
send). Two hooks close that gap; the lead wires them (they are not wired here):

* :func:`still_allowed` — the worker calls it for every claimed row right before
  sending; ``False`` means "cancel this row, do not send it" (e.g.
  ``store.cancel([row.id])`` after releasing the claim, or a dedicated transition);
* :func:`cancel_marketing_for` — the opt-out action (``action_opt_out``) calls it right
  after recording the revoked purposes: the person's queued promotional rows of those
  purposes become ``cancelled`` at once, so even a worker that skips the check above
  cannot send them.

Transactional and emergency rows (a utility broadcast's rows are ``transactional``)
always stay allowed: an opt-out never revokes them (``docs/decisions/consent.md``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.storage.broadcasts import PROMOTIONAL_PURPOSES

__all__ = ["cancel_marketing_for", "still_allowed"]


async def still_allowed(store: Any, row: Any) -> bool:
    """Whether outbox ``row`` may still go to its recipient, given their consent now.

    A ``marketing`` or ``casting`` row needs the person's latest decision for that
    purpose to be *granted*; every other purpose is always allowed. One indexed read
    (``consent_log (wa_id, purpose, id)``) per promotional row.
    """
    purpose = getattr(row, "purpose", None)
    if purpose not in PROMOTIONAL_PURPOSES:
        return True
    state = await store.consent_state(row.wa_id)
    decision = state.get(purpose)
    return decision is not None and bool(decision.granted)


async def cancel_marketing_for(
    store: Any, wa_id: str, purposes: Sequence[str] = PROMOTIONAL_PURPOSES
) -> int:
    """Cancel the person's ``queued`` promotional rows of ``purposes``; returns how many.

    ``purposes`` are the ones the opt-out revoked (``bot.consent.opt_out_purposes``);
    transactional purposes are ignored (never cancelled by an opt-out).
    """
    wanted = tuple(p for p in purposes if p in PROMOTIONAL_PURPOSES)
    if not wanted:
        return 0
    return int(await store.cancel_queued_promotions(wa_id, wanted))
