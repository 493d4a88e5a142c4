"""action_proactive_message: a proactive outbox row said inside the conversation.

Triggered only by the outbox worker (``EXTERNAL_proactive`` through Rasa's
``trigger_intent``, ``bot/proactive/relay.py``). It answers with the row's WhatsApp
body as a custom message carrying the row's key, which the worker sends itself (rate
limit, idempotency key and retries stay the outbox's), and sets the slots the next
answer needs (``bot/proactive/context.py``). An unknown key answers nothing, and the
worker then sends the row directly.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot import services
from bot.logging import event, mask_phone
from bot.outbox.worker import request_body
from bot.proactive.context import conversation_slots
from bot.proactive.relay import REF_ENTITY

log = logging.getLogger(__name__)


def _ref(tracker: Tracker) -> str | None:
    for entity in (tracker.latest_message or {}).get("entities") or []:
        if entity.get("entity") == REF_ENTITY and entity.get("value"):
            return str(entity["value"])
    return None


class ActionProactiveMessage(Action):
    def name(self) -> str:
        return "action_proactive_message"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[EventType]:
        ref = _ref(tracker)
        if ref is None:
            return []
        try:
            store = await services.get_store()
            row = await store.outbox_by_key(ref)
            if row is None or row.wa_id != tracker.sender_id:
                event(log, "proactive.unknown_ref", wa_id=mask_phone(tracker.sender_id))
                return []
            slots = await conversation_slots(store, row)
        except Exception as exc:  # the database: the worker sends the row directly
            event(log, "proactive.lookup_failed", logging.ERROR, error=type(exc).__name__)
            return []
        body = request_body(row)
        body.pop("to", None)
        dispatcher.utter_message(json_message={"outbox": {"key": ref, "whatsapp": body}})
        return [SlotSet(name, value) for name, value in slots.items()]
