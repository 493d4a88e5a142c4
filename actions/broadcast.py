"""schedule_broadcast (issue 5): an organizer plans a broadcast from the chat.

Thin: the choices, the variables and the time parsing are ``bot/broadcasts/chat.py``;
audience, consent, Ley 2300 and sending are ``bot/broadcasts/service.py`` (the same
code as the admin API and the CLI). Rules in ``data/rules/broadcasts.yml``.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.base import LocalizedAction, utter_with_options
from actions.events import load_events
from actions.organizer import contact_role
from bot import services
from bot.broadcasts import chat, service
from bot.datefmt import format_moment
from bot.errors import ProviderError
from bot.i18n import language_of, t
from bot.logging import event, mask_phone
from bot.replies import Option, buttons_message, list_as_text, list_message
from bot.storage.types import utcnow

log = logging.getLogger(__name__)

#: Who may broadcast from the chat: organizers (staff report incidents, they do not
#: advertise). The admin API has its own roles (ADMIN_TOKENS).
BROADCAST_ROLES = frozenset({"organizer"})
SLOTS = ("broadcast_template", "broadcast_audience", "broadcast_when", "broadcast_confirmed")
_TITLES = {
    "es": {
        "event_announcement": "Anuncio de evento",
        "promotion": "Preventa / promoción",
        "feedback_survey": "Encuesta post-evento",
    },
    "en": {
        "event_announcement": "Event announcement",
        "promotion": "Presale / promotion",
        "feedback_survey": "Post-event survey",
    },
}


def _by(tracker: Tracker) -> str:
    """``created_by`` of a chat broadcast: the organizer's number, masked (logs show it)."""
    return f"chat:{tracker.sender_id}"[:64]


async def _event(tracker: Tracker) -> Any:
    audience = chat.parse_audience(tracker.get_slot("broadcast_audience"))
    if audience is None:
        return None, None
    for item in await load_events():
        if item.id == audience.event_id:
            return audience, item
    return audience, None


def _offer(dispatcher: CollectingDispatcher, lang: str, step: str, options: list[Option]) -> None:
    """One question of the form with its choices, always a list: row titles have room
    for an event's name (24 characters) where a button has 20."""
    payload = list_message(
        t(lang, f"broadcast.ask_{step}"),
        t(lang, f"broadcast.{step}_button"),
        [(t(lang, f"broadcast.{step}_section"), options)],
    )
    dispatcher.utter_message(text=list_as_text(payload), json_message=payload)


class ActionScheduleBroadcast(LocalizedAction):
    """The gate: organizers go on to the form, anyone else is refused politely."""

    def name(self) -> str:
        return "action_schedule_broadcast"

    async def respond(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
        lang: str,
    ) -> list[EventType]:
        reset = [SlotSet(name, None) for name in SLOTS]
        if await contact_role(tracker) not in BROADCAST_ROLES:
            event(log, "broadcast.chat_refused", wa_id=mask_phone(tracker.sender_id))
            utter_with_options(
                dispatcher, lang, t(lang, "organizer.refused"), ("help", "human_handoff"), domain
            )
            return [*reset, SlotSet("broadcast_allowed", False)]
        return [*reset, SlotSet("broadcast_allowed", True)]


class ActionAskBroadcastTemplate(LocalizedAction):
    def name(self) -> str:
        return "action_ask_broadcast_template"

    async def respond(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
        lang: str,
    ) -> list[EventType]:
        names = await chat.sendable_templates(await services.get_store())
        if not names:
            dispatcher.utter_message(text=t(lang, "broadcast.no_templates"))
            return []
        options = [
            Option(
                payload=f'/schedule_broadcast{{"broadcast_template": "{name}"}}',
                title=_TITLES[lang][name],
                description=name,
            )
            for name in names
        ]
        _offer(dispatcher, lang, "template", options)
        return []


class ActionAskBroadcastAudience(LocalizedAction):
    def name(self) -> str:
        return "action_ask_broadcast_audience"

    async def respond(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
        lang: str,
    ) -> list[EventType]:
        try:
            events = (await load_events())[:5]
        except ProviderError:
            events = []
        options: list[Option] = []
        for item in events:
            short = item.title[:24]
            for kind, key in (("holders", "audience_event"), ("optin", "audience_optin")):
                audience = chat.Audience(kind, item.id)
                title = t(lang, f"broadcast.{key}", event=short)
                options.append(
                    Option(
                        payload=f'/schedule_broadcast{{"broadcast_audience": "{audience.value}"}}',
                        title=title[:24],
                        description=(
                            t(lang, "broadcast.audience_event_description", event=item.title)
                            if kind == "holders"
                            else t(lang, "broadcast.audience_optin_description", event=item.title)
                        )[:72],
                    )
                )
        if not options:
            dispatcher.utter_message(text=t(lang, "tickets.unavailable"))
            return []
        _offer(dispatcher, lang, "audience", options[:10])
        return []


class ActionAskBroadcastWhen(LocalizedAction):
    def name(self) -> str:
        return "action_ask_broadcast_when"

    async def respond(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
        lang: str,
    ) -> list[EventType]:
        options = [
            Option(
                payload=f'/schedule_broadcast{{"broadcast_when": "{value}"}}',
                title=t(lang, f"broadcast.{key}"),
            )
            for key, value in chat.when_options(utcnow())
        ]
        dispatcher.utter_message(**buttons_message(t(lang, "broadcast.ask_when"), options))
        return []


class ValidateBroadcastForm(FormValidationAction):
    def name(self) -> str:
        return "validate_broadcast_form"

    async def validate_broadcast_template(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        if slot_value in await chat.sendable_templates(await services.get_store()):
            return {"broadcast_template": slot_value}
        return {"broadcast_template": None}

    async def validate_broadcast_audience(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        audience = chat.parse_audience(slot_value)
        return {"broadcast_audience": None if audience is None else audience.value}

    async def validate_broadcast_when(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        lang = language_of(tracker)
        now = utcnow()
        moment = chat.parse_when(slot_value, now, lang)
        if moment is None:
            dispatcher.utter_message(text=t(lang, "broadcast.bad_when"))
            return {"broadcast_when": None}
        if (now - moment).total_seconds() > 60:
            dispatcher.utter_message(text=t(lang, "broadcast.past_when"))
            return {"broadcast_when": None}
        return {"broadcast_when": moment.isoformat()}


class ActionAskBroadcastConfirmed(LocalizedAction):
    """Creates the draft, counts the audience and shows the message before confirming."""

    def name(self) -> str:
        return "action_ask_broadcast_confirmed"

    async def respond(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
        lang: str,
    ) -> list[EventType]:
        now = utcnow()
        store = await services.get_store()
        audience, item = await _event(tracker)
        when = chat.parse_when(tracker.get_slot("broadcast_when"), now, lang)
        if audience is None or item is None or when is None:
            dispatcher.utter_message(text=t(lang, "broadcast.failed", error="?"))
            return [SlotSet("broadcast_confirmed", False)]
        for stale in await chat.drafts_by(store, _by(tracker)):
            await service.cancel(store, stale.id, now=now)
        try:
            record, counted, shown = await chat.create_and_count(
                store,
                template=tracker.get_slot("broadcast_template"),
                audience=audience,
                event=item,
                when=when,
                by=_by(tracker),
                now=now,
            )
        except service.BroadcastError as exc:
            dispatcher.utter_message(text=t(lang, "broadcast.failed", error=str(exc)[:300]))
            return [SlotSet("broadcast_confirmed", False)]
        if not counted["recipients"]:
            await service.cancel(store, record.id, now=now)
            dispatcher.utter_message(text=t(lang, "broadcast.nobody"))
            return [SlotSet("broadcast_confirmed", False)]
        text = (shown["languages"].get(lang) or next(iter(shown["languages"].values()))).get(
            "text", ""
        )
        first = counted["first_slot"]
        start = datetime.fromisoformat(first) if first else when
        moved = (start - when).total_seconds() > 60
        message = t(
            lang,
            "broadcast.preview",
            text=text[:600],
            count=counted["recipients"],
            excluded=counted["excluded_total"],
            when=format_moment(lang, start, now),
            moved=t(lang, "broadcast.moved") if moved else "",
        )
        options = [
            Option(payload="/affirm", title=t(lang, "broadcast.confirm")),
            Option(payload="/deny", title=t(lang, "broadcast.cancel")),
        ]
        dispatcher.utter_message(**buttons_message(message[:1024], options))
        return []


class ActionSubmitBroadcast(LocalizedAction):
    """Sends the confirmed draft into the outbox, or drops it."""

    def name(self) -> str:
        return "action_submit_broadcast"

    async def respond(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
        lang: str,
    ) -> list[EventType]:
        now = utcnow()
        store = await services.get_store()
        drafts = await chat.drafts_by(store, _by(tracker))
        draft = drafts[0] if drafts else None
        reset = [SlotSet(name, None) for name in SLOTS]
        if tracker.get_slot("broadcast_confirmed") is not True or draft is None:
            for stale in drafts:
                await service.cancel(store, stale.id, now=now)
            if tracker.get_slot("broadcast_confirmed") is not False or draft is not None:
                dispatcher.utter_message(text=t(lang, "broadcast.cancelled"))
            return reset
        try:
            sent = await service.send(store, draft.id, now=now)
        except service.BroadcastError as exc:
            dispatcher.utter_message(text=t(lang, "broadcast.failed", error=str(exc)[:300]))
            return reset
        first = sent.get("first_slot")
        start = datetime.fromisoformat(first) if first else now
        event(
            log,
            "broadcast.chat_scheduled",
            id=draft.id,
            by=mask_phone(tracker.sender_id),
            queued=sent["queued"],
        )
        dispatcher.utter_message(
            text=t(
                lang,
                "broadcast.scheduled",
                id=draft.id,
                when=format_moment(lang, start, now),
                count=sent["queued"],
            )
        )
        return reset
