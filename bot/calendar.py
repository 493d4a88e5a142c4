"""Colombian business days and office hours, in Bogotá time.

Why a module of its own: legal clocks (Ley 1581 answers to data-subject requests,
counted in *días hábiles*), the team's office hours (hand-off to a person) and the
Ley 2300 contact windows all depend on the same two facts — the festivos of
Colombia and the ``America/Bogota`` clock — and must agree with each other.

- Festivos come from ``holidays`` (pinned in ``requirements.lock``), country ``CO``,
  which implements the fixed dates, Easter-based days and the Ley Emiliani moves to
  Monday (see ``../shared/design/COMPLIANCE.md`` §6).
- A business day is Monday to Friday and not a festivo. Saturdays are not business
  days: that is how the legal *días hábiles* are counted, and the office is closed.
- Office hours are Monday to Friday, 08:00–18:00 Bogotá time, on business days.
- Bogotá is UTC−5 all year (no DST since 1993), but the zone database is used
  anyway so that nothing here hard-codes an offset.

Everything takes the current time as an argument (or a ``clock``) so tests can pin it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

__all__ = [
    "BOGOTA",
    "CLOSING",
    "OPENING",
    "add_business_days",
    "bogota_now",
    "business_hours",
    "end_of_day",
    "festivo_name",
    "is_business_day",
    "is_business_hours",
    "is_holiday",
    "next_business_day",
    "next_business_opening",
    "to_bogota",
]

BOGOTA = ZoneInfo("America/Bogota")
#: Office hours on a business day (Bogotá wall time): the team answers from OPENING
#: (inclusive) until CLOSING (exclusive).
OPENING = time(8, 0)
CLOSING = time(18, 0)

#: Safety net for loops over days: no real gap between business days comes close
#: (the longest is a long weekend plus Holy Week, under 10 days).
_MAX_GAP_DAYS = 31


@lru_cache(maxsize=16)
def _festivos(year: int) -> holidays.HolidayBase:
    """The festivos of one year (computed once per year and process)."""
    return holidays.country_holidays("CO", years=year)


def to_bogota(moment: datetime) -> datetime:
    """``moment`` in Bogotá time; naive datetimes are refused (UTC or local? we don't guess)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment.isoformat()}: pass an aware datetime")
    return moment.astimezone(BOGOTA)


def bogota_now(clock: Callable[[], datetime] | None = None) -> datetime:
    """The current time in Bogotá (``clock`` returns an aware datetime; tests pin it)."""
    now = clock() if clock is not None else datetime.now(timezone.utc)
    return to_bogota(now)


def festivo_name(day: date) -> str | None:
    """The name of the festivo on ``day`` (as ``holidays`` spells it), or ``None``."""
    return _festivos(day.year).get(day)


def is_holiday(day: date) -> bool:
    """True on a Colombian festivo (including the Ley Emiliani Mondays)."""
    return festivo_name(day) is not None


def is_business_day(day: date) -> bool:
    """Monday to Friday and not a festivo."""
    return day.weekday() < 5 and not is_holiday(day)


def next_business_day(day: date) -> date:
    """The first business day strictly after ``day``."""
    candidate = day
    for _ in range(_MAX_GAP_DAYS):
        candidate += timedelta(days=1)
        if is_business_day(candidate):
            return candidate
    raise RuntimeError(f"no business day within {_MAX_GAP_DAYS} days after {day}")


def add_business_days(start: date, days: int) -> date:
    """The ``days``-th business day after ``start`` (``start`` itself never counts).

    This is how Colombian legal terms in *días hábiles* run: "15 días hábiles contados
    a partir del día siguiente a la fecha de su recibo" (Ley 1581 art. 15) is
    ``add_business_days(received_on, 15)``, whether or not ``received_on`` was itself
    a business day. ``days=0`` returns ``start``.
    """
    if days < 0:
        raise ValueError("days must be zero or positive")
    current = start
    for _ in range(days):
        current = next_business_day(current)
    return current


def end_of_day(day: date) -> datetime:
    """The last second of ``day`` in Bogotá, as an aware datetime (a deadline "by ``day``")."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=BOGOTA)


def business_hours(day: date) -> tuple[datetime, datetime] | None:
    """Opening and closing time of the office on ``day`` (Bogotá), ``None`` when closed."""
    if not is_business_day(day):
        return None
    return (
        datetime.combine(day, OPENING, tzinfo=BOGOTA),
        datetime.combine(day, CLOSING, tzinfo=BOGOTA),
    )


def is_business_hours(moment: datetime) -> bool:
    """True when the team is at work at ``moment`` (Mon–Fri 08:00–18:00, not festivos)."""
    local = to_bogota(moment)
    hours = business_hours(local.date())
    return hours is not None and hours[0] <= local < hours[1]


def next_business_opening(now: datetime) -> datetime:
    """The earliest moment at or after ``now`` when the office is open (Bogotá time).

    Returns ``now`` itself (in Bogotá time) during office hours; otherwise the next
    08:00 of a business day — later today if it is early morning on a business day.
    """
    local = to_bogota(now)
    hours = business_hours(local.date())
    if hours is not None:
        opening, closing = hours
        if local < opening:
            return opening
        if local < closing:
            return local
    opening, _ = business_hours(next_business_day(local.date()))  # type: ignore[misc]
    return opening
