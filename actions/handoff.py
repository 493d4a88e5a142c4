"""Bot or person: honest answer to "are you a bot?" and the hand-off to the team."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.base import LocalizedAction, menu_options
from bot.i18n import t
from bot.replies import buttons_message


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
        options = menu_options(lang, ("human_handoff",), domain)
        dispatcher.utter_message(**buttons_message(t(lang, "bot_challenge.text"), options))
        return []


class ActionHumanHandoff(LocalizedAction):
    """Tell the user that a person from the team answers in this chat in office hours."""

    def name(self) -> str:
        return "action_human_handoff"

    async def respond(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
        lang: str,
    ) -> list[EventType]:
        dispatcher.utter_message(text=t(lang, "handoff.text", hours=t(lang, "handoff.hours")))
        return []
