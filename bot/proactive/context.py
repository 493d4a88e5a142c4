"""What the dialogue should remember after a proactive message (issue 5, item 2).

When a row goes out through Rasa (``bot/proactive/relay.py``), ``action_proactive_message``
sets slots from it so that the next answer is understood in context: after a reminder
or a schedule change, ``event`` (the show the conversation is about: "¿cómo llego?"
needs no event name); after a feedback request, ``feedback_event`` too (the rating
that follows is about that show). The row's idempotency key names what it is about;
keys are written by ``bot/ticketing`` (``reminder:<label>:<purchase reference>…``,
``feedback:<reference>``, ``welcome:<attendee public id>``, ``schedule:<event id>:…``).
"""

from __future__ import annotations

from typing import Any

from bot.storage.outbox import OutboxRecord

__all__ = ["conversation_slots"]


async def _purchase_of(store: Any, row: OutboxRecord) -> Any:
    kind, _, rest = row.idempotency_key.partition(":")
    parts = rest.split(":")
    if kind == "reminder" and len(parts) >= 2:
        return await store.purchase_by_reference(parts[1])
    if kind == "feedback" and parts[0]:
        return await store.purchase_by_reference(parts[0])
    if kind == "welcome" and parts[0]:
        ticket = await store.ticket_by_public_id(parts[0])
        return None if ticket is None else await store.get_purchase(ticket.purchase_id)
    if kind == "schedule" and parts[0].isdigit():
        for purchase in await store.purchases_for(row.wa_id, limit=50):
            if purchase.event_id == int(parts[0]):
                return purchase
    return None


async def conversation_slots(store: Any, row: OutboxRecord) -> dict[str, Any]:
    """Slot values for the conversation after ``row`` was said in it (may be empty)."""
    purchase = await _purchase_of(store, row)
    if purchase is None or purchase.wa_id != row.wa_id:
        return {}
    slots: dict[str, Any] = {"event": purchase.event_title}
    if row.idempotency_key.startswith("feedback:"):
        slots["feedback_event"] = str(purchase.event_id)
    return slots
