"""Data-subject (Habeas Data) requests: legal terms, deadlines and how we name them.

Ley 1581 de 2012 (``../shared/design/COMPLIANCE.md`` §4.1):

* a **consulta** (access: "what do you have about me?") is answered within 10 business
  days from receipt (art. 14);
* a **reclamo** — correction, update, erasure (supresión) or revocation — within 15
  business days counted from the day after receipt (art. 15).

Both terms can be extended (+5 / +8 business days) only by telling the person the
reason and the new date before the term ends; that is a human decision, not the
bot's. Business days are Colombian *días hábiles* (:mod:`bot.calendar`).
"""

from __future__ import annotations

from datetime import date, datetime

from babel.dates import format_date

from bot.calendar import add_business_days, end_of_day, to_bogota
from bot.i18n import t

__all__ = [
    "TERM_BUSINESS_DAYS",
    "due_at",
    "format_due_date",
    "request_number",
]

#: Business days the law gives to answer each kind of request.
TERM_BUSINESS_DAYS = {
    "access": 10,  # consulta, art. 14
    "erasure": 15,  # reclamo, art. 15
    "rectification": 15,  # reclamo, art. 15
}

_BABEL_LOCALES = {"es": "es_CO", "en": "en"}


def due_at(kind: str, received_at: datetime) -> datetime:
    """The end (23:59:59 Bogotá) of the last business day to answer a request.

    The term runs from the day after the Bogotá date of receipt, whatever the hour, and
    whether or not that day is itself a business day.
    """
    days = TERM_BUSINESS_DAYS[kind]
    received_on = to_bogota(received_at).date()
    return end_of_day(add_business_days(received_on, days))


def request_number(request_id: int) -> str:
    """The number the person quotes when they write about their request: ``HD-00042``."""
    return f"HD-{request_id:05d}"


def format_due_date(lang: str, day: date | datetime) -> str:
    """A deadline as people read it: "miércoles 30 de diciembre de 2026".

    Day and month names come from CLDR (Babel, ``es_CO`` / ``en``); the pattern is
    copy (``privacy.date_pattern``) like every other user-facing text.
    """
    if isinstance(day, datetime):
        day = to_bogota(day).date()
    lang = lang if lang in _BABEL_LOCALES else "es"
    return format_date(day, t(lang, "privacy.date_pattern"), locale=_BABEL_LOCALES[lang])
