"""When may a proactive message go out? Consent, contact hours, daily cap and STOP.

Pure functions and frozen dataclasses: nothing here reads a clock, a database or the
network. The caller passes the moment (``now``), the person's consent state, whether
they opted out, when they last got a promotional message and whether their 24-hour
customer-service window is open; :func:`decide` answers *send now*, *wait until* a
moment, or *refuse* with a reason code. The delivery worker asks again right before
each send, so a STOP that arrived in the meantime wins (issue 5, item 8).

The rules (``../shared/design/COMPLIANCE.md`` §4.1, §4.2, §5; ``docs/decisions/consent.md``;
the choices are written down in ``docs/decisions/contact_hours.md``):

* Purposes, most urgent first: ``emergency`` > ``transactional`` > ``reminder`` >
  ``marketing`` (and ``casting``, a casting call, which is promotional like marketing
  and needs its own consent).
* **Ley 2300 hours** apply to advertising (``marketing``, ``casting``): Monday–Friday
  07:00–19:00 and Saturday 08:00–15:00, Bogotá time, never on Sundays or festivos.
  The end is exclusive: at 19:00:00 (15:00:00 on Saturday) the window is closed.
* **At most one promotional message per person per Bogotá calendar day**; a second one
  waits for the next day's first slot.
* **Consent per purpose** (Ley 1581): marketing needs ``marketing``, a casting call needs
  ``casting``. An opt-out (STOP, BAJA, PARAR) stops everything but transactional
  messages and emergencies; it never revokes ``transactional``.
* Transactional messages and reminders are UTILITY: not advertising, so not bound by
  the hours or the cap, but they need a transactional relationship (a granted
  ``transactional`` consent, or a chat the person opened in the last 24 hours).
* Emergencies always go now.
* Outside the 24-hour window only an approved template may go
  (:attr:`Decision.template`); with no template for the message it is refused.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from bot.calendar import BOGOTA, is_holiday, to_bogota

__all__ = [
    "CASTING",
    "CONSENT_FOR",
    "EMERGENCY",
    "MARKETING",
    "MESSAGE_PURPOSES",
    "PRIORITY",
    "PROMOTIONAL",
    "REASONS",
    "REASON_DAILY_CAP",
    "REASON_NO_CASTING_CONSENT",
    "REASON_NO_MARKETING_CONSENT",
    "REASON_NO_TRANSACTIONAL_RELATIONSHIP",
    "REASON_OPTED_OUT",
    "REASON_OUTSIDE_CONTACT_HOURS",
    "REASON_WINDOW_CLOSED_NEEDS_TEMPLATE",
    "REFUSE",
    "REMINDER",
    "SEND_NOW",
    "TEMPLATE_CATEGORY",
    "TRANSACTIONAL",
    "WAIT_UNTIL",
    "Decision",
    "contact_hours",
    "decide",
    "has_consent",
    "is_contact_day",
    "marketing_window",
    "next_marketing_slot",
]

EMERGENCY = "emergency"
TRANSACTIONAL = "transactional"
REMINDER = "reminder"
MARKETING = "marketing"
CASTING = "casting"
#: Every purpose :func:`decide` knows, most urgent first.
MESSAGE_PURPOSES: tuple[str, ...] = (EMERGENCY, TRANSACTIONAL, REMINDER, MARKETING, CASTING)
#: Advertising in the sense of Ley 2300 art. 5: contact hours and the daily cap apply.
PROMOTIONAL = frozenset({MARKETING, CASTING})

#: Queue priority (lower is sent first); the same numbers as ``bot.storage.outbox``.
#: A casting call is promotional, so it queues with marketing.
PRIORITY: Mapping[str, int] = {
    EMERGENCY: 0,
    TRANSACTIONAL: 1,
    REMINDER: 2,
    MARKETING: 3,
    CASTING: 3,
}
#: The consent purpose (``bot.consent``) each message purpose needs; ``None``: none.
CONSENT_FOR: Mapping[str, str | None] = {
    EMERGENCY: None,
    TRANSACTIONAL: TRANSACTIONAL,
    REMINDER: TRANSACTIONAL,
    MARKETING: MARKETING,
    CASTING: CASTING,
}
#: WhatsApp template category of each purpose.
TEMPLATE_CATEGORY: Mapping[str, str] = {
    EMERGENCY: "UTILITY",
    TRANSACTIONAL: "UTILITY",
    REMINDER: "UTILITY",
    MARKETING: "MARKETING",
    CASTING: "MARKETING",
}

SEND_NOW = "send_now"
WAIT_UNTIL = "wait_until"
REFUSE = "refuse"

#: Refusals.
REASON_OPTED_OUT = "opted_out"
REASON_NO_MARKETING_CONSENT = "no_marketing_consent"
REASON_NO_CASTING_CONSENT = "no_casting_consent"
REASON_NO_TRANSACTIONAL_RELATIONSHIP = "no_transactional_relationship"
REASON_WINDOW_CLOSED_NEEDS_TEMPLATE = "window_closed_needs_template"
#: Waits.
REASON_OUTSIDE_CONTACT_HOURS = "outside_contact_hours"
REASON_DAILY_CAP = "daily_cap"
REASONS = frozenset(
    {
        REASON_OPTED_OUT,
        REASON_NO_MARKETING_CONSENT,
        REASON_NO_CASTING_CONSENT,
        REASON_NO_TRANSACTIONAL_RELATIONSHIP,
        REASON_WINDOW_CLOSED_NEEDS_TEMPLATE,
        REASON_OUTSIDE_CONTACT_HOURS,
        REASON_DAILY_CAP,
    }
)
_MISSING_CONSENT = {
    MARKETING: REASON_NO_MARKETING_CONSENT,
    CASTING: REASON_NO_CASTING_CONSENT,
}

#: Ley 2300 art. 3 contact hours by weekday (Monday = 0), Bogotá wall time: from the
#: first (inclusive) to the second (exclusive). Sunday has none.
_HOURS: Mapping[int, tuple[time, time]] = {
    **{weekday: (time(7, 0), time(19, 0)) for weekday in range(5)},
    5: (time(8, 0), time(15, 0)),
}
#: Safety net for the day loop: the longest real gap (Christmas Eve evening to the
#: next Saturday, or Holy Week) is a few days.
_MAX_GAP_DAYS = 31


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do with one proactive message to one person at one moment.

    ``action`` is :data:`SEND_NOW`, :data:`WAIT_UNTIL` (``wait_until`` says when, in
    Bogotá time; ask again then) or :data:`REFUSE` (``reason`` says why). ``template``
    is true when the 24-hour window was closed at the moment of the decision, so only
    an approved template of ``category`` may go. ``reason`` is also set on a wait
    (:data:`REASON_OUTSIDE_CONTACT_HOURS` or :data:`REASON_DAILY_CAP`).
    """

    action: str
    purpose: str
    priority: int
    category: str
    template: bool
    wait_until: datetime | None = None
    reason: str | None = None

    def __post_init__(self) -> None:
        if self.action not in (SEND_NOW, WAIT_UNTIL, REFUSE):
            raise ValueError(f"unknown action {self.action!r}")
        if (self.action == WAIT_UNTIL) != (self.wait_until is not None):
            raise ValueError("wait_until is set exactly when the action is wait_until")
        if self.reason is not None and self.reason not in REASONS:
            raise ValueError(f"unknown reason {self.reason!r}")
        if self.action == REFUSE and self.reason is None:
            raise ValueError("a refusal needs a reason")

    @property
    def send_now(self) -> bool:
        return self.action == SEND_NOW

    @property
    def waits(self) -> bool:
        return self.action == WAIT_UNTIL

    @property
    def refused(self) -> bool:
        return self.action == REFUSE


# ------------------------------------------------------------------ contact hours


def is_contact_day(day: date) -> bool:
    """True when Ley 2300 allows advertising on ``day`` at all: not Sunday, not a festivo."""
    return day.weekday() in _HOURS and not is_holiday(day)


def contact_hours(day: date) -> tuple[datetime, datetime] | None:
    """Start (inclusive) and end (exclusive) of the advertising window on ``day``, in
    Bogotá time; ``None`` on Sundays and festivos."""
    if not is_contact_day(day):
        return None
    start, end = _HOURS[day.weekday()]
    return datetime.combine(day, start, tzinfo=BOGOTA), datetime.combine(day, end, tzinfo=BOGOTA)


def marketing_window(moment: datetime) -> bool:
    """True when advertising may go out at ``moment`` (an aware datetime, any zone).

    Monday–Friday 07:00 ≤ t < 19:00 and Saturday 08:00 ≤ t < 15:00, Bogotá time; never
    on Sundays or Colombian festivos.
    """
    local = to_bogota(moment)
    hours = contact_hours(local.date())
    return hours is not None and hours[0] <= local < hours[1]


def next_marketing_slot(moment: datetime) -> datetime:
    """``moment`` itself (in Bogotá time) when advertising is allowed then, else the
    start of the next allowed window: later the same day before opening time, otherwise
    07:00 (08:00 on Saturday) of the next day that is neither a Sunday nor a festivo.
    """
    local = to_bogota(moment)
    day = local.date()
    for _ in range(_MAX_GAP_DAYS):
        hours = contact_hours(day)
        if hours is not None:
            start, end = hours
            if local < start:
                return start
            if local < end:
                return local
        day += timedelta(days=1)
    raise RuntimeError(f"no contact window within {_MAX_GAP_DAYS} days after {local}")


# ------------------------------------------------------------------------ consent


def has_consent(consents: Mapping[str, Any] | Collection[str], purpose: str) -> bool:
    """Whether ``consents`` grants ``purpose``.

    ``consents`` is what ``Store.consent_state`` returns (purpose → latest
    ``ConsentRecord``, whose ``granted`` says it), a mapping purpose → bool, or a
    collection of the granted purposes. A purpose with no decision is not granted
    (silence never counts, D.1377 art. 7).
    """
    if isinstance(consents, Mapping):
        value = consents.get(purpose)
        if value is None:
            return False
        if isinstance(value, bool):
            return value
        if hasattr(value, "granted"):
            return bool(value.granted)
        raise TypeError(f"consent for {purpose!r} is a {type(value).__name__}, not a decision")
    if isinstance(consents, str):
        raise TypeError("consents is a string, not a collection of purposes")
    return purpose in consents


# ----------------------------------------------------------------------- decision


def decide(
    purpose: str,
    *,
    now: datetime,
    consents: Mapping[str, Any] | Collection[str],
    opted_out: bool,
    last_marketing_sent_at: datetime | None,
    window_open: bool,
    template_available: bool = True,
) -> Decision:
    """Decide whether a proactive message of ``purpose`` may go to one person at ``now``.

    * ``consents``: the person's consent state (see :func:`has_consent`).
    * ``opted_out``: the person's latest word was an opt-out (STOP, BAJA, PARAR,
      ``opt_out``) that has not been followed by an opt-in. It blocks everything but
      transactional messages and emergencies, even before the consent log shows it.
    * ``last_marketing_sent_at``: when the last promotional (marketing or casting)
      message went to this person, or ``None``.
    * ``window_open``: the person wrote within the last 24 hours (free-form allowed).
    * ``template_available``: an approved template exists for this message; without
      one, a closed window means the message cannot go (refused).

    Refusals come first (opt-out, consent, relationship, template), then the hours and
    the daily cap, which only delay. Raises ``ValueError`` for an unknown purpose or a
    naive datetime.
    """
    if purpose not in PRIORITY:
        raise ValueError(f"unknown purpose {purpose!r}; expected one of {MESSAGE_PURPOSES}")
    local_now = to_bogota(now)
    last_local = None if last_marketing_sent_at is None else to_bogota(last_marketing_sent_at)
    template = not window_open

    def result(action: str, reason: str | None = None, until: datetime | None = None) -> Decision:
        return Decision(
            action=action,
            purpose=purpose,
            priority=PRIORITY[purpose],
            category=TEMPLATE_CATEGORY[purpose],
            template=template,
            wait_until=until,
            reason=reason,
        )

    if purpose == EMERGENCY:
        # Safety first: no consent, opt-out, hours or cap stands in the way; only the
        # platform's rule that a closed window needs a template.
        if template and not template_available:
            return result(REFUSE, REASON_WINDOW_CLOSED_NEEDS_TEMPLATE)
        return result(SEND_NOW)

    if opted_out and purpose != TRANSACTIONAL:
        return result(REFUSE, REASON_OPTED_OUT)

    if purpose in (TRANSACTIONAL, REMINDER):
        if not (window_open or has_consent(consents, TRANSACTIONAL)):
            return result(REFUSE, REASON_NO_TRANSACTIONAL_RELATIONSHIP)
        if template and not template_available:
            return result(REFUSE, REASON_WINDOW_CLOSED_NEEDS_TEMPLATE)
        return result(SEND_NOW)

    # marketing, casting
    if not has_consent(consents, purpose):
        return result(REFUSE, _MISSING_CONSENT[purpose])
    if template and not template_available:
        return result(REFUSE, REASON_WINDOW_CLOSED_NEEDS_TEMPLATE)
    # One per Bogotá calendar day: after a send today (or, with a skewed clock, later),
    # the earliest is the midnight that ends that day.
    earliest = local_now
    capped = False
    if last_local is not None and last_local.date() >= local_now.date():
        capped = True
        earliest = datetime.combine(last_local.date() + timedelta(days=1), time(0), tzinfo=BOGOTA)
    slot = next_marketing_slot(earliest)
    if slot == local_now:
        return result(SEND_NOW)
    reason = REASON_DAILY_CAP if capped else REASON_OUTSIDE_CONTACT_HOURS
    return result(WAIT_UNTIL, reason, slot)
