"""Honest answer for requests whose journeys are not built yet.

# TEMPORARY — ISSUES 4 AND 5 REPLACE THIS ACTION, intent by intent.
# Events, tickets and payments (issue 4) and castings, portfolio and payouts (issue 5)
# get their own actions; each such issue moves its intents from
# ``bot.journeys.PENDING`` to ``bot.journeys.BUILT`` and replaces the matching rule in
# ``data/rules/journeys.yml``.

Until then the assistant says, in the user's language, what it understood (a human
name of the request plus what it extracted, e.g. "2 boletas VIP para Medellín Fashion
Night") and that a person of the team can help with it, with a button to the hand-off.
It never pretends to sell, look up or confirm anything.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.base import LocalizedAction, utter_with_options
from bot.i18n import catalog, t

#: Entity values longer than this are cut: they are quoted back, not trusted.
ENTITY_VALUE_MAX = 60
#: Quantities read as "one" (singular "boleta"/"ticket").
ONE = frozenset({"1", "un", "una", "uno", "one", "a", "an", "single"})


def entity_values(entities: Iterable[Mapping[str, Any]] | None) -> dict[str, str]:
    """First value of each entity, as short clean text."""
    values: dict[str, str] = {}
    for entity in entities or []:
        name, value = entity.get("entity"), entity.get("value")
        if not name or value is None or name in values:
            continue
        if name == "date" and entity.get("text"):
            value = entity["text"]  # "el sábado", as written, not the resolved ISO value
        text = " ".join(str(value).split())
        if text:
            values[str(name)] = text[:ENTITY_VALUE_MAX]
    return values


def describe(lang: str, values: Mapping[str, str]) -> str:
    """What was extracted, as a phrase: "2 boletas VIP para Medellín Fashion Night, el sábado"."""
    quantity, kind, event = values.get("quantity"), values.get("ticket_type"), values.get("event")
    parts: list[str] = []
    tickets = None
    if quantity:
        one = "_one" if quantity.lower() in ONE else ""
        if kind:
            tickets = t(lang, f"journey.detail.tickets_typed{one}", quantity=quantity, kind=kind)
        else:
            tickets = t(lang, f"journey.detail.tickets{one}", quantity=quantity)
    elif kind:
        tickets = t(lang, "journey.detail.ticket_type", kind=kind)
    if tickets and event:
        parts.append(t(lang, "journey.detail.tickets_for_event", tickets=tickets, event=event))
    elif tickets or event:
        parts.append(tickets or event or "")
    for name in ("date", "person_name", "email"):
        if values.get(name):
            parts.append(values[name])
    return ", ".join(parts)


def understood(lang: str, intent: str | None) -> str:
    """The human name of the request ("comprar boletas"), or a neutral one."""
    key = f"journey.intent.{intent}"
    return t(lang, key) if key in catalog(lang) else t(lang, "journey.intent_unknown")


class ActionJourneyPending(LocalizedAction):
    """TEMPORARY (issues 4/5 replace it): say what was understood and offer a person."""

    def name(self) -> str:
        return "action_journey_pending"

    async def respond(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
        lang: str,
    ) -> list[EventType]:
        latest = tracker.latest_message or {}
        intent = (latest.get("intent") or {}).get("name")
        details = describe(lang, entity_values(latest.get("entities")))
        text = t(
            lang,
            "journey.pending",
            what=understood(lang, intent),
            details=f" ({details})" if details else "",
        )
        utter_with_options(dispatcher, lang, text, ("human_handoff", "help"), domain)
        return []
