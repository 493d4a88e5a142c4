"""bot.privacy: legal deadlines of Habeas Data requests in Colombian business days."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from bot.calendar import BOGOTA
from bot.language_choice import requested_language
from bot.privacy import TERM_BUSINESS_DAYS, due_at, format_due_date, request_number


def test_the_terms_are_the_laws() -> None:
    assert TERM_BUSINESS_DAYS == {"access": 10, "erasure": 15, "rectification": 15}


@pytest.mark.parametrize(
    ("received_utc", "due_day"),
    [
        # Mon 7 Dec 2026, 10:00 Bogotá: 8 Dec and 25 Dec are festivos
        (datetime(2026, 12, 7, 15, 0, tzinfo=timezone.utc), date(2026, 12, 30)),
        # Mon 7 Dec at 23:30 Bogotá is already Tue 8 Dec in UTC: the Bogotá date counts
        (datetime(2026, 12, 8, 4, 30, tzinfo=timezone.utc), date(2026, 12, 30)),
        # received on the festivo itself (Tue 8 Dec): counting starts Wed 9
        (datetime(2026, 12, 8, 15, 0, tzinfo=timezone.utc), date(2026, 12, 30)),
        # Wed 9 Dec: one more business day
        (datetime(2026, 12, 9, 15, 0, tzinfo=timezone.utc), date(2026, 12, 31)),
        # Holy Week 2027: Fri 19 Mar; San José Mon 22, Thu 25 and Fri 26 are out
        (datetime(2027, 3, 19, 15, 0, tzinfo=timezone.utc), date(2027, 4, 14)),
    ],
)
def test_erasure_is_due_15_business_days_after_receipt(
    received_utc: datetime, due_day: date
) -> None:
    due = due_at("erasure", received_utc)
    assert due == datetime(due_day.year, due_day.month, due_day.day, 23, 59, 59, tzinfo=BOGOTA)


def test_an_access_request_gets_10_business_days() -> None:
    received = datetime(2026, 12, 7, 15, 0, tzinfo=timezone.utc)
    assert due_at("access", received).date() == date(2026, 12, 22)


def test_request_number() -> None:
    assert request_number(42) == "HD-00042"
    assert request_number(123456) == "HD-123456"


def test_due_dates_are_written_in_the_users_language() -> None:
    due = due_at("erasure", datetime(2026, 12, 7, 15, 0, tzinfo=timezone.utc))
    assert format_due_date("es", due) == "miércoles 30 de diciembre de 2026"
    assert format_due_date("en", due) == "Wednesday, December 30, 2026"
    assert format_due_date("fr", date(2027, 4, 12)) == "lunes 12 de abril de 2027"


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["en"], "en"),
        (["Inglés"], "en"),
        (["castellano"], "es"),
        (["Spanish"], "es"),
        (["pt"], "pt"),
        (["portugués"], "pt"),
        (["klingon"], "klingon"),
        ([], None),
        (["", None, "es"], "es"),
    ],
)
def test_requested_language(values: list, expected: str | None) -> None:
    assert requested_language(values) == expected
