"""When a person of the team will answer a conversation handed off by the bot.

The team answers in this same WhatsApp chat in office hours (Mon–Fri 08:00–18:00
Bogotá, closed on festivos: :mod:`bot.calendar`). The user is told the truth:

* during office hours, with at least :data:`LAST_CALL` left: "in less than an hour";
* otherwise: "at the latest <next opening>" ("el lunes 30 de noviembre a las 8:00 a. m."),
  because a request at 17:50 may well wait until the next business morning.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.calendar import business_hours, is_business_hours, next_business_opening, to_bogota
from bot.datefmt import format_moment
from bot.i18n import t

__all__ = ["LAST_CALL", "AnswerTime", "answer_time", "handoff_text", "last_typed_text"]

#: Less than this before closing, "within the hour" is no longer a promise we can keep.
LAST_CALL = timedelta(minutes=30)


@dataclass(frozen=True)
class AnswerTime:
    """``soon``: a person answers within the hour; else at the latest at ``opening``."""

    soon: bool
    opening: datetime


def answer_time(now: datetime) -> AnswerTime:
    """When the team will answer a hand-off requested at ``now``."""
    local = to_bogota(now)
    if is_business_hours(local):
        _, closing = business_hours(local.date())  # type: ignore[misc]
        if closing - local >= LAST_CALL:
            return AnswerTime(soon=True, opening=local)
        return AnswerTime(soon=False, opening=next_business_opening(closing))
    return AnswerTime(soon=False, opening=next_business_opening(local))


def handoff_text(lang: str, now: datetime) -> str:
    """What the user reads after asking for a person at ``now``."""
    when = answer_time(now)
    if when.soon:
        return t(lang, "handoff.now")
    return t(
        lang,
        "handoff.later",
        hours=t(lang, "handoff.hours"),
        when=format_moment(lang, when.opening, now),
    )


def last_typed_text(events: list[dict], within: int | None = None) -> str | None:
    """The user's most recent typed message (button taps are ``/intent`` payloads: skipped).

    ``within`` limits the search to the last N user messages, for callers that need the
    text of *this* request (a tap on a "did you mean" button follows the typed text).
    """
    seen = 0
    for event in reversed(events):
        if event.get("event") != "user":
            continue
        seen += 1
        if within is not None and seen > within:
            return None
        text = (event.get("text") or "").strip()
        if text and not text.startswith("/"):
            return text
    return None
