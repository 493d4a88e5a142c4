"""bot.nlu_dates: Spanish and English date expressions resolved to Bogotá time.

The clock is fixed at Wednesday 2026-11-25 15:00 in Bogotá (UTC−5) unless a test says
otherwise; expected values are the formats of docs/decisions/entities.md.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from bot.nlu_dates import BOGOTA, resolve_date

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=BOGOTA)  # a Wednesday


def value(text: str, now: datetime = NOW, **kwargs: Any) -> Any:
    resolved = resolve_date(text, now, **kwargs)
    return None if resolved is None else resolved.value


def day_range(first: str, last: str, grain: str = "day") -> dict[str, str]:
    return {"from": first, "to": last, "grain": grain}


def evening(day: str, first: int = 18, last: int = 23) -> dict[str, str]:
    return {
        "from": f"{day}T{first:02d}:00:00-05:00",
        "to": f"{day}T{last:02d}:59:59-05:00",
        "grain": "part_of_day",
    }


DAYS = {
    # Spanish, with and without accents, with the article people put in front
    "el sábado": "2026-11-28",
    "el sabado": "2026-11-28",
    "sabado": "2026-11-28",
    "del sábado": "2026-11-28",
    "este sábado": "2026-11-28",
    "el próximo sábado": "2026-11-28",
    "el otro sábado": "2026-12-05",
    "el viernes": "2026-11-27",
    "el lunes": "2026-11-30",
    "el miércoles": "2026-11-25",  # today is Wednesday
    "el sábado pasado": "2026-11-21",
    "hoy": "2026-11-25",
    "mañana": "2026-11-26",
    "manana": "2026-11-26",
    "pasado mañana": "2026-11-27",
    "pasado manana": "2026-11-27",
    "ayer": "2026-11-24",
    "antier": "2026-11-23",
    "el 12 de diciembre": "2026-12-12",
    "12 de dic": "2026-12-12",
    "12 dic.": "2026-12-12",
    "el 11 de diciembre de 2026": "2026-12-11",
    "el 5 de enero": "2027-01-05",  # already past this year: next year
    "el 23 de enero": "2027-01-23",
    "primero de enero": "2027-01-01",
    "1ro de enero": "2027-01-01",
    "el 11/12": "2026-12-11",  # day first, as written in Colombia
    "11/12/2026": "2026-12-11",
    "2026-12-11": "2026-12-11",
    "el 12": "2026-12-12",  # the next 12th
    "el viernes 11": "2026-12-11",
    "viernes 11 de diciembre": "2026-12-11",
    "sabado 23": "2027-01-23",  # the next 23rd that is a Saturday
    "en 3 días": "2026-11-28",
    "dentro de dos semanas": "2026-12-09",
    "para navidad": "2026-12-25",
    # English
    "Saturday": "2026-11-28",
    "on Friday": "2026-11-27",
    "this Friday": "2026-11-27",
    "next Friday": "2026-11-27",
    "last Friday": "2026-11-20",
    "today": "2026-11-25",
    "tomorrow": "2026-11-26",
    "the day after tomorrow": "2026-11-27",
    "yesterday": "2026-11-24",
    "December 12": "2026-12-12",
    "on December 11": "2026-12-11",
    "Dec 12th": "2026-12-12",
    "the 12th of December": "2026-12-12",
    "January 23": "2027-01-23",
    "the 12th": "2026-12-12",
    "in 2 days": "2026-11-27",
    "christmas eve": "2026-12-24",
}


@pytest.mark.parametrize(("text", "expected"), DAYS.items())
def test_days(text: str, expected: str) -> None:
    resolved = resolve_date(text, NOW)
    assert resolved is not None, text
    assert (resolved.value, resolved.grain) == (expected, "day")


MOMENTS = {
    # no am/pm: hours 1-6 are afternoons, 7-11 evenings (shows)
    "mañana a las 8": "2026-11-26T20:00:00-05:00",
    "el viernes a las 7": "2026-11-27T19:00:00-05:00",
    "el sábado, a las 8": "2026-11-28T20:00:00-05:00",
    "a las 8": "2026-11-25T20:00:00-05:00",  # still ahead today
    "a las 3": "2026-11-26T15:00:00-05:00",  # 15:00 has just passed: tomorrow
    "las 5": "2026-11-25T17:00:00-05:00",
    "a la 1": "2026-11-26T13:00:00-05:00",
    "a las ocho": "2026-11-25T20:00:00-05:00",
    "a las 8 y media": "2026-11-25T20:30:00-05:00",
    # explicit
    "mañana a las 8 de la mañana": "2026-11-26T08:00:00-05:00",
    "mañana a las 8:30 pm": "2026-11-26T20:30:00-05:00",
    "hoy a las 3 pm": "2026-11-25T15:00:00-05:00",
    "de las 7 am": "2026-11-26T07:00:00-05:00",
    "a las 8 de la noche": "2026-11-25T20:00:00-05:00",
    "a las 3 de la tarde": "2026-11-26T15:00:00-05:00",
    "a las 12 de la noche": "2026-11-26T00:00:00-05:00",
    "al mediodía": "2026-11-26T12:00:00-05:00",
    "sábado a las 9 p. m.": "2026-11-28T21:00:00-05:00",
    "el miércoles a las 2 pm": "2026-12-02T14:00:00-05:00",  # today's 2 pm is past
    "20:00": "2026-11-25T20:00:00-05:00",
    "07:30": "2026-11-26T07:30:00-05:00",  # a leading zero is a 24-hour clock
    "tomorrow at 8pm": "2026-11-26T20:00:00-05:00",
    "tomorrow at 8": "2026-11-26T20:00:00-05:00",
    "at 10am": "2026-11-26T10:00:00-05:00",
    "at 2": "2026-11-26T14:00:00-05:00",
    "friday at 7:30 pm": "2026-11-27T19:30:00-05:00",
    "at eight pm": "2026-11-25T20:00:00-05:00",
    "8 PM": "2026-11-25T20:00:00-05:00",
}


@pytest.mark.parametrize(("text", "expected"), MOMENTS.items())
def test_moments(text: str, expected: str) -> None:
    resolved = resolve_date(text, NOW)
    assert resolved is not None, text
    assert resolved.value == expected
    assert resolved.grain in ("hour", "minute")


def test_hour_without_am_pm_is_flagged_as_assumed() -> None:
    assumed = resolve_date("mañana a las 8", NOW)
    explicit = resolve_date("mañana a las 8 pm", NOW)
    assert assumed and assumed.details["meridiem"] == "assumed" and assumed.grain == "hour"
    assert explicit and explicit.details["meridiem"] == "explicit"


def test_mornings_for_castings_and_fittings() -> None:
    """With ``morning=True`` (casting intents) 7-11 stay mornings; 1-6 stay afternoons."""
    assert value("mañana a las 8", morning=True) == "2026-11-26T08:00:00-05:00"
    assert value("tomorrow at 9", morning=True) == "2026-11-26T09:00:00-05:00"
    assert value("a las 3", morning=True) == "2026-11-26T15:00:00-05:00"
    assert value("a las 8 de la noche", morning=True) == "2026-11-25T20:00:00-05:00"


RANGES = {
    "del 10 al 20 de diciembre": day_range("2026-12-10", "2026-12-20"),
    "10-20 de diciembre": day_range("2026-12-10", "2026-12-20"),
    "from December 10 to 20": day_range("2026-12-10", "2026-12-20"),
    "december 10-20": day_range("2026-12-10", "2026-12-20"),
    "del viernes al domingo": day_range("2026-11-27", "2026-11-29"),
    "sábado y domingo": day_range("2026-11-28", "2026-11-29"),
    "hasta el 15": day_range("2026-11-25", "2026-12-15"),
    "until the 15th": day_range("2026-11-25", "2026-12-15"),
    "el finde": day_range("2026-11-28", "2026-11-29"),
    "este fin de semana": day_range("2026-11-28", "2026-11-29"),
    "del fin de semana": day_range("2026-11-28", "2026-11-29"),
    "this weekend": day_range("2026-11-28", "2026-11-29"),
    "this finde": day_range("2026-11-28", "2026-11-29"),
    "el otro finde": day_range("2026-12-05", "2026-12-06"),
    "esta semana": day_range("2026-11-25", "2026-11-29", "week"),
    "la otra semana": day_range("2026-11-30", "2026-12-06", "week"),
    "next week": day_range("2026-11-30", "2026-12-06", "week"),
    "diciembre": day_range("2026-12-01", "2026-12-31", "month"),
    "en diciembre": day_range("2026-12-01", "2026-12-31", "month"),
    "in December": day_range("2026-12-01", "2026-12-31", "month"),
    "en febrero": day_range("2027-02-01", "2027-02-28", "month"),
    "Feb": day_range("2027-02-01", "2027-02-28", "month"),
    "este mes": day_range("2026-11-01", "2026-11-30", "month"),
    "el próximo mes": day_range("2026-12-01", "2026-12-31", "month"),
    "next month": day_range("2026-12-01", "2026-12-31", "month"),
    "entre enero y marzo": day_range("2027-01-01", "2027-03-31", "month"),
    "between January and March": day_range("2027-01-01", "2027-03-31", "month"),
    "este año": day_range("2026-01-01", "2026-12-31", "year"),
    "in 2027": day_range("2027-01-01", "2027-12-31", "year"),
    "esta noche": evening("2026-11-25"),
    "hoy en la noche": evening("2026-11-25"),
    "tonight": evening("2026-11-25"),
    "mañana en la noche": evening("2026-11-26"),
    "el sábado en la noche": evening("2026-11-28"),
    "tomorrow night": evening("2026-11-26"),
    "anoche": evening("2026-11-24"),
    "last night": evening("2026-11-24"),
    "Saturday morning": evening("2026-11-28", 6, 11),
    "mañana en la mañana": evening("2026-11-26", 6, 11),
    "this afternoon": evening("2026-11-25", 12, 17),
}


@pytest.mark.parametrize(("text", "expected"), RANGES.items())
def test_ranges(text: str, expected: dict[str, str]) -> None:
    resolved = resolve_date(text, NOW)
    assert resolved is not None, text
    assert resolved.value == expected
    assert resolved.grain == expected["grain"]


# --- month and year rollover -----------------------------------------------------------
DECEMBER = datetime(2026, 12, 10, 11, 0, tzinfo=BOGOTA)
NEW_YEARS_EVE = datetime(2026, 12, 30, 10, 0, tzinfo=BOGOTA)  # a Wednesday


def test_january_asked_in_december_is_next_year() -> None:
    assert value("el 5 de enero", DECEMBER) == "2027-01-05"
    assert value("5/1", DECEMBER) == "2027-01-05"
    assert value("enero", DECEMBER) == day_range("2027-01-01", "2027-01-31", "month")


def test_the_current_month_stays_this_year() -> None:
    assert value("diciembre", DECEMBER) == day_range("2026-12-01", "2026-12-31", "month")
    assert value("noviembre", DECEMBER) == day_range("2027-11-01", "2027-11-30", "month")
    assert value("el 8 de diciembre", DECEMBER) == "2027-12-08"  # already past
    assert value("el 12", DECEMBER) == "2026-12-12"
    assert value("el 5", DECEMBER) == "2027-01-05"  # the next 5th


def test_weekdays_and_relative_days_cross_the_year() -> None:
    assert value("el sábado", NEW_YEARS_EVE) == "2027-01-02"
    assert value("pasado mañana", NEW_YEARS_EVE) == "2027-01-01"
    assert value("el finde", NEW_YEARS_EVE) == day_range("2027-01-02", "2027-01-03")
    assert value("la otra semana", NEW_YEARS_EVE) == day_range("2027-01-04", "2027-01-10", "week")
    assert value("next month", NEW_YEARS_EVE) == day_range("2027-01-01", "2027-01-31", "month")


def test_a_range_over_new_year_asked_inside_it() -> None:
    christmas = datetime(2026, 12, 25, 12, 0, tzinfo=BOGOTA)
    assert value("del 20 de diciembre al 5 de enero", christmas) == day_range(
        "2026-12-20", "2027-01-05"
    )
    assert value("del 28 de diciembre al 3 de enero", NOW) == day_range("2026-12-28", "2027-01-03")


def test_weekend_asked_on_the_weekend() -> None:
    saturday = datetime(2026, 11, 28, 10, 0, tzinfo=BOGOTA)
    sunday = datetime(2026, 11, 29, 10, 0, tzinfo=BOGOTA)
    assert value("este finde", saturday) == day_range("2026-11-28", "2026-11-29")
    assert value("este finde", sunday) == day_range("2026-11-29", "2026-11-29")
    assert value("el próximo finde", saturday) == day_range("2026-12-05", "2026-12-06")
    assert value("el sábado", saturday) == "2026-11-28"
    assert value("el próximo sábado", saturday) == "2026-12-05"


def test_bogota_time_whatever_the_clock_zone() -> None:
    """The same instant given in UTC: 02:00 UTC on the 26th is still the 25th in Bogotá."""
    utc = datetime(2026, 11, 26, 2, 0, tzinfo=timezone.utc)
    assert value("hoy", utc) == "2026-11-25"
    assert value("mañana a las 8 pm", utc) == "2026-11-26T20:00:00-05:00"
    assert BOGOTA.utcoffset(datetime(2026, 7, 1)) == timedelta(hours=-5)  # no DST


UNRESOLVED = [
    "vacaciones",
    "this season",
    "a las 25",
    "31 de febrero",
    "99",
    "mas tarde que nunca",
    "",
    "x" * 200,
]


@pytest.mark.parametrize("text", UNRESOLVED)
def test_what_is_not_a_date_stays_unresolved(text: str) -> None:
    assert resolve_date(text, NOW) is None


def test_dateparser_fallback_and_its_switch() -> None:
    """Forms outside the grammar go to dateparser, reported as its source."""
    for text in ("dentro de un mes", "in a month"):
        resolved = resolve_date(text, NOW)
        assert resolved is not None and resolved.value == "2026-12-25", text
        assert resolved.details.get("source") == "dateparser"
        assert resolve_date(text, NOW, use_dateparser=False) is None
    in_two_hours = resolve_date("en 2 horas", NOW)
    assert in_two_hours is not None and in_two_hours.value == "2026-11-25T17:00:00-05:00"


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        resolve_date("mañana", datetime(2026, 11, 25, 15, 0))
