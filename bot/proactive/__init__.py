"""Proactive messaging rules (issue 5, item 8).

* :mod:`bot.proactive.policy`: pure decisions on whether a proactive message may go
  now, must wait (Ley 2300 contact hours, one promotional message per person per day)
  or is refused (consent per purpose, opt-out, no template outside the 24-hour window).

Choices are written down in ``docs/decisions/contact_hours.md``.
"""

from __future__ import annotations

from bot.proactive.policy import (
    MESSAGE_PURPOSES,
    PRIORITY,
    Decision,
    contact_hours,
    decide,
    has_consent,
    is_contact_day,
    marketing_window,
    next_marketing_slot,
)

__all__ = [
    "MESSAGE_PURPOSES",
    "PRIORITY",
    "Decision",
    "contact_hours",
    "decide",
    "has_consent",
    "is_contact_day",
    "marketing_window",
    "next_marketing_slot",
]
