"""Reading a rating out of a tap or of words, and telling a rating from an opinion."""

from __future__ import annotations

import pytest

from bot.feedback import is_no_comment, is_offer_to_rate, parse_rating, rating_only


@pytest.mark.parametrize(
    ("text", "rating"),
    [
        ("5", 5),
        ("4 de 5", 4),
        ("10/10", 5),
        ("8 de 10, muy bacano", 4),
        ("le doy 4 estrellas, el sonido falló", 4),
        ("cinco estrellas", 5),
        ("3 stars", 3),
        ("I give it 2", 2),
        ("⭐⭐⭐", 3),
        ("4,5 estrellas", 5),
        ("llegué a las 8", None),
        ("me encantó", None),
        ("éramos 5 amigas y la pasamos brutal", None),
        ("7", None),
    ],
)
def test_ratings_in_words(text: str, rating: int | None) -> None:
    assert parse_rating(text) == rating


def test_the_buttons_entity_wins() -> None:
    assert parse_rating('/give_feedback{"rating": "4"}', "4") == 4
    assert parse_rating(None, "9") is None


@pytest.mark.parametrize(
    ("text", "only"),
    [
        ("5", True),
        ("4/5", True),
        ("⭐⭐⭐⭐", True),
        ('/give_feedback{"rating": "2"}', True),
        ("5 estrellas, me encantó", False),
        ("el sonido", False),
    ],
)
def test_a_bare_rating_is_no_opinion(text: str, only: bool) -> None:
    assert rating_only(text) is only


@pytest.mark.parametrize(
    ("text", "none"),
    [
        ("no", True),
        ("No, gracias", True),
        ("nada", True),
        ("/deny", True),
        ("nothing", True),
        ("la música muy buena", False),
    ],
)
def test_no_comment_answers(text: str, none: bool) -> None:
    assert is_no_comment(text) is none


@pytest.mark.parametrize(
    ("text", "offer"),
    [
        ("quiero calificar el evento", True),
        ("I'd like to leave a review", True),
        ("quiero dar mi opinion: estuvo malo el sonido", False),
        ("estuvo brutal", False),
    ],
)
def test_an_offer_to_rate_is_not_an_opinion(text: str, offer: bool) -> None:
    assert is_offer_to_rate(text) is offer
