"""The chat's broadcast helpers: times in words, audiences, variables from an event."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from bot.broadcasts.chat import Audience, parse_audience, parse_when, slug, when_options
from bot.calendar import to_bogota

#: Wednesday 25 November 2026, 18:00 Bogotá
NOW = datetime(2026, 11, 25, 23, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("text", "local"),
    [
        ("sábado 10 a. m.", (2026, 11, 28, 10)),
        ("el sabado a las 10", (2026, 11, 28, 10)),
        ("el sábado a las 10 de la mañana", (2026, 11, 28, 10)),
        ("next Saturday at 10am", (2026, 11, 28, 10)),
        ("mañana 9:00", (2026, 11, 26, 9)),
        ("25 de diciembre 9:00", (2026, 12, 25, 9)),
        ("2026-11-28T10:00:00-05:00", (2026, 11, 28, 10)),
    ],
)
def test_times_in_words_are_bogota_times(text: str, local: tuple[int, int, int, int]) -> None:
    moment = to_bogota(parse_when(text, NOW, "es"))
    assert (moment.year, moment.month, moment.day, moment.hour) == local


def test_now_and_nonsense() -> None:
    assert parse_when("ahora", NOW, "es") == NOW
    assert parse_when("now", NOW, "en") == NOW
    assert parse_when("blabla", NOW, "es") is None
    assert parse_when("", NOW, "es") is None


def test_the_buttons_offer_now_saturday_and_tomorrow_at_ten() -> None:
    options = dict(when_options(NOW))
    assert options["when_now"] == "now"
    assert options["when_saturday"].startswith("2026-11-28T10:00:00-05:00")
    assert options["when_tomorrow"].startswith("2026-11-26T10:00:00-05:00")


def test_audiences() -> None:
    assert parse_audience("holders:12") == Audience("holders", 12)
    assert parse_audience("holders:12").segment() == {"event_id": 12}
    assert parse_audience("optin:3").segment() == {"marketing_opt_in": True}
    assert parse_audience("everyone:1") is None and parse_audience(None) is None


def test_slug() -> None:
    assert slug("Medellín Fashion Night 2026") == "medellin-fashion-night-2026"
