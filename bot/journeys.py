"""Which journeys the assistant really has, which are only understood, and who may use them.

Since issue 3 every intent of the catalog is in the domain, so "the model knows the
intent" no longer means "the journey exists". This registry says it explicitly:

* :data:`BUILT` — journeys that work end to end. Menus (welcome, help) offer only these.
  **Issues 4 and 5 add their intents here** when they replace
  ``action_journey_pending`` for them (and remove them from :data:`PENDING`).
* :data:`PENDING` — understood, but the journey comes later; ``action_journey_pending``
  (``actions/journeys.py``) says honestly what it understood and offers a person.
* :data:`STAFF_ONLY` — organizer/staff requests, honoured only for :data:`STAFF_ROLES`.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "BUILT",
    "NEVER_SUGGESTED",
    "PENDING",
    "STAFF_ONLY",
    "STAFF_ROLES",
    "is_built",
    "may_use",
    "role_of",
]

#: Journeys that work end to end today; menus offer nothing else.
BUILT: frozenset[str] = frozenset(
    {
        "help",
        "human_handoff",
        # issue 4: events, tickets and payments (actions/events.py, purchase.py, orders.py)
        "list_events",
        "event_info",
        "ask_directions",
        "ask_dress_code",
        "buy_ticket",
        "ask_price",
        "payment_methods",
        "payment_status",
        "resend_ticket",
        "request_refund",
        "check_in_help",
        "check_schedule",
        # issue 5: feedback after an event (actions/feedback.py)
        "give_feedback",
    }
)

#: Intents whose journeys come in issue 4 (events, tickets, payments: Hi.Events, Wompi)
#: and issue 5 (castings, portfolio, payouts). Until then: ``action_journey_pending``.
PENDING: tuple[str, ...] = (
    # models and designers (not part of issue 5's proactive messaging)
    "casting_apply",
    "casting_confirm",
    "casting_decline",
    "share_portfolio",
    "payout_status",
)

#: Requests for organizers and staff only (INTENTS.md).
STAFF_ONLY: frozenset[str] = frozenset({"sales_report", "attendance_report", "report_issue"})
STAFF_ROLES: frozenset[str] = frozenset({"organizer", "staff"})

#: Intents a "did you mean" never proposes: small talk, synthetic channel intents and
#: Rasa's own. Offering "Saludar" as a guess is silly, and the others cannot be asked for.
NEVER_SUGGESTED: frozenset[str] = frozenset(
    {
        "greet",
        "goodbye",
        "thank",
        "affirm",
        "deny",
        "out_of_scope",
        "nlu_fallback",
        "inbound_media",
        "inbound_location",
        "inbound_contacts",
        "restart",
        "back",
        "session_start",
    }
)


def is_built(intent: str, built: Iterable[str] | None = None) -> bool:
    """True when the journey behind ``intent`` works end to end."""
    return intent in (BUILT if built is None else frozenset(built))


def may_use(intent: str, role: str | None) -> bool:
    """Whether a contact with ``role`` may use ``intent`` (staff-only intents need staff)."""
    return intent not in STAFF_ONLY or role in STAFF_ROLES


def role_of(metadata: object) -> str | None:
    """The contact's role as the WhatsApp channel put it in the message metadata."""
    if isinstance(metadata, dict):
        role = metadata.get("role")
        return role if isinstance(role, str) else None
    return None
