"""What the assistant says when it did not understand: a two-stage fallback.

1. First miss: "¿Quisiste decir…?" with the two most likely intents of the NLU ranking
   as buttons (their ``/intent`` payload is processed like a typed request) plus
   "Otra cosa". When nothing in the ranking is plausible, or the NLU recognised the
   message as out of scope (weather, football…), a guess would be silly: the user is
   told kindly that this is outside what the assistant does, with the help menu.
2. Second miss in a row (including a tap on "Otra cosa"): offer a person.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.base import LocalizedAction, domain_intents, menu_options
from bot.i18n import catalog, t
from bot.journeys import NEVER_SUGGESTED, may_use, role_of
from bot.replies import Option, buttons_message

FALLBACK_ACTION = "action_default_fallback"
NLU_FALLBACK = "nlu_fallback"
OUT_OF_SCOPE = "out_of_scope"

#: Payload of "Otra cosa": Rasa's own ``nlu_fallback`` intent, so the tap is handled by
#: the fallback rule and counts as the second miss in a row.
OTHER_PAYLOAD = "/" + NLU_FALLBACK
#: How many guesses a "did you mean" offers (plus "Otra cosa": 3 WhatsApp buttons).
MAX_SUGGESTIONS = 2
#: Intents ranked below this confidence are noise, not a plausible guess.
MIN_SUGGESTION_CONFIDENCE = 0.1


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


def suggestions(
    latest_message: Mapping[str, Any],
    domain: Mapping[str, Any] | None,
    lang: str,
) -> list[str]:
    """Up to two intents worth proposing from the NLU ranking; empty when none is plausible.

    Skipped: Rasa's fallback entries, intents never worth proposing (small talk,
    synthetic channel intents), intents this user may not use (staff-only ones for
    everybody else), intents outside the domain and intents without a human title in
    the copy. An ``out_of_scope`` at the top of the ranking means "no guess".
    """
    ranking = [
        entry
        for entry in latest_message.get("intent_ranking") or []
        if isinstance(entry, Mapping) and entry.get("name") != NLU_FALLBACK
    ]
    if not ranking or ranking[0].get("name") == OUT_OF_SCOPE:
        return []
    role = role_of(latest_message.get("metadata"))
    known = domain_intents(domain)
    titles = catalog(lang) if lang in ("es", "en") else catalog("es")
    picks: list[str] = []
    for entry in ranking:
        name = str(entry.get("name"))
        if float(entry.get("confidence") or 0.0) < MIN_SUGGESTION_CONFIDENCE:
            break  # the ranking is sorted: everything after is less likely still
        if (
            name in NEVER_SUGGESTED
            or not may_use(name, role)
            or name not in known
            or f"menu.{name}.title" not in titles
        ):
            continue
        picks.append(name)
        if len(picks) == MAX_SUGGESTIONS:
            break
    return picks


def intent_option(lang: str, intent: str) -> Option:
    """A reply button that runs ``intent``, titled from ``menu.<intent>.title``."""
    return Option(payload=f"/{intent}", title=t(lang, f"menu.{intent}.title"))


class ActionDefaultFallback(LocalizedAction):
    """Overrides Rasa's ``action_default_fallback`` (NLU and core fallback).

    The turn is kept in the history (no ``UserUtteranceReverted``) so that the
    repetition can be seen by the next fallback.
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
        latest = tracker.latest_message or {}
        intent = (latest.get("intent") or {}).get("name")
        if previous_bot_action(tracker) == FALLBACK_ACTION:
            tapped_other = (latest.get("text") or "").strip() == OTHER_PAYLOAD
            text = t(lang, "fallback.other" if tapped_other else "fallback.again")
            options = menu_options(lang, ("human_handoff", "help"), domain)
        elif intent in (NLU_FALLBACK, OUT_OF_SCOPE):
            picks = suggestions(latest, domain, lang)
            if picks:
                text = t(lang, "fallback.did_you_mean")
                options = [intent_option(lang, name) for name in picks]
                options.append(
                    Option(payload=OTHER_PAYLOAD, title=t(lang, "fallback.other_button"))
                )
            else:
                text = t(lang, "fallback.out_of_scope")
                options = menu_options(lang, ("help", "human_handoff"), domain)
        else:  # core fallback: understood, but no rule or story knows what to do next
            text = t(lang, "fallback.text")
            options = menu_options(lang, ("help", "human_handoff"), domain)
        dispatcher.utter_message(**buttons_message(text, options))
        return []
