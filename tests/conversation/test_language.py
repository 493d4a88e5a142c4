"""bot.language.detect_language: Spanish-biased, sticky, cheap."""

from __future__ import annotations

import time

import pytest

from bot.language import detect_language


@pytest.mark.parametrize(
    ("text", "current", "expected"),
    [
        # the examples of the brief
        ("hola parce", None, "es"),
        ("hi", None, "en"),
        ("hello", None, "en"),
        ("qué más pues", None, "es"),
        ("ok", "en", "en"),
        ("ok", None, "es"),
        ("I want two tickets for the show please", None, "en"),
        ("quiero dos boletas para el desfile", None, "es"),
        ("👍", None, "es"),
        ("👍", "en", "en"),
        # short messages: clear markers switch, anything else keeps the language
        ("Hello!", "es", "en"),
        ("hey there", None, "en"),
        ("good morning", "es", "en"),
        ("thanks", "es", "en"),
        ("thank you!!", None, "en"),
        ("bye", None, "en"),
        ("please", "es", "en"),
        ("how much?", "es", "en"),
        ("tickets", "es", "en"),
        ("hola", "en", "es"),
        ("Holaaa", None, "es"),
        ("buenas", "en", "es"),
        ("gracias", "en", "es"),
        ("mil gracias", "en", "es"),
        ("QUE MAS", "en", "es"),
        ("chao", "en", "es"),
        ("vip", "en", "en"),
        ("vip", None, "es"),
        ("2", "en", "en"),
        ("3001234567", None, "es"),
        ("", None, "es"),
        ("   ", "en", "en"),
        ("🎉🎉", "es", "es"),
        ("ok ok", "en", "en"),
        ("asdfgh", None, "es"),
        ("asdfgh", "en", "en"),
        ("Colombiamoda", "en", "en"),
        # longer messages: langdetect plus markers
        ("can I talk to a human", "es", "en"),
        ("quiero hablar con alguien", "en", "es"),
        ("how much is a VIP ticket for friday", "es", "en"),
        ("cuanto vale la boleta vip para el viernes", "en", "es"),
        ("me regalas dos boletas vip", "en", "es"),
        ("buenas tardes, una pregunta", "en", "es"),
        ("where is the venue and is there parking", None, "en"),
        ("donde queda el lugar y hay parqueadero", "en", "es"),
        ("send me the QR again pls", None, "en"),
        ("mandame el qr otra vez porfa", "en", "es"),
        ("usted es un robot?", "en", "es"),
        ("vos sos un bot?", "en", "es"),
        ("are you a bot?", "es", "en"),
        ("Necesito ayuda con mi pago por Nequi", "en", "es"),
        ("I paid with PSE but did not get my ticket", "es", "en"),
        # Spanglish: the majority language wins
        ("hi, quiero dos boletas para el desfile", None, "es"),
        ("hola, I want two tickets please", None, "en"),
    ],
)
def test_detect_language(text: str, current: str | None, expected: str) -> None:
    assert detect_language(text, current) == expected


def test_result_is_always_supported() -> None:
    for text in ["bonjour", "obrigado", "danke schön", "ciao bella", "привет", "1234", "?!"]:
        assert detect_language(text) in ("es", "en")
        assert detect_language(text, "en") in ("es", "en")


def test_unknown_current_language_falls_back_to_spanish() -> None:
    assert detect_language("ok", "fr") == "es"


def test_deterministic() -> None:
    text = "quiero saber el horario del desfile de mañana"
    assert {detect_language(text) for _ in range(5)} == {"es"}


def test_cheap_enough_for_every_message() -> None:
    detect_language("warm up the profiles once")
    texts = [f"quiero {n} boletas para el desfile numero {n}" for n in range(200)]
    start = time.perf_counter()
    for text in texts:
        detect_language(text, "es")
    per_message = (time.perf_counter() - start) / len(texts)
    assert per_message < 0.01, f"{per_message * 1000:.2f} ms per message"
