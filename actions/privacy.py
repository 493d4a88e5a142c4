"""Habeas Data: a request to erase one's data, confirmed, filed, and answered with its deadline.

``delete_my_data`` opens ``delete_my_data_form``, a one-question form (Rasa's own
FormAction; its only slot, ``erasure_confirmed``, is filled from affirm/deny in
``domain.yml``). The question is :class:`ActionAskErasureConfirmed`; when the form
completes, :class:`ActionDeleteMyData` files the request with its legal deadline
(:mod:`bot.privacy`) and tells the person the number and the date. STOP in the middle
ends the form (``action_opt_out``, ``data/rules/consent.yml``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.base import LocalizedAction
from actions.consent import latest_metadata, record_decision
from bot import services
from bot.consent import NON_TRANSACTIONAL, PRIVACY_EMAIL
from bot.i18n import t
from bot.logging import event, mask_phone
from bot.privacy import due_at, format_due_date, request_number
from bot.replies import Option, buttons_message

log = logging.getLogger(__name__)

ERASURE_SLOT = "erasure_confirmed"


class ActionAskErasureConfirmed(LocalizedAction):
    """The form's question: erase everything? (Sí / No buttons)."""

    def name(self) -> str:
        return "action_ask_erasure_confirmed"

    async def respond(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
        lang: str,
    ) -> list[EventType]:
        buttons = [
            Option(payload="/affirm", title=t(lang, "privacy.confirm_yes")),
            Option(payload="/deny", title=t(lang, "privacy.confirm_no")),
        ]
        dispatcher.utter_message(**buttons_message(t(lang, "privacy.confirm_question"), buttons))
        return []


class ActionDeleteMyData(LocalizedAction):
    """File the confirmed erasure request (or say nothing was deleted) and reset the form.

    A confirmed erasure also revokes every non-transactional consent: a person who asks
    to be forgotten must not get promotions while the request is processed.
    """

    #: The current time; tests pin it.
    clock: Callable[[], datetime] = staticmethod(lambda: datetime.now(timezone.utc))

    def name(self) -> str:
        return "action_delete_my_data"

    async def respond(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
        lang: str,
    ) -> list[EventType]:
        events: list[EventType] = [SlotSet(ERASURE_SLOT, None)]
        if tracker.get_slot(ERASURE_SLOT) is not True:
            dispatcher.utter_message(text=t(lang, "privacy.cancelled"))
            return events
        wa_id = tracker.sender_id
        received_at = self.clock()
        try:
            store = await services.get_store()
            request, created = await store.file_data_subject_request(
                wa_id,
                kind="erasure",
                received_at=received_at,
                due_at=due_at("erasure", received_at),
                inbound_wamid=latest_metadata(tracker).get("wamid"),
            )
        except Exception as exc:  # the database, or a sender id that is not a phone
            event(
                log,
                "privacy.request_not_filed",
                logging.ERROR,
                wa_id=mask_phone(wa_id),
                error=type(exc).__name__,
            )
            dispatcher.utter_message(text=t(lang, "privacy.failed", email=PRIVACY_EMAIL))
            return events
        number = request_number(request.id)
        due_date = format_due_date(lang, request.due_at)
        event(log, "privacy.request_filed", wa_id=mask_phone(wa_id), number=number, new=created)
        if created:
            await record_decision(tracker, lang, NON_TRANSACTIONAL, granted=False)
            text = t(lang, "privacy.filed", number=number, due_date=due_date, email=PRIVACY_EMAIL)
        else:
            text = t(lang, "privacy.already_open", number=number, due_date=due_date)
        dispatcher.utter_message(text=text)
        return events
