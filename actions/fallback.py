"""What the assistant says when it did not understand."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.base import LocalizedAction, menu_options
from bot.i18n import t
from bot.replies import buttons_message

FALLBACK_ACTION = "action_default_fallback"


def previous_bot_action(tracker: Tracker) -> str | None:
    """Name of the last action the bot ran before the latest user message."""
    seen_latest_user = False
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "user":
            if seen_latest_user:
                return None
            seen_latest_user = True
        elif seen_latest_user and kind == "action" and event.get("name") != "action_listen":
            return event.get("name")
    return None


class ActionDefaultFallback(LocalizedAction):
    """Overrides Rasa's ``action_default_fallback`` (NLU and core fallback).

    Says it did not understand and offers help or a person; after two misunderstandings
    in a row the person comes first. The turn is kept in the history (no
    ``UserUtteranceReverted``) so that the repetition can be seen.
    """

    def name(self) -> str:
        return FALLBACK_ACTION

    async def respond(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
        lang: str,
    ) -> list[EventType]:
        if previous_bot_action(tracker) == FALLBACK_ACTION:
            text = t(lang, "fallback.again")
            options = menu_options(lang, ("human_handoff", "help"), domain)
        else:
            text = t(lang, "fallback.text")
            options = menu_options(lang, ("help", "human_handoff"), domain)
        dispatcher.utter_message(**buttons_message(text, options))
        return []
