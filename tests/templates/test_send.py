"""build_template: the Cloud API ``template`` object of a send (contract §4.3)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.templates import (
    Header,
    TemplateValueError,
    Variable,
    build_template,
    default_library,
    message_body,
)

LIBRARY = default_library()


def examples(name: str, language: str = "es") -> dict[str, str]:
    return dict(LIBRARY.get(name, language).variables())


def test_body_and_url_parameters_in_the_language_order() -> None:
    template = LIBRARY.get("payment_receipt", "es")
    values = {**examples("payment_receipt"), "amount": "$300.000", "reference": "FM-1"}
    obj = build_template(template, values)
    assert obj["name"] == "payment_receipt"
    assert obj["language"] == {"code": "es_CO"}
    body, button = obj["components"]
    assert body["type"] == "body"
    assert [p["text"] for p in body["parameters"]] == [
        "Laura",
        "$300.000",
        "Pasarela Otoño 2026",
        "General × 2",
        "FM-1",
        "12 de noviembre, 3:45 p. m.",
        "Nequi",
    ]
    assert all(p["type"] == "text" for p in body["parameters"])
    assert button == {
        "type": "button",
        "sub_type": "url",
        "index": "0",
        "parameters": [{"type": "text", "text": "FM-1"}],
    }


def test_media_header_takes_a_link_or_a_media_id() -> None:
    template = LIBRARY.get("event_announcement", "en")
    values = examples("event_announcement", "en")
    header = build_template(template, values)["components"][0]
    assert header == {
        "type": "header",
        "parameters": [{"type": "image", "image": {"link": values["poster_url"]}}],
    }
    values["poster_url"] = "1234567890"
    header = build_template(template, values)["components"][0]
    assert header["parameters"][0]["image"] == {"id": "1234567890"}
    values["poster_url"] = "ftp://example.com/a.jpg"
    with pytest.raises(TemplateValueError, match="https link or a media id"):
        build_template(template, values)


def test_quick_reply_payloads_default_to_the_library_and_can_be_overridden() -> None:
    template = LIBRARY.get("feedback_request", "es")
    obj = build_template(template, examples("feedback_request"), payloads={0: "/rate_5"})
    buttons = [c for c in obj["components"] if c["type"] == "button"]
    assert [b["index"] for b in buttons] == ["0", "1", "2", "3", "4"]
    assert buttons[0]["parameters"] == [{"type": "payload", "payload": "/rate_5"}]
    assert buttons[4]["parameters"] == [
        {"type": "payload", "payload": '/give_feedback{"rating": "1"}'}
    ]
    assert all(b["sub_type"] == "quick_reply" for b in buttons)


def test_a_quick_reply_without_payload_sends_no_button_component() -> None:
    template = LIBRARY.get("emergency_alert", "es")
    values = {"event": "Pasarela", "message": "Sal con calma por la puerta 3."}
    obj = build_template(template, values)
    indexes = [c["index"] for c in obj["components"] if c["type"] == "button"]
    assert indexes == ["1"]  # "Estoy bien" has no payload; the phone button takes none


def test_message_body_wraps_the_object() -> None:
    template = LIBRARY.get("checkin_welcome", "en")
    body = message_body(template, {"name": "Ana", "event": "Autumn Runway"})
    assert body["type"] == "template"
    assert body["template"]["language"] == {"code": "en"}


@pytest.mark.parametrize(
    ("values", "payloads", "expected"),
    [
        ({"name": "Ana"}, None, "missing event"),
        ({"name": "Ana", "event": "X", "city": "Medellín"}, None, "unknown city"),
        ({"name": "Ana", "event": ""}, None, "non-empty text"),
        ({"name": "Ana", "event": 7}, None, "non-empty text"),
        ({"name": "Ana", "event": "línea\nnueva"}, None, "newlines, tabs"),
        ({"name": "Ana", "event": "muchos      espacios"}, None, "newlines, tabs"),
        ({"name": "Ana", "event": "x" * 1000}, None, "at most 1024"),
        ({"name": "Ana", "event": "X"}, {5: "/x"}, "not quick replies"),
        ({"name": "Ana", "event": "X"}, {0: "x" * 257}, "1..256"),
    ],
)
def test_values_are_checked(
    values: dict[str, object], payloads: dict[int, str] | None, expected: str
) -> None:
    template = LIBRARY.get("checkin_welcome", "es")
    with pytest.raises(TemplateValueError, match=expected):
        build_template(template, values, payloads=payloads)  # type: ignore[arg-type]


def test_url_suffix_and_header_limits() -> None:
    receipt = LIBRARY.get("payment_receipt", "es")
    with pytest.raises(TemplateValueError, match="has spaces"):
        build_template(receipt, {**examples("payment_receipt"), "reference": "FM 1"})
    # A text header with a variable is hydrated and held to 60 characters.
    reminder = LIBRARY.get("event_reminder_1d", "es")
    with_var = replace(
        reminder, header=Header(text="Mañana es {{1}}", variables=(Variable("event", "X"),))
    )
    values = examples("event_reminder_1d")
    obj = build_template(with_var, values)
    assert obj["components"][0] == {
        "type": "header",
        "parameters": [{"type": "text", "text": values["event"]}],
    }
    with pytest.raises(TemplateValueError, match="the header would be"):
        build_template(with_var, {**values, "event": "x" * 60})
