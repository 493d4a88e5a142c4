"""Consent: the Ley 1581 notice on first contact, opt-in, and opt-out (STOP, BAJA, PARAR).

The rules live in :mod:`bot.consent` and the log in the ``consent_log`` table
(:mod:`bot.storage.consent`); these actions only read the message, record the
decision and answer.

"Right after the notice" is the ``consent_asked`` slot: ``action_greet`` sets it
when it shows the notice, any decision clears it, and the rules in
``data/rules/consent.yml`` route a plain "sí"/"no" after that greeting here instead
of to the generic ``action_affirm``/``action_deny``. The notice's buttons send
``/opt_in`` and ``/opt_out``, which work in any context.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.base import GREET_MENU, LocalizedAction, menu_options
from bot import services
from bot.broadcasts.guard import cancel_marketing_for
from bot.consent import (
    NON_TRANSACTIONAL,
    POLICY_URL,
    POLICY_VERSION,
    PRIVACY_EMAIL,
    consent_source,
    needs_notice,
    notice_hash,
    opt_in_purposes,
    opt_out_purposes,
)
from bot.i18n import t
from bot.logging import event, mask_phone
from bot.replies import MAX_BUTTONS, Option, buttons_message, options_message

log = logging.getLogger(__name__)

CONSENT_ASKED_SLOT = "consent_asked"
#: Slots of the erasure confirmation form, reset when an opt-out interrupts it.
FORM_SLOTS = ("erasure_confirmed",)


def notice_text(lang: str) -> str:
    """The Ley 1581 notice (aviso de privacidad) as the person reads it."""
    return t(
        lang, "consent.notice", email=PRIVACY_EMAIL, version=POLICY_VERSION, policy_url=POLICY_URL
    )


def latest_metadata(tracker: Tracker) -> Mapping[str, Any]:
    """The metadata the WhatsApp channel attached to the latest message (wamid, type...)."""
    metadata = (tracker.latest_message or {}).get("metadata")
    return metadata if isinstance(metadata, Mapping) else {}


def purposes_text(lang: str, purposes: Sequence[str], joiner: str) -> str:
    """Purpose names joined: "novedades y promociones de eventos ni convocatorias de casting"."""
    names = [t(lang, f"consent.purpose.{purpose}") for purpose in purposes]
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} {joiner} {names[-1]}"


def forget_consent_question(tracker: Tracker) -> list[EventType]:
    """Clear ``consent_asked`` if it is set: a later "sí" no longer answers the notice."""
    return [SlotSet(CONSENT_ASKED_SLOT, False)] if tracker.get_slot(CONSENT_ASKED_SLOT) else []


#: What every opt-in/opt-out returns, whether or not the notice was pending: the rules
#: say so (``data/rules/consent.yml``), so RulePolicy can predict what comes next.
QUESTION_SETTLED: list[EventType] = [SlotSet(CONSENT_ASKED_SLOT, False)]


async def consent_notice(
    dispatcher: CollectingDispatcher, tracker: Tracker, lang: str, welcome: str
) -> list[EventType] | None:
    """Greet with the notice and its buttons when no decision is recorded yet.

    Returns the events to add (``consent_asked``), or ``None`` when the person already
    decided — or when the log cannot be read: then the normal greeting goes out and the
    notice comes with the next greeting, rather than no answer at all.
    """
    try:
        store = await services.get_store()
        state = await store.consent_state(tracker.sender_id)
    except Exception as exc:  # the database, or a sender id that is not a phone
        event(
            log,
            "consent.state_unavailable",
            logging.WARNING,
            wa_id=mask_phone(tracker.sender_id),
            error=type(exc).__name__,
        )
        return None
    if not needs_notice(state):
        return None
    dispatcher.utter_message(text=welcome)
    buttons = [
        Option(payload="/opt_in", title=t(lang, "consent.accept_button")),
        Option(payload="/opt_out", title=t(lang, "consent.decline_button")),
    ]
    dispatcher.utter_message(**buttons_message(notice_text(lang), buttons))
    event(log, "consent.notice_shown", wa_id=mask_phone(tracker.sender_id), lang=lang)
    return [SlotSet(CONSENT_ASKED_SLOT, True)]


async def record_decision(
    tracker: Tracker, lang: str, purposes: Sequence[str], *, granted: bool
) -> bool:
    """Append the decision to the consent log; ``False`` (logged) when it could not be saved."""
    metadata = latest_metadata(tracker)
    text = (tracker.latest_message or {}).get("text")
    wa_id = tracker.sender_id
    try:
        store = await services.get_store()
        await store.record_consent(
            wa_id,
            purposes,
            granted=granted,
            policy_version=POLICY_VERSION,
            policy_hash=notice_hash(notice_text(lang)),
            source=consent_source(metadata, text),
            channel=tracker.get_latest_input_channel(),
            inbound_wamid=metadata.get("wamid"),
        )
    except Exception as exc:  # the database, or a sender id that is not a phone
        event(
            log,
            "consent.not_recorded",
            logging.ERROR,
            wa_id=mask_phone(wa_id),
            granted=granted,
            error=type(exc).__name__,
        )
        return False
    event(
        log,
        "consent.recorded",
        wa_id=mask_phone(wa_id),
        granted=granted,
        purposes=",".join(purposes),
    )
    return True


def utter_with_menu(
    dispatcher: CollectingDispatcher, lang: str, text: str, domain: dict[str, Any]
) -> None:
    """``text`` with the welcome menu (what the greeting offers once consent is settled)."""
    options = menu_options(lang, GREET_MENU, domain, limit=MAX_BUTTONS)
    dispatcher.utter_message(
        **options_message(
            text,
            options,
            list_button=t(lang, "help.list_button"),
            section_title=t(lang, "help.section"),
        )
    )


class ActionOptIn(LocalizedAction):
    """Record an authorisation: "Acepto" on the notice, or "quiero recibir promos" later."""

    def name(self) -> str:
        return "action_opt_in"

    async def respond(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
        lang: str,
    ) -> list[EventType]:
        purposes = opt_in_purposes((tracker.latest_message or {}).get("text"))
        if not await record_decision(tracker, lang, purposes, granted=True):
            dispatcher.utter_message(text=t(lang, "consent.failed", email=PRIVACY_EMAIL))
            return list(QUESTION_SETTLED)
        if tracker.get_slot(CONSENT_ASKED_SLOT):
            utter_with_menu(dispatcher, lang, t(lang, "consent.accepted"), domain)
        else:
            shown = [p for p in purposes if p in NON_TRANSACTIONAL]
            names = purposes_text(lang, shown, t(lang, "consent.list_and"))
            dispatcher.utter_message(text=t(lang, "consent.opted_in", purposes=names))
        return list(QUESTION_SETTLED)


class ActionOptOut(LocalizedAction):
    """Record an opt-out and confirm it; always works, also in the middle of a form.

    Without a purpose every non-transactional purpose is revoked. An active form (the
    erasure confirmation) is ended: "STOP" means stop, not "answer the question".
    """

    def name(self) -> str:
        return "action_opt_out"

    async def respond(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
        lang: str,
    ) -> list[EventType]:
        purposes = opt_out_purposes((tracker.latest_message or {}).get("text"))
        events = list(QUESTION_SETTLED)
        form = tracker.active_loop_name
        if form:
            events += [ActiveLoop(None), SlotSet("requested_slot", None)]
            events += [SlotSet(slot, None) for slot in FORM_SLOTS]
            event(log, "consent.form_interrupted", wa_id=mask_phone(tracker.sender_id), form=form)
        if not await record_decision(tracker, lang, purposes, granted=False):
            dispatcher.utter_message(text=t(lang, "consent.failed", email=PRIVACY_EMAIL))
            return events
        await _cancel_queued_promotions(tracker.sender_id, purposes)
        if tracker.get_slot(CONSENT_ASKED_SLOT):
            utter_with_menu(dispatcher, lang, t(lang, "consent.declined"), domain)
        else:
            names = purposes_text(lang, purposes, t(lang, "consent.list_nor"))
            dispatcher.utter_message(text=t(lang, "consent.opted_out", purposes=names))
        if form:
            dispatcher.utter_message(text=t(lang, "privacy.form_stopped"))
        return events


async def _cancel_queued_promotions(wa_id: str, purposes: Any) -> None:
    """STOP takes effect before the next message: queued promotions of the revoked
    purposes are cancelled now (the outbox worker also re-checks consent per row)."""
    try:
        cancelled = await cancel_marketing_for(await services.get_store(), wa_id, purposes)
    except Exception as exc:  # the worker's own check still stops them
        event(log, "consent.cancel_promotions_failed", logging.ERROR, error=type(exc).__name__)
        return
    if cancelled:
        event(log, "consent.promotions_cancelled", wa_id=mask_phone(wa_id), rows=cancelled)
