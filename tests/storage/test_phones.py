"""wa_id normalisation and E.164 formatting (region CO when no country code)."""

from __future__ import annotations

import pytest

from bot.storage.phones import normalize_wa_id, to_e164


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("573001234567", "+573001234567"),  # WhatsApp wa_id: country code included
        ("+57 300 123 4567", "+573001234567"),
        ("3001234567", "+573001234567"),  # typed Colombian mobile, no country code
        ("(300) 123-4567", "+573001234567"),
        ("576042345678", "+576042345678"),  # Medellín landline (60x plan) as a wa_id
        ("14155550123", "+14155550123"),
        ("442071838750", "+442071838750"),
        ("5215512345678", "+5215512345678"),  # Mexican wa_id keeps its legacy 1
        ("999000111222", "+999000111222"),  # unknown range: digits kept as given
    ],
)
def test_to_e164(raw: str, expected: str) -> None:
    assert to_e164(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("573001234567", "573001234567"), (" +57 300-123-4567 ", "573001234567")],
)
def test_normalize_wa_id(raw: str, expected: str) -> None:
    assert normalize_wa_id(raw) == expected


@pytest.mark.parametrize("raw", ["", "abc", "12345", "1234567890123456", "57300123456a"])
def test_normalize_wa_id_rejects(raw: str) -> None:
    with pytest.raises(ValueError):
        normalize_wa_id(raw)


def test_normalize_wa_id_requires_a_string() -> None:
    with pytest.raises(TypeError):
        normalize_wa_id(573001234567)  # type: ignore[arg-type]
