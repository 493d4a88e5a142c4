"""bot.replies: WhatsApp limits are enforced when messages are built."""

from __future__ import annotations

import pytest

from bot.replies import (
    Option,
    buttons_message,
    document_payload,
    image_payload,
    list_as_text,
    list_message,
    location_payload,
    options_message,
)


def opts(n: int) -> list[Option]:
    return [Option(f"/intent_{i}", f"Opción {i}", f"Descripción {i}") for i in range(n)]


def test_buttons_message_shape() -> None:
    message = buttons_message("¿Qué hacemos?", opts(2))
    assert message == {
        "text": "¿Qué hacemos?",
        "buttons": [
            {"title": "Opción 0", "payload": "/intent_0"},
            {"title": "Opción 1", "payload": "/intent_1"},
        ],
    }


@pytest.mark.parametrize(
    "options",
    [
        [],
        opts(4),
        [Option("/a", "x" * 21)],
        [Option("/a", "Igual"), Option("/b", "Igual")],
        [Option("/a", "  ")],
    ],
)
def test_buttons_message_rejects_what_whatsapp_rejects(options: list[Option]) -> None:
    with pytest.raises(ValueError):
        buttons_message("texto", options)


def test_list_message_shape_and_text_rendering() -> None:
    payload = list_message("Elige", "Ver opciones", [("Sección", opts(5))], footer="Pie")
    assert payload["type"] == "list"
    assert payload["button"] == "Ver opciones"
    assert payload["footer"] == "Pie"
    assert payload["sections"][0]["rows"][0] == {
        "id": "/intent_0",
        "title": "Opción 0",
        "description": "Descripción 0",
    }
    text = list_as_text(payload)
    assert text.startswith("Elige")
    assert "• *Opción 4*: Descripción 4" in text


@pytest.mark.parametrize(
    ("button", "sections"),
    [
        ("Ver opciones", [("Sección", opts(11))]),
        ("Ver opciones", [("A", opts(6)), ("B", [Option(f"/b{i}", "t") for i in range(5)])]),
        ("x" * 21, [("Sección", opts(4))]),
        ("Ver", [("s" * 25, opts(4))]),
        ("Ver", [("Sección", [Option("/a", "t" * 25)])]),
        ("Ver", [("Sección", [Option("/a", "t", "d" * 73)])]),
        ("Ver", [("Sección", [Option("/a", "t"), Option("/a", "u")])]),
        ("Ver", []),
    ],
)
def test_list_message_rejects_what_whatsapp_rejects(button: str, sections: list) -> None:
    with pytest.raises(ValueError):
        list_message("Elige", button, sections)


def test_options_message_picks_the_shape() -> None:
    assert options_message("Hola", [], list_button="Ver", section_title="S") == {"text": "Hola"}
    assert "buttons" in options_message("Hola", opts(3), list_button="Ver", section_title="S")
    as_list = options_message("Hola", opts(4), list_button="Ver", section_title="S")
    assert as_list["json_message"]["type"] == "list"
    assert as_list["text"] == list_as_text(as_list["json_message"])


def test_media_payloads() -> None:
    assert location_payload(6.2, -75.5, "Plaza Mayor", "Cl. 41 #55-80") == {
        "type": "location",
        "latitude": 6.2,
        "longitude": -75.5,
        "name": "Plaza Mayor",
        "address": "Cl. 41 #55-80",
    }
    assert document_payload("https://x/y.pdf", "y.pdf") == {
        "type": "document",
        "link": "https://x/y.pdf",
        "filename": "y.pdf",
    }
    assert image_payload("https://x/qr.png", "Tu boleta")["caption"] == "Tu boleta"
