"""Change the reply language on request ("hablame en inglés", "Spanish please").

Two different things share the word *language* (keep them apart):

* the ``language`` **entity** of ``change_language`` is what the person asks for
  (es, en, pt, fr...), read by :func:`bot.language_choice.requested_language`;
* the ``language`` **slot** is the reply language (es or en) the actions answer in.

An explicit choice is stored on the contact with source ``explicit``: from then on the
WhatsApp channel stops detecting the language per message (``connectors/wappbiz.py``)
and passes the chosen one, so "ok" or a Spanish word in an English chat does not
switch it back. Without an entity the person picks with two buttons.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.base import LANGUAGE_SLOT, LocalizedAction
from bot import services
from bot.i18n import t
from bot.language_choice import SUPPORTED, requested_language
from bot.logging import event, mask_phone
from bot.replies import Option, buttons_message

log = logging.getLogger(__name__)


def choice_payload(lang: str) -> str:
    """A button payload that asks for ``lang`` (Rasa's ``/intent{entities}`` shortcut)."""
    return "/change_language" + json.dumps({"language": lang}, separators=(",", ":"))


def language_buttons() -> list[Option]:
    """One button per supported language, each written in its own language."""
    return [
        Option(payload=choice_payload(lang), title=t(lang, f"language_change.button_{lang}"))
        for lang in SUPPORTED
    ]


class ActionChangeLanguage(LocalizedAction):
    """Switch to the requested language, refuse unsupported ones politely, or ask."""

    def name(self) -> str:
        return "action_change_language"

    async def respond(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
        lang: str,
    ) -> list[EventType]:
        wanted = requested_language(tracker.get_latest_entity_values("language"))
        if wanted is None:
            dispatcher.utter_message(
                **buttons_message(t(lang, "language_change.ask"), language_buttons())
            )
            return []
        if wanted not in SUPPORTED:
            dispatcher.utter_message(
                **buttons_message(t(lang, "language_change.unsupported"), language_buttons())
            )
            event(log, "language.unsupported", wanted=wanted[:8])
            return []
        wa_id = tracker.sender_id
        try:
            store = await services.get_store()
            await store.set_language(wa_id, wanted, "explicit")
        except Exception as exc:  # still switch this conversation; log the miss
            event(
                log,
                "language.not_saved",
                logging.WARNING,
                wa_id=mask_phone(wa_id),
                error=type(exc).__name__,
            )
        else:
            event(log, "language.chosen", wa_id=mask_phone(wa_id), language=wanted)
        dispatcher.utter_message(text=t(wanted, "language_change.done"))
        return [SlotSet(LANGUAGE_SLOT, wanted)]
