"""give_feedback (issue 5): store the opinion, ask once for a comment after a bare rating.

Thin on purpose: rating parsing and the event the opinion is about live in
``bot/feedback.py``; storage in ``bot/storage/feedback.py``. The rules
(``data/rules/feedback.yml``) branch on ``feedback_awaiting_comment``, which
:class:`ActionGiveFeedback` always sets.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.base import LocalizedAction, utter_with_options
from actions.consent import latest_metadata
from bot import services
from bot.feedback import (
    is_no_comment,
    is_offer_to_rate,
    parse_rating,
    rating_only,
    target_for,
)
from bot.i18n import language_of, t
from bot.logging import event, mask_phone
from bot.replies import Option, buttons_message
from bot.storage.types import utcnow

log = logging.getLogger(__name__)

#: A rating this low comes with the offer of a person.
LOW_RATING = 2


def _stars(lang: str, rating: int) -> str:
    return (
        t(lang, "feedback.stars_one") if rating == 1 else t(lang, "feedback.stars_many", n=rating)
    )


def _rating_entity(tracker: Tracker) -> Any:
    for entity in (tracker.latest_message or {}).get("entities") or []:
        if entity.get("entity") == "rating":
            return entity.get("value")
    return None


class ActionGiveFeedback(LocalizedAction):
    def name(self) -> str:
        return "action_give_feedback"

    async def respond(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
        lang: str,
    ) -> list[EventType]:
        text = ((tracker.latest_message or {}).get("text") or "").strip()
        tapped = text.startswith("/")
        rating = parse_rating(None if tapped else text, _rating_entity(tracker))
        comment = None if rating_only(text) else text
        if rating is None and (comment is None or is_offer_to_rate(comment)):
            # "quiero calificar el evento": an offer to give an opinion, not one
            dispatcher.utter_message(text=t(lang, "feedback.ask_what"))
            return [SlotSet("feedback_awaiting_comment", False)]
        try:
            store = await services.get_store()
            target = await target_for(
                store, tracker.sender_id, tracker.get_slot("feedback_event"), utcnow()
            )
            record, _new = await store.record_feedback(
                tracker.sender_id,
                rating=rating,
                comment=comment,
                source="button" if tapped else "text",
                language=lang,
                event_id=target.event_id,
                event_title=target.title,
                inbound_wamid=latest_metadata(tracker).get("wamid"),
            )
        except Exception as exc:  # the database, or a sender id that is not a phone
            event(
                log,
                "feedback.not_saved",
                logging.ERROR,
                wa_id=mask_phone(tracker.sender_id),
                error=type(exc).__name__,
            )
            dispatcher.utter_message(text=t(lang, "feedback.not_saved"))
            return [SlotSet("feedback_awaiting_comment", False)]
        event(
            log,
            "feedback.saved",
            id=record.id,
            wa_id=mask_phone(tracker.sender_id),
            rating=rating,
            with_comment=comment is not None,
            event_id=target.event_id,
        )
        if comment is None and rating is not None:
            return [
                SlotSet("feedback_id", float(record.id)),
                SlotSet("feedback_awaiting_comment", True),
            ]
        _thank(dispatcher, lang, rating, domain)
        return [SlotSet("feedback_awaiting_comment", False), SlotSet("feedback_event", None)]


def _thank(
    dispatcher: CollectingDispatcher, lang: str, rating: int | None, domain: dict[str, Any]
) -> None:
    if rating is not None and rating <= LOW_RATING:
        utter_with_options(
            dispatcher, lang, t(lang, "feedback.thanks_low"), ("human_handoff",), domain
        )
    else:
        dispatcher.utter_message(text=t(lang, "feedback.thanks"))


class ActionAskFeedbackComment(LocalizedAction):
    def name(self) -> str:
        return "action_ask_feedback_comment"

    async def respond(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
        lang: str,
    ) -> list[EventType]:
        text = await _ask_text(tracker, lang)
        no = Option(payload="/deny", title=t(lang, "feedback.no_thanks"))
        dispatcher.utter_message(**buttons_message(text, [no]))
        return []


async def _ask_text(tracker: Tracker, lang: str) -> str:
    """ "¡Gracias por tus 4 estrellas! ¿Algo más de <evento>?" from the stored opinion."""
    record = None
    feedback_id = tracker.get_slot("feedback_id")
    if feedback_id is not None:
        try:
            record = await (await services.get_store()).get_feedback(int(feedback_id))
        except Exception as exc:
            event(log, "feedback.lookup_failed", logging.ERROR, error=type(exc).__name__)
    if record is None or record.rating is None:
        return t(lang, "feedback.ask_comment_no_event", stars=t(lang, "feedback.star"))
    stars = _stars(lang, record.rating)
    if record.event_title:
        return t(lang, "feedback.ask_comment", stars=stars, event=record.event_title)
    return t(lang, "feedback.ask_comment_no_event", stars=stars)


#: The comment slot's value when the person had nothing to add (a slot must be set
#: for the form to finish).
NO_COMMENT = "-"


class ValidateFeedbackForm(FormValidationAction):
    def name(self) -> str:
        return "validate_feedback_form"

    async def validate_feedback_comment(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        text = str(slot_value or "").strip()
        if is_no_comment(text):
            return {"feedback_comment": NO_COMMENT}
        feedback_id = tracker.get_slot("feedback_id")
        try:
            store = await services.get_store()
            if feedback_id is None:
                raise LookupError("no opinion to add the comment to")
            await store.add_feedback_comment(int(feedback_id), text)
        except Exception as exc:
            event(
                log,
                "feedback.comment_not_saved",
                logging.ERROR,
                wa_id=mask_phone(tracker.sender_id),
                error=type(exc).__name__,
            )
            dispatcher.utter_message(text=t(language_of(tracker), "feedback.not_saved"))
            return {"feedback_comment": NO_COMMENT}
        event(
            log, "feedback.comment_saved", id=int(feedback_id), wa_id=mask_phone(tracker.sender_id)
        )
        return {"feedback_comment": text}


class ActionFeedbackDone(LocalizedAction):
    def name(self) -> str:
        return "action_feedback_done"

    async def respond(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
        lang: str,
    ) -> list[EventType]:
        dispatcher.utter_message(text=t(lang, "feedback.thanks"))
        return [
            SlotSet("feedback_comment", None),
            SlotSet("feedback_id", None),
            SlotSet("feedback_event", None),
            SlotSet("feedback_awaiting_comment", False),
        ]
