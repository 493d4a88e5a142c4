"""bot.nlu_entities: quantities, languages and e-mails normalized from what people write."""

from __future__ import annotations

import pytest

from bot.nlu_entities import normalize_email, normalize_language, normalize_quantity

QUANTITIES = {
    # Spanish
    "dos": 2, "Dos": 2, "un par": 2, "un par de": 2, "par de": 2, "una": 1, "uno": 1,
    "una sola": 1, "solo una": 1, "tres": 3, "diez": 10, "doce": 12, "quince": 15,
    "dieciséis": 16, "veinte": 20, "veintidós": 22, "treinta y dos": 32, "cincuenta": 50,
    "media docena": 6, "una docena": 12, "unas 4": 4, "3 boletas": 3,
    # English
    "two": 2, "one": 1, "just one": 1, "a couple": 2, "a couple of": 2, "a pair": 2,
    "half a dozen": 6, "a dozen": 12, "ten": 10, "twenty": 20, "twenty-one": 21,
    "twenty one": 21, "fifty": 50,
    # digits
    "2": 2, "2x": 2, "x2": 2, "2 x": 2, "x 3": 3, "#2": 2, "10": 10, "99": 99,
}  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), QUANTITIES.items())
def test_quantities(text: str, expected: int) -> None:
    assert normalize_quantity(text) == expected


@pytest.mark.parametrize("text", ["cien", "muchas", "1.000", "", "boletas", "dos o tres y"])
def test_unknown_quantities(text: str) -> None:
    assert normalize_quantity(text) is None


LANGUAGES = {
    "inglés": "en", "ingles": "en", "Inglés": "en", "English": "en", "english": "en",
    "in English": "en", "en inglés": "en", "idioma ingles": "en", "en": "en",
    "español": "es", "espanol": "es", "Spanish": "es", "castellano": "es",
    "en español": "es", "portugués": "pt", "portugues": "pt", "Portuguese": "pt",
    "francés": "fr", "frances": "fr", "French": "fr", "français": "fr",
}  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), LANGUAGES.items())
def test_languages(text: str, expected: str) -> None:
    assert normalize_language(text) == expected


@pytest.mark.parametrize("text", ["klingon", "", "alemán"])
def test_unknown_languages(text: str) -> None:
    assert normalize_language(text) is None


def test_emails() -> None:
    assert normalize_email(" Laura.Gomez@Gmail.COM ") == ("laura.gomez@gmail.com", True)
    assert normalize_email("<pipe.arango@gmail.com>.") == ("pipe.arango@gmail.com", True)
    assert normalize_email("mailto:Casting@Fashionistas.co") == ("casting@fashionistas.co", True)
    assert normalize_email("laura@gmail") == ("laura@gmail", False)
    assert normalize_email("no-at-sign.com") == ("no-at-sign.com", False)
