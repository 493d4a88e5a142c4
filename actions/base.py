"""Shared plumbing for the actions: language handling and menus."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.i18n import language_of, t
from bot.journeys import is_built
from bot.replies import Option, buttons_message

LANGUAGE_SLOT = "language"

#: Intents a menu may always offer, even when the domain was not sent to the action server.
ALWAYS_AVAILABLE = frozenset({"help", "human_handoff"})

# Menus are wish lists in order of preference: an entry is shown only once its journey
# is built (bot/journeys.py:BUILT) and its intent is in the domain, so a menu never
# offers a journey that does not exist yet and grows as issues 4 and 5 land.

#: Options of the welcome message, in order of preference (the first 3 available are shown).
GREET_MENU = ("list_events", "buy_ticket", "help", "human_handoff")
#: Options of the help menu, in order (buttons up to 3, a list beyond that).
HELP_MENU = (
    "list_events",
    "buy_ticket",
    "ask_price",
    "check_schedule",
    "payment_status",
    "resend_ticket",
    "casting_apply",
    "human_handoff",
)


def domain_intents(domain: Mapping[str, Any] | None) -> frozenset[str]:
    """Names of the intents in the domain dict that Rasa sends with each action call."""
    names = set(ALWAYS_AVAILABLE)
    for entry in (domain or {}).get("intents", []) or []:
        if isinstance(entry, str):
            names.add(entry)
        elif isinstance(entry, Mapping):
            names.update(str(name) for name in entry)
    return frozenset(names)


def menu_options(
    lang: str,
    wanted: Iterable[str],
    domain: Mapping[str, Any] | None,
    *,
    limit: int | None = None,
) -> list[Option]:
    """Menu entries for the ``wanted`` intents whose journey is built, as ``/intent`` payloads.

    An intent is offered when its journey is in :data:`bot.journeys.BUILT` and the
    intent is in the domain: every catalog intent is in the domain since issue 3, so
    the domain alone would promise journeys that only answer "not yet".
    """
    known = domain_intents(domain)
    options = [
        Option(
            payload=f"/{intent}",
            title=t(lang, f"menu.{intent}.title"),
            description=t(lang, f"menu.{intent}.description"),
        )
        for intent in wanted
        if intent in known and is_built(intent)
    ]
    return options[:limit] if limit is not None else options


def utter_with_options(
    dispatcher: CollectingDispatcher,
    lang: str,
    text: str,
    wanted: Iterable[str],
    domain: Mapping[str, Any] | None,
) -> None:
    """Send ``text`` with reply buttons for the ``wanted`` intents the model knows."""
    dispatcher.utter_message(**buttons_message(text, menu_options(lang, wanted, domain)))


class LocalizedAction(Action, ABC):
    """An action that answers in the user's language and remembers it in a slot.

    Subclasses implement :meth:`name` and :meth:`respond`; ``run`` adds
    ``SlotSet("language", …)`` whenever the language differs from the slot's value.
    Abstract classes are skipped by the action server's registry.
    """

    @abstractmethod
    def name(self) -> str:
        """The action's name, as listed in ``domain.yml``."""

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[EventType]:
        lang = language_of(tracker)
        events = list(await self.respond(dispatcher, tracker, domain, lang) or [])
        if tracker.get_slot(LANGUAGE_SLOT) != lang:
            events.insert(0, SlotSet(LANGUAGE_SLOT, lang))
        return events

    @abstractmethod
    async def respond(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
        lang: str,
    ) -> list[EventType]:
        """Send the replies in ``lang`` and return extra events."""


class SimpleReplyAction(LocalizedAction, ABC):
    """An action that sends one text from the copy."""

    copy_key: str

    async def respond(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
        lang: str,
    ) -> list[EventType]:
        dispatcher.utter_message(text=t(lang, self.copy_key))
        return []
