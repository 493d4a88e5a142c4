"""bot.calendar: Colombian festivos, business days and office hours in Bogotá time."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from bot.calendar import (
    BOGOTA,
    add_business_days,
    bogota_now,
    business_hours,
    end_of_day,
    is_business_day,
    is_business_hours,
    is_holiday,
    next_business_day,
    next_business_opening,
    to_bogota,
)

# COMPLIANCE.md §6, computed there from the rules (fixed dates, Easter, Ley Emiliani).
FESTIVOS_2026 = [
    date(2026, 1, 1), date(2026, 1, 12), date(2026, 3, 23), date(2026, 4, 2),
    date(2026, 4, 3), date(2026, 5, 1), date(2026, 5, 18), date(2026, 6, 8),
    date(2026, 6, 15), date(2026, 6, 29), date(2026, 7, 20), date(2026, 8, 7),
    date(2026, 8, 17), date(2026, 10, 12), date(2026, 11, 2), date(2026, 11, 16),
    date(2026, 12, 8), date(2026, 12, 25),
]  # fmt: skip


def bogota(*args: int) -> datetime:
    return datetime(*args, tzinfo=BOGOTA)  # type: ignore[misc]


def test_the_2026_festivos_match_the_compliance_list() -> None:
    found = [d for d in (date(2026, 1, 1) + timedelta(n) for n in range(365)) if is_holiday(d)]
    assert found == FESTIVOS_2026


@pytest.mark.parametrize(
    ("day", "business"),
    [
        (date(2026, 12, 7), True),  # Monday
        (date(2026, 12, 8), False),  # Tuesday, Inmaculada Concepción (fixed)
        (date(2026, 12, 25), False),  # Friday, Navidad
        (date(2026, 12, 12), False),  # Saturday
        (date(2026, 12, 13), False),  # Sunday
        (date(2027, 3, 25), False),  # Jueves Santo 2027 (Easter is 28 March)
        (date(2027, 3, 26), False),  # Viernes Santo 2027
        (date(2027, 3, 24), True),  # Holy Wednesday is a working day
        (date(2027, 3, 22), False),  # San José, moved to Monday (Ley Emiliani)
        (date(2027, 3, 19), True),  # ... so its real date is a working Friday
        (date(2026, 1, 12), False),  # Reyes Magos moved from Tue 6 Jan to Mon 12 Jan
        (date(2026, 1, 6), True),
    ],
)
def test_business_days(day: date, business: bool) -> None:
    assert is_business_day(day) is business


def test_add_business_days_skips_weekends_and_festivos() -> None:
    # Mon 7 Dec 2026: Tue 8 is a festivo, Fri 25 too -> the 15th business day is Wed 30
    assert add_business_days(date(2026, 12, 7), 1) == date(2026, 12, 9)
    assert add_business_days(date(2026, 12, 7), 15) == date(2026, 12, 30)
    # Fri 19 Mar 2027: Mon 22 (San José), Thu 25 and Fri 26 (Holy Week) are out
    assert add_business_days(date(2027, 3, 19), 5) == date(2027, 3, 31)
    # received on a Saturday: counting starts on the next business day
    assert add_business_days(date(2026, 12, 12), 1) == date(2026, 12, 14)
    assert add_business_days(date(2026, 12, 12), 0) == date(2026, 12, 12)
    with pytest.raises(ValueError):
        add_business_days(date(2026, 12, 12), -1)


def test_next_business_day_crosses_the_year() -> None:
    assert next_business_day(date(2026, 12, 31)) == date(2027, 1, 4)  # 1 Jan, weekend


def test_bogota_is_utc_minus_5() -> None:
    utc = datetime(2026, 7, 1, 3, 30, tzinfo=timezone.utc)
    assert to_bogota(utc) == bogota(2026, 6, 30, 22, 30)
    assert to_bogota(utc).utcoffset() == timedelta(hours=-5)
    assert bogota_now(lambda: utc) == bogota(2026, 6, 30, 22, 30)
    assert bogota_now().tzinfo is BOGOTA
    with pytest.raises(ValueError, match="naive"):
        to_bogota(datetime(2026, 7, 1, 3, 30))


def test_end_of_day_is_the_last_second_in_bogota() -> None:
    end = end_of_day(date(2026, 12, 30))
    assert end == bogota(2026, 12, 30, 23, 59, 59)
    assert end.astimezone(timezone.utc) == datetime(2026, 12, 31, 4, 59, 59, tzinfo=timezone.utc)


def test_business_hours_are_8_to_18_on_business_days() -> None:
    assert business_hours(date(2026, 12, 7)) == (bogota(2026, 12, 7, 8), bogota(2026, 12, 7, 18))
    assert business_hours(date(2026, 12, 8)) is None  # festivo
    assert business_hours(date(2026, 12, 12)) is None  # Saturday
    assert is_business_hours(bogota(2026, 12, 7, 8, 0))
    assert is_business_hours(bogota(2026, 12, 7, 17, 59))
    assert not is_business_hours(bogota(2026, 12, 7, 18, 0))
    assert not is_business_hours(bogota(2026, 12, 7, 7, 59))
    # 14:00 UTC is 09:00 in Bogotá
    assert is_business_hours(datetime(2026, 12, 7, 14, 0, tzinfo=timezone.utc))


@pytest.mark.parametrize(
    ("now", "opening"),
    [
        # during office hours: now
        (bogota(2026, 12, 7, 10, 15), bogota(2026, 12, 7, 10, 15)),
        # early morning of a business day: 08:00 the same day
        (bogota(2026, 12, 7, 6, 0), bogota(2026, 12, 7, 8, 0)),
        # Monday evening before the 8 Dec festivo: Wednesday
        (bogota(2026, 12, 7, 18, 0), bogota(2026, 12, 9, 8, 0)),
        # Christmas Eve night: Monday 28 (25 is a festivo, then the weekend)
        (bogota(2026, 12, 24, 20, 0), bogota(2026, 12, 28, 8, 0)),
        # Holy Wednesday 2027 evening: Monday 29 March
        (bogota(2027, 3, 24, 19, 0), bogota(2027, 3, 29, 8, 0)),
        # Saturday: Monday
        (bogota(2026, 12, 12, 11, 0), bogota(2026, 12, 14, 8, 0)),
    ],
)
def test_next_business_opening(now: datetime, opening: datetime) -> None:
    found = next_business_opening(now.astimezone(timezone.utc))
    assert found == opening
    assert found.tzinfo is BOGOTA
