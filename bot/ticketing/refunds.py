"""Ley 1480 retracto for tickets bought on WhatsApp (COMPLIANCE.md §4.3).

The law gives the buyer of a distance sale 5 *business* days from the contract to
withdraw, refunded within 15 *calendar* days (Ley 2439 de 2024), except for services
that have begun. We apply it like this (docs/decisions/tickets.md):

* term: until the end (23:59:59 Bogotá) of the 5th business day after the payment day;
* a show that starts before that term ends is "a service begun within 5 days": the
  exception applies and the request is still recorded, marked ``outside_retracto``;
* after the show has started there is nothing to withdraw from; also recorded.

The bot never refunds by itself: every request goes to staff with the order, the term
and the due date, and their decision is sent back to the buyer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.calendar import add_business_days, end_of_day, to_bogota

__all__ = ["REFUND_CALENDAR_DAYS", "RETRACTO_BUSINESS_DAYS", "Assessment", "assess"]

RETRACTO_BUSINESS_DAYS = 5
REFUND_CALENDAR_DAYS = 15


@dataclass(frozen=True)
class Assessment:
    eligible: bool
    #: ``retracto`` or ``outside_retracto`` (what is stored with the request).
    basis: str
    #: ``within_term``, ``term_passed``, ``show_within_term`` or ``show_started``.
    why: str
    retracto_deadline: datetime
    #: When the money must be back if the retracto applies (15 calendar days).
    refund_due_by: datetime | None


def assess(*, paid_at: datetime, event_starts_at: datetime, requested_at: datetime) -> Assessment:
    """Whether a refund request made at ``requested_at`` is a retracto."""
    deadline = end_of_day(add_business_days(to_bogota(paid_at).date(), RETRACTO_BUSINESS_DAYS))
    due = end_of_day(to_bogota(requested_at).date() + timedelta(days=REFUND_CALENDAR_DAYS))
    if requested_at >= event_starts_at:
        why = "show_started"
    elif event_starts_at <= deadline:
        why = "show_within_term"
    elif requested_at > deadline:
        why = "term_passed"
    else:
        return Assessment(True, "retracto", "within_term", deadline, due)
    return Assessment(False, "outside_retracto", why, deadline, None)
