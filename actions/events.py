"""Event questions: list, details, directions, dress code, prices, programme, entry.

Thin: the catalog comes from Hi.Events (``bot.ticketing.catalog``), the answers from
``bot.ticketing.answers``. When the person did not say which event, the action shows
the list and a tap asks the same question about the chosen one.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime
from typing import Any, NamedTuple

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.base import LocalizedAction
from bot import services
from bot.errors import ProviderError
from bot.i18n import t
from bot.replies import Option, buttons_message
from bot.ticketing import answers
from bot.ticketing.catalog import Event, find_event, upcoming_events

EVENT_SLOT = "event"


async def load_events() -> list[Event]:
    ctx = await services.get_ticketing()
    return await upcoming_events(ctx.hi_events, ctx.settings.hi_events_organizer_id)


def latest_entity(tracker: Tracker, name: str) -> Any:
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") == name:
            return entity.get("value")
    return None


def chosen_event(tracker: Tracker, events: list[Event]) -> Event | None:
    """The event named in this message, else the one the conversation is about."""
    for value in (latest_entity(tracker, "event"), tracker.get_slot(EVENT_SLOT)):
        if value:
            found = find_event(events, str(value))
            if found:
                return found
    return None


def unavailable(dispatcher: CollectingDispatcher, lang: str) -> list[EventType]:
    """Hi.Events cannot be reached: say so and offer a person (never invent events)."""
    dispatcher.utter_message(
        **buttons_message(
            t(lang, "tickets.unavailable"),
            [Option("/human_handoff", t(lang, "menu.human_handoff.title"))],
        )
    )
    return []


class CatalogTurn(NamedTuple):
    """What a catalog answer works with (unpack it: ``dispatcher, tracker, … = turn``)."""

    dispatcher: CollectingDispatcher
    tracker: Tracker
    lang: str
    events: list[Event]
    now: datetime


class CatalogAction(LocalizedAction, ABC):
    """An answer about the coming events: loads them, or says why it cannot.

    Hi.Events unreachable → an honest "try later" with a person; no events → "nothing
    announced". Abstract, so rasa-sdk registers only the concrete subclasses.
    """

    async def respond(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict, lang: str
    ) -> list[EventType]:
        ctx = await services.get_ticketing()
        try:
            events = await load_events()
        except ProviderError:
            return unavailable(dispatcher, lang)
        if not events:
            dispatcher.utter_message(text=t(lang, "tickets.no_events"))
            return []
        return await self.with_events(CatalogTurn(dispatcher, tracker, lang, events, ctx.now()))

    @abstractmethod
    async def with_events(self, turn: CatalogTurn) -> list[EventType]:
        """Answer, knowing the (non-empty) list of coming events."""


class EventAction(CatalogAction, ABC):
    """Resolve the event (or list them), then :meth:`answer` about it."""

    #: Asked again about the event the person taps when the event was not named.
    intent = "event_info"

    async def with_events(self, turn: CatalogTurn) -> list[EventType]:
        dispatcher, tracker, lang, events, now = turn
        event = chosen_event(tracker, events)
        if event is None:
            if len(events) == 1:
                event = events[0]
            else:
                dispatcher.utter_message(
                    **answers.event_list(
                        lang, events, now, intent=self.intent, text_key="tickets.which_event"
                    )
                )
                return []
        for message in self.answer(lang, event, now):
            dispatcher.utter_message(**message)
        return [SlotSet(EVENT_SLOT, event.title)]

    @abstractmethod
    def answer(self, lang: str, event: Event, now: Any) -> list[dict[str, Any]]:
        """The messages about ``event``."""


class ActionEventInfo(EventAction):
    intent = "event_info"

    def name(self) -> str:
        return "action_event_info"

    def answer(self, lang: str, event: Event, now: Any) -> list[dict[str, Any]]:
        return [answers.event_details(lang, event, now)]


class ActionAskDirections(EventAction):
    intent = "ask_directions"

    def name(self) -> str:
        return "action_ask_directions"

    def answer(self, lang: str, event: Event, now: Any) -> list[dict[str, Any]]:
        return answers.directions(lang, event)


class ActionAskDressCode(EventAction):
    intent = "ask_dress_code"

    def name(self) -> str:
        return "action_ask_dress_code"

    def answer(self, lang: str, event: Event, now: Any) -> list[dict[str, Any]]:
        return [answers.dress_code(lang, event)]


class ActionCheckSchedule(EventAction):
    intent = "check_schedule"

    def name(self) -> str:
        return "action_check_schedule"

    def answer(self, lang: str, event: Event, now: Any) -> list[dict[str, Any]]:
        return [answers.programme(lang, event, now)]


class ActionListEvents(CatalogAction):
    def name(self) -> str:
        return "action_list_events"

    async def with_events(self, turn: CatalogTurn) -> list[EventType]:
        dispatcher, tracker, lang, events, now = turn
        chosen = answers.filter_by_period(events, latest_entity(tracker, "date"))
        if not chosen:  # nothing in the period asked for: say so, then show what there is
            dispatcher.utter_message(text=t(lang, "tickets.none_in_period"))
            chosen = events
        dispatcher.utter_message(**answers.event_list(lang, chosen, now))
        return []


class ActionAskPrice(CatalogAction):
    def name(self) -> str:
        return "action_ask_price"

    async def with_events(self, turn: CatalogTurn) -> list[EventType]:
        dispatcher, tracker, lang, events, now = turn
        event = chosen_event(tracker, events)
        dispatcher.utter_message(**answers.prices(lang, [event] if event else events, now))
        return [SlotSet(EVENT_SLOT, event.title)] if event else []


class ActionPaymentMethods(LocalizedAction):
    def name(self) -> str:
        return "action_payment_methods"

    async def respond(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict, lang: str
    ) -> list[EventType]:
        ctx = await services.get_ticketing()
        key = f"tickets.payment_methods.{ctx.settings.payment_provider}"
        dispatcher.utter_message(
            **buttons_message(t(lang, key), [Option("/buy_ticket", t(lang, "tickets.buttons.buy"))])
        )
        return []


class ActionCheckInHelp(LocalizedAction):
    def name(self) -> str:
        return "action_check_in_help"

    async def respond(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict, lang: str
    ) -> list[EventType]:
        dispatcher.utter_message(
            **buttons_message(
                t(lang, "tickets.check_in_help"),
                [Option("/resend_ticket", t(lang, "tickets.buttons.resend"))],
            )
        )
        return []
