"""Who to write to on WhatsApp about a Hi.Events order sold elsewhere (issue 5).

A Hi.Events ``OrderResource`` carries no phone field (contract §7): only the buyer's
name, e-mail and locale, and the answers to the event's questions. So a buyer sold at
the box office or in the web shop is reachable only when

1. the order (or one of its attendees) answered a ``PHONE`` question: that number,
   read as Colombian when typed without country code, is the WhatsApp id; or
2. the buyer's e-mail is the one of a purchase made through the bot before: that
   purchase's chat (and language).

Otherwise there is nobody to message and the caller logs and stops. Consent is still
checked by the outbox worker right before each send.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import phonenumbers

from bot.storage.phones import DEFAULT_REGION

__all__ = ["Reach", "phone_answer", "reach_for_order"]


@dataclass(frozen=True)
class Reach:
    wa_id: str
    language: str
    #: ``phone_answer`` or ``email_match``: why we believe this is the buyer's chat.
    source: str


def _answers(order: dict[str, Any]) -> list[dict[str, Any]]:
    found = [a for a in order.get("question_answers") or [] if isinstance(a, dict)]
    for attendee in order.get("attendees") or []:
        if isinstance(attendee, dict):
            found += [a for a in attendee.get("question_answers") or [] if isinstance(a, dict)]
    return found


def _as_wa_id(raw: Any) -> str | None:
    if isinstance(raw, dict):  # ``answer`` may be {"answer": "..."} or a plain string
        raw = raw.get("answer") or raw.get("value")
    if isinstance(raw, list):
        raw = raw[0] if raw else None
    if not isinstance(raw, str) or not raw.strip():
        return None
    try:
        number = phonenumbers.parse(raw.strip(), DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)[1:]


def phone_answer(order: dict[str, Any]) -> str | None:
    """The WhatsApp id from the first valid ``PHONE`` answer of the order, if any."""
    for answer in _answers(order):
        if str(answer.get("question_type") or "").upper() != "PHONE":
            continue
        for value in (answer.get("answer"), answer.get("text_answer")):
            if (wa_id := _as_wa_id(value)) is not None:
                return wa_id
    return None


def _language(order: dict[str, Any], fallback: str = "es") -> str:
    locales = [order.get("locale")] + [
        a.get("locale") for a in order.get("attendees") or [] if isinstance(a, dict)
    ]
    for locale in locales:
        if isinstance(locale, str) and locale[:2].lower() in ("es", "en"):
            return locale[:2].lower()
    return fallback


async def reach_for_order(store: Any, order: dict[str, Any]) -> Reach | None:
    """The buyer's WhatsApp chat, or ``None`` when the order gives no way to it."""
    if (wa_id := phone_answer(order)) is not None:
        contact = await store.get_contact(wa_id)
        language = contact.language if contact is not None else _language(order)
        return Reach(wa_id, language, "phone_answer")
    email = order.get("email")
    if isinstance(email, str) and email.strip():
        earlier = await store.purchase_by_email(email)
        if earlier is not None:
            return Reach(earlier.wa_id, earlier.language, "email_match")
    return None
