"""Buying tickets: the ``buy_ticket_form`` and what happens when it is complete.

Slots: ``event`` (title), ``ticket_type`` (name), ``quantity`` (1–10), ``buyer_name``,
``buyer_email``. Entities of the first message ("2 VIP para Medellín Fashion Night")
fill them before the form asks anything; each question is a list or buttons whose taps
send the entity back. Validation resolves names against the live Hi.Events catalog, so
a sold-out type or an unknown event is caught before anything is reserved.
"""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.base import LocalizedAction
from actions.events import CatalogAction, CatalogTurn, load_events, unavailable
from bot import services
from bot.errors import ProviderError
from bot.i18n import language_of, t
from bot.nlu_entities import normalize_email, normalize_quantity
from bot.replies import Option, buttons_message
from bot.ticketing import answers
from bot.ticketing.catalog import Event, find_event, find_ticket_type
from bot.ticketing.money import cop
from bot.ticketing.purchase import MAX_TICKETS, PurchaseFailed, PurchaseRequest, start_purchase

FORM_SLOTS = ("ticket_type", "quantity", "buyer_name", "buyer_email")
_NAME = re.compile(r"^[^\W\d_][^\W\d_'’.\- ]*(?:[ '’.\-]+[^\W\d_]+)+\.?$")


def _clean_name(value: str) -> str | None:
    """Two or more words of letters ("Ana María Gómez"), at most 80 characters."""
    name = " ".join(str(value).split()).strip(" .")
    if not 3 <= len(name) <= 80 or not _NAME.match(name) or len(name.split()) < 2:
        return None
    return " ".join(w[:1].upper() + w[1:] for w in name.split())


#: Words that make an answer a real "no" (the purchase is cancelled), whatever else is said.
_NEGATIONS = frozenset(
    "no nop nope nah cancelar cancela cancelo cancel olvidalo olvídalo dejalo déjalo "
    "mejor stop parar baja nunca never mind".split()
)


def name_despite_intent(tracker: Tracker) -> str | None:
    """A typed name the NLU read as something else ("Ana Gómez" as *deny*).

    Names are not training data of any intent, so DIET files them anywhere, and a
    name taken for *deny* would cancel the purchase. Only while the form asks for the
    name, only text that is a valid name and holds no negation.
    """
    if tracker.get_slot("requested_slot") != "buyer_name":
        return None
    latest = tracker.latest_message or {}
    if (latest.get("intent") or {}).get("name") != "deny":
        return None  # other intents reach the slot through its from_text mapping, or mean it
    text = str(latest.get("text") or "")
    if text.startswith("/") or len(text.split()) > 5:
        return None
    words = {w.strip(".,!¡¿?").casefold() for w in text.split()}
    if words & _NEGATIONS:
        return None
    return _clean_name(text)


def _quantity(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return int(value) if float(value).is_integer() else None
    return normalize_quantity(str(value))


class ValidateBuyTicketForm(FormValidationAction):
    def name(self) -> str:
        return "validate_buy_ticket_form"

    async def _events(self) -> list[Event]:
        try:
            return await load_events()
        except ProviderError:
            return []

    async def validate_event(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        lang = language_of(tracker)
        event = find_event(await self._events(), str(value)) if value else None
        if event is None:
            dispatcher.utter_message(text=t(lang, "tickets.ask.unknown_event", value=str(value)))
            return {"event": None}
        slots: dict[str, Any] = {"event": event.title}
        kind = tracker.get_slot("ticket_type")
        if kind:  # said in the same message, before the event was known: check it now
            ticket = find_ticket_type(event, str(kind))
            slots["ticket_type"] = ticket.name if ticket and ticket.available else None
        return slots

    async def validate_ticket_type(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        lang = language_of(tracker)
        event = find_event(await self._events(), str(tracker.get_slot("event") or ""))
        if event is None:
            return {"ticket_type": value}  # checked again once the event is chosen
        ticket = find_ticket_type(event, str(value))
        if ticket is None:
            dispatcher.utter_message(text=t(lang, "tickets.ask.unknown_type", value=str(value)))
            return {"ticket_type": None}
        if not ticket.available:
            dispatcher.utter_message(text=t(lang, "tickets.ask.sold_out_type", kind=ticket.name))
            return {"ticket_type": None}
        return {"ticket_type": ticket.name}

    def validate_quantity(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        lang = language_of(tracker)
        quantity = _quantity(value)
        if quantity is None or quantity < 1:
            dispatcher.utter_message(text=t(lang, "tickets.ask.bad_quantity", max=MAX_TICKETS))
            return {"quantity": None}
        if quantity > MAX_TICKETS:
            dispatcher.utter_message(text=t(lang, "tickets.ask.too_many", max=MAX_TICKETS))
            return {"quantity": None}
        return {"quantity": quantity}

    async def extract_buyer_name(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """The name, also when the NLU took it for another intent (see the helper)."""
        if tracker.get_slot("buyer_name"):
            return {}
        name = name_despite_intent(tracker)
        return {"buyer_name": name} if name else {}

    def validate_buyer_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        name = _clean_name(str(value or ""))
        if name is None:
            dispatcher.utter_message(text=t(language_of(tracker), "tickets.ask.bad_name"))
        return {"buyer_name": name}

    def validate_buyer_email(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        email, ok = normalize_email(str(value or ""))
        if not ok:
            dispatcher.utter_message(text=t(language_of(tracker), "tickets.ask.bad_email"))
            return {"buyer_email": None}
        return {"buyer_email": email}


class ActionAskEvent(CatalogAction):
    def name(self) -> str:
        return "action_ask_event"

    async def with_events(self, turn: CatalogTurn) -> list[EventType]:
        dispatcher, _tracker, lang, events, now = turn
        dispatcher.utter_message(
            **answers.event_list(
                lang, events, now, intent="buy_ticket", text_key="tickets.ask.event"
            )
        )
        return []


class ActionAskTicketType(LocalizedAction):
    def name(self) -> str:
        return "action_ask_ticket_type"

    async def respond(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict, lang: str
    ) -> list[EventType]:
        try:
            event = find_event(await load_events(), str(tracker.get_slot("event") or ""))
        except ProviderError:
            return unavailable(dispatcher, lang)
        if event is None or not any(tt.available for tt in event.ticket_types):
            dispatcher.utter_message(text=t(lang, "tickets.sold_out_event"))
            return []
        dispatcher.utter_message(**answers.ticket_type_question(lang, event))
        return []


class ActionAskQuantity(LocalizedAction):
    def name(self) -> str:
        return "action_ask_quantity"

    async def respond(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict, lang: str
    ) -> list[EventType]:
        options = [Option(answers.payload("buy_ticket", quantity=n), str(n)) for n in (1, 2, 4)]
        kind = tracker.get_slot("ticket_type") or ""
        dispatcher.utter_message(
            **buttons_message(t(lang, "tickets.ask.quantity", kind=kind, max=MAX_TICKETS), options)
        )
        return []


class ActionBuyTicket(LocalizedAction):
    """The form is complete: reserve in Hi.Events and send the payment link."""

    def name(self) -> str:
        return "action_buy_ticket"

    async def respond(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict, lang: str
    ) -> list[EventType]:
        reset = [SlotSet(slot, None) for slot in FORM_SLOTS]
        ctx = await services.get_ticketing()
        try:
            events = await load_events()
        except ProviderError:
            return unavailable(dispatcher, lang) + reset
        event = find_event(events, str(tracker.get_slot("event") or ""))
        ticket = find_ticket_type(event, str(tracker.get_slot("ticket_type"))) if event else None
        quantity = _quantity(tracker.get_slot("quantity"))
        if event is None or ticket is None or quantity is None:
            dispatcher.utter_message(text=t(lang, "tickets.buy.incomplete"))
            return reset
        request = PurchaseRequest(
            wa_id=tracker.sender_id,
            language=lang,
            event=event,
            ticket=ticket,
            quantity=quantity,
            buyer_name=str(tracker.get_slot("buyer_name")),
            buyer_email=str(tracker.get_slot("buyer_email")),
        )
        try:
            purchase = await start_purchase(ctx, request)
        except PurchaseFailed as exc:
            dispatcher.utter_message(
                **buttons_message(
                    t(lang, f"tickets.buy.failed_{exc.reason}", kind=ticket.name),
                    [Option("/human_handoff", t(lang, "menu.human_handoff.title"))],
                )
            )
            return reset
        dispatcher.utter_message(**link_message(lang, purchase, ctx.settings.payment_link_ttl_min))
        return reset


def link_message(lang: str, purchase: Any, ttl_min: int) -> dict[str, Any]:
    """The order summary with the payment link as a ``cta_url`` button."""
    text = t(
        lang,
        "tickets.buy.link",
        quantity=purchase.quantity,
        kind=purchase.ticket_type,
        event=purchase.event_title,
        name=purchase.buyer_name,
        total=cop(purchase.total_cop),
        minutes=ttl_min,
    )
    label = t(lang, "tickets.pay_button")
    return {
        "text": f"{text}\n{purchase.link_url}",
        "json_message": {
            "type": "cta_url",
            "text": text,
            "display_text": label,
            "url": purchase.link_url,
        },
    }


class ActionCancelPurchase(LocalizedAction):
    def name(self) -> str:
        return "action_cancel_purchase"

    async def respond(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict, lang: str
    ) -> list[EventType]:
        dispatcher.utter_message(text=t(lang, "tickets.buy.cancelled"))
        return [SlotSet(slot, None) for slot in FORM_SLOTS] + [SlotSet("requested_slot", None)]


class ActionAskBuyerName(LocalizedAction):
    def name(self) -> str:
        return "action_ask_buyer_name"

    async def respond(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict, lang: str
    ) -> list[EventType]:
        dispatcher.utter_message(text=t(lang, "tickets.ask.buyer_name"))
        return []


class ActionAskBuyerEmail(LocalizedAction):
    def name(self) -> str:
        return "action_ask_buyer_email"

    async def respond(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict, lang: str
    ) -> list[EventType]:
        dispatcher.utter_message(text=t(lang, "tickets.ask.buyer_email"))
        return []
