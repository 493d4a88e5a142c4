"""Bot or person: honest answer to "are you a bot?" and the hand-off to the team.

The hand-off records the request (``handoffs`` table: the team's queue, released with
``POST /admin/handoffs/<wa_id>/release`` or ``python -m bot handoffs release``), tells
the user when a person will answer (office hours in Bogotá, :mod:`bot.handoff`) and
pauses the conversation; the WhatsApp channel keeps it quiet until the release
(``connectors/handoff_gate.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecuted, ConversationPaused, EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.base import LocalizedAction, utter_with_options
from actions.fallback import FALLBACK_ACTION, previous_bot_action
from bot import services
from bot.handoff import handoff_text, last_typed_text
from bot.i18n import t
from bot.logging import event, mask_phone

log = logging.getLogger(__name__)

#: The bot's action just before the request → why the conversation was handed off.
REASON_AFTER: dict[str, str] = {
    FALLBACK_ACTION: "fallback",
    "action_bot_challenge": "bot_challenge",
    "action_journey_pending": "journey_pending",
    "action_sales_report": "staff_request",
    "action_attendance_report": "staff_request",
    "action_report_issue": "staff_request",
}


def handoff_reason(tracker: Tracker) -> str:
    """``user_request`` unless the request answers an offer of a person by the bot."""
    return REASON_AFTER.get(previous_bot_action(tracker) or "", "user_request")


class ActionBotChallenge(LocalizedAction):
    """Say plainly that this is an automated assistant and offer a person."""

    def name(self) -> str:
        return "action_bot_challenge"

    async def respond(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
        lang: str,
    ) -> list[EventType]:
        utter_with_options(
            dispatcher, lang, t(lang, "bot_challenge.text"), ("human_handoff",), domain
        )
        return []


class ActionHumanHandoff(LocalizedAction):
    """Flag the conversation for a person, say when they will answer, and go quiet.

    If the request cannot be recorded, the bot does not pause: a quiet bot with nobody
    coming would be the worst outcome, so the user is told to try again instead.
    """

    #: The current time; tests pin it.
    clock: Callable[[], datetime] = staticmethod(lambda: datetime.now(timezone.utc))

    def name(self) -> str:
        return "action_human_handoff"

    async def respond(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
        lang: str,
    ) -> list[EventType]:
        wa_id = tracker.sender_id
        reason = handoff_reason(tracker)
        try:
            store = await services.get_store()
            _, created = await store.open_handoff(
                wa_id, reason=reason, last_user_text=last_typed_text(tracker.events)
            )
        except Exception as exc:  # the database, or a sender id that is not a phone
            event(
                log,
                "handoff.not_recorded",
                logging.ERROR,
                wa_id=mask_phone(wa_id),
                error=type(exc).__name__,
            )
            dispatcher.utter_message(text=t(lang, "handoff.failed"))
            return []
        event(log, "handoff.opened", wa_id=mask_phone(wa_id), reason=reason, new=created)
        dispatcher.utter_message(text=handoff_text(lang, self.clock()))
        # Paused, and listening: when the conversation is resumed, the next message is
        # predicted after an action_listen like any other turn (rules expect one).
        return [ConversationPaused(), ActionExecuted("action_listen")]
