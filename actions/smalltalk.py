"""Small talk: greetings, goodbyes, thanks, yes/no and "what can you do"."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.base import (
    GREET_MENU,
    HELP_MENU,
    LocalizedAction,
    SimpleReplyAction,
    menu_options,
)
from actions.consent import consent_notice, forget_consent_question
from bot.i18n import t
from bot.replies import MAX_BUTTONS, Option, options_message


def is_first_contact(tracker: Tracker) -> bool:
    """True when the bot has never written to this user (in any session)."""
    return not any(event.get("event") == "bot" for event in tracker.events)


class ActionGreet(LocalizedAction):
    """Welcome with the assistant's name and up to 3 quick options."""

    def name(self) -> str:
        return "action_greet"

    async def respond(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
        lang: str,
    ) -> list[EventType]:
        key = "greet.welcome" if is_first_contact(tracker) else "greet.welcome_back"
        # consent (issue 3): no decision recorded yet -> welcome + Ley 1581 notice
        notice = await consent_notice(dispatcher, tracker, lang, t(lang, key))
        if notice is not None:
            return notice
        options = menu_options(lang, GREET_MENU, domain, limit=MAX_BUTTONS)
        utter_menu(dispatcher, lang, t(lang, key), options)
        return forget_consent_question(tracker)


class ActionHelp(LocalizedAction):
    """What the assistant can do: buttons for up to 3 options, a list beyond that."""

    def name(self) -> str:
        return "action_help"

    async def respond(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
        lang: str,
    ) -> list[EventType]:
        options = menu_options(lang, HELP_MENU, domain)
        utter_menu(dispatcher, lang, t(lang, "help.body"), options)
        return []


class ActionGoodbye(SimpleReplyAction):
    copy_key = "goodbye.text"

    def name(self) -> str:
        return "action_goodbye"


class ActionThank(SimpleReplyAction):
    copy_key = "thank.text"

    def name(self) -> str:
        return "action_thank"


class ActionAffirm(SimpleReplyAction):
    copy_key = "affirm.text"

    def name(self) -> str:
        return "action_affirm"


class ActionDeny(SimpleReplyAction):
    copy_key = "deny.text"

    def name(self) -> str:
        return "action_deny"


def utter_menu(
    dispatcher: CollectingDispatcher, lang: str, body: str, options: list[Option]
) -> None:
    """Buttons for up to 3 options, a list with the help menu's labels beyond that."""
    dispatcher.utter_message(
        **options_message(
            body,
            options,
            list_button=t(lang, "help.list_button"),
            section_title=t(lang, "help.section"),
        )
    )
