"""The validator and the loader fail loudly on every contract violation."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from bot.templates import (
    Button,
    Header,
    Library,
    LibraryError,
    TemplateDef,
    Variable,
    library_problems,
    load_library,
    validate_library,
)
from bot.templates.validate import template_problems

NAME = Variable("name", "Laura")
EVENT = Variable("event", "Pasarela Otoño 2026")


def tpl(**changes: object) -> TemplateDef:
    """A valid template; ``changes`` break one thing at a time."""
    base = TemplateDef(
        name="event_reminder_1d",
        language="es_CO",
        category="UTILITY",
        header=Header(text="Mañana es el día"),
        body="Hola, {{1}}. ¡Mañana es *{{2}}*! Te esperamos.",
        body_variables=(NAME, EVENT),
        footer="Fashionistas Medellín",
        buttons=(
            Button("QUICK_REPLY", "Ver mi entrada", payload="/resend_ticket"),
            Button(
                "URL",
                "Cómo llegar",
                url="https://fashionistas.co/llegar/{{1}}",
                variables=(Variable("event_slug", "pasarela"),),
            ),
        ),
    )
    return dataclasses.replace(base, **changes)


def problems_of(**changes: object) -> str:
    return "\n".join(template_problems(tpl(**changes)))


def test_the_base_template_is_valid() -> None:
    assert template_problems(tpl()) == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        # naming and vocabulary
        ({"name": "Event_Reminder"}, "name must be lowercase"),
        ({"name": "recordatorio-1d"}, "name must be lowercase"),
        ({"name": "a" * 513}, "name must be lowercase"),
        ({"language": "es"}, "language must be one of es_CO, en"),
        ({"category": "AUTHENTICATION"}, "category must be one of MARKETING, UTILITY"),
        # body: length, numbering, examples, position
        ({"body": ""}, "body text is required"),
        ({"body": "Hola {{1}}, " + "x" * 1020 + " fin", "body_variables": (NAME,)}, "at most 1024"),
        ({"body": "Hola, {{2}} y {{1}}. Listo."}, "in order of first appearance"),
        ({"body": "Hola, {{1}} y {{3}}. Listo."}, "in order of first appearance"),
        ({"body": "Hola, {{1}}. Listo.", "body_variables": (NAME, EVENT)}, "uses 1 variable(s)"),
        ({"body": "Hola, {{ 1 }} y {{2}}. Listo."}, "malformed variable"),
        ({"body": "Hola, {name} y {{1}} {{2}}. Listo."}, "malformed variable"),
        ({"body": "{{1}}, mañana es {{2}}. Te esperamos."}, "must not start or end"),
        ({"body": "¡{{1}}! Mañana es {{2}}. Te esperamos."}, "must not start or end"),
        ({"body": "Hola, mañana es {{2}} para {{1}}."}, "must not start or end"),
        ({"body": "Hola, {{1}}. Mañana es *{{2}}*"}, "must not start or end"),
        ({"body_variables": (NAME, Variable("event", ""))}, "needs an example value"),
        ({"body_variables": (NAME, Variable("event", "línea\notra"))}, "newline, tab"),
        ({"body_variables": (NAME, Variable("Event", "x"))}, "must be snake_case"),
        ({"body_variables": (NAME, Variable("name", "Ana"))}, "declared twice"),
        ({"body_variables": (NAME, Variable("event", "x" * 1020))}, "with its examples is"),
        # header
        ({"header": Header(text="x" * 61)}, "header text must be 1..60"),
        ({"header": Header(text="")}, "header text must be 1..60"),
        ({"header": Header(text="Mañana es el día ✨")}, "cannot have newlines, emoji"),
        ({"header": Header(text="*Mañana*")}, "cannot have newlines, emoji"),
        (
            {"header": Header(text="{{1}} y {{2}}", variables=(EVENT, Variable("b", "c")))},
            "at most one variable",
        ),
        ({"header": Header(text="Mañana es {{1}}")}, "header uses 1 variable(s) but declares 0"),
        ({"header": Header(format="IMAGE")}, "needs exactly one variable"),
        (
            {"header": Header(format="IMAGE", variables=(Variable("poster", "http://x/a.jpg"),))},
            "https URL",
        ),
        ({"header": Header(format="AUDIO")}, "header format must be one of"),
        (
            {"header": Header(text="Mañana es {{1}}", variables=(Variable("event", "x" * 60),))},
            "header with its example is 70",
        ),
        # footer
        ({"footer": "x" * 61}, "footer must be 1..60"),
        ({"footer": "Hola {{1}}"}, "footer cannot have variables"),
        # buttons
        ({"buttons": tuple(Button("QUICK_REPLY", f"Opción {i}") for i in range(11))}, "at most 10"),
        ({"buttons": (Button("QUICK_REPLY", "x" * 26),)}, "text must be 1..25"),
        ({"buttons": (Button("QUICK_REPLY", "Sí"), Button("QUICK_REPLY", "Sí"))}, "unique"),
        ({"buttons": (Button("COPY_CODE", "Copiar"),)}, "type must be one of"),
        ({"buttons": (Button("QUICK_REPLY", "Sí", payload="x" * 257),)}, "payload must be 1..256"),
        ({"buttons": (Button("URL", "Ver", url="http://fashionistas.co"),)}, "https URL"),
        (
            {"buttons": (Button("URL", "Ver", url="https://f.co/{{1}}/x", variables=(EVENT,)),)},
            "at its end",
        ),
        ({"buttons": (Button("URL", "Ver", url="https://f.co/{{1}}"),)}, "uses 1 variable(s)"),
        (
            {"buttons": tuple(Button("URL", f"Ver {i}", url="https://f.co") for i in range(3))},
            "at most 2 URL buttons",
        ),
        (
            {
                "buttons": (
                    Button("PHONE_NUMBER", "Llamar", phone_number="573145550100"),
                    Button("PHONE_NUMBER", "Llamar 2", phone_number="573145550101"),
                )
            },
            "at most 1 PHONE_NUMBER",
        ),
        ({"buttons": (Button("PHONE_NUMBER", "Llamar", phone_number="123"),)}, "country code"),
        (
            {
                "buttons": (
                    Button("QUICK_REPLY", "Sí"),
                    Button("URL", "Ver", url="https://f.co"),
                    Button("QUICK_REPLY", "No"),
                )
            },
            "grouped together",
        ),
        ({"buttons": (Button("URL", "Ver", url="https://f.co", payload="/x"),)}, "only a QUICK"),
        # category wording (the review's INCORRECT_CATEGORY)
        ({"body": "Hola, {{1}}. 20% de descuento en {{2}} hoy."}, "promotional wording"),
        ({"footer": "Oferta válida hoy"}, "promotional wording"),
        ({"buttons": (Button("QUICK_REPLY", "Ver promo"),)}, "promotional wording"),
    ],
)
def test_each_rule_is_enforced(changes: dict[str, object], expected: str) -> None:
    assert expected in problems_of(**changes)


def test_promotional_wording_is_fine_in_marketing() -> None:
    marketing = tpl(category="MARKETING", body="Hola, {{1}}. 20% de descuento en {{2}} hoy.")
    assert template_problems(marketing) == []


def test_a_url_button_example_is_the_full_url() -> None:
    button = tpl().buttons[1].to_api()
    assert button["example"] == ["https://fashionistas.co/llegar/pasarela"]


def _pair(**english: object) -> Library:
    es = tpl()
    en = dataclasses.replace(
        tpl(
            language="en",
            header=Header(text="Tomorrow is the day"),
            body="Hi {{1}}. *{{2}}* is tomorrow! See you there.",
            buttons=(
                Button("QUICK_REPLY", "View my ticket", payload="/resend_ticket"),
                Button(
                    "URL",
                    "How to get there",
                    url="https://fashionistas.co/llegar/{{1}}",
                    variables=(Variable("event_slug", "pasarela"),),
                ),
            ),
        ),
        **english,
    )
    return Library({es.key: es, en.key: en})


def test_a_translated_pair_is_valid() -> None:
    assert library_problems(_pair()) == []


def test_both_languages_are_required() -> None:
    es = tpl()
    problems = library_problems(Library({es.key: es}))
    assert problems == ["event_reminder_1d: missing in en"]


@pytest.mark.parametrize(
    ("english", "expected"),
    [
        ({"category": "MARKETING"}, "category differs"),
        (
            {"body": "Hi {{1}}. See you there.", "body_variables": (NAME,)},
            "variables differ",
        ),
        (
            {
                "body": "Hi {{1}}. *{{2}}* is tomorrow! See you there.",
                "body_variables": (NAME, Variable("event_name", "Autumn")),
            },
            "variables differ",
        ),
        ({"header": None}, "header, footer or buttons differ"),
        ({"footer": None}, "header, footer or buttons differ"),
        ({"buttons": (Button("QUICK_REPLY", "View my ticket"),)}, "header, footer or buttons"),
    ],
)
def test_translations_must_agree(english: dict[str, object], expected: str) -> None:
    problems = "\n".join(library_problems(_pair(**english)))
    assert expected in problems


def test_a_translation_may_order_its_variables_differently() -> None:
    """Variables are filled by name: English may put the event first."""
    library = _pair(
        body="Tomorrow: *{{1}}*. See you there, {{2}}, have fun.",
        body_variables=(EVENT, NAME),
    )
    assert library_problems(library) == []


def test_validate_library_lists_every_problem_at_once() -> None:
    bad_es = tpl(footer="x" * 61, body="{{1}} hola {{2}}.")
    with pytest.raises(LibraryError) as caught:
        validate_library(Library({bad_es.key: bad_es}))
    problems = caught.value.problems
    assert len(problems) >= 3
    text = str(caught.value)
    assert "event_reminder_1d [es_CO]: footer must be 1..60" in text
    assert "must not start or end" in text
    assert "event_reminder_1d: missing in en" in text


# ------------------------------------------------------------------------ loader

_GOOD_ES = """
language: es_CO
templates:
  checkin_welcome:
    category: UTILITY
    body:
      text: "¡Qué bueno tenerte aquí, {{1}}! Disfruta el evento."
      variables: {name: "Laura"}
"""
_GOOD_EN = _GOOD_ES.replace("es_CO", "en").replace(
    "¡Qué bueno tenerte aquí, {{1}}! Disfruta el evento.", "So glad you're here, {{1}}! Enjoy."
)


def _write(directory: Path, **files: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (directory / f"{name}.yml").write_text(text, encoding="utf-8")
    return directory


def test_loader_reads_a_small_library(tmp_path: Path) -> None:
    library = load_library(_write(tmp_path, es_CO=_GOOD_ES, en=_GOOD_EN))
    assert library.names() == ["checkin_welcome"]
    assert library.get("checkin_welcome", "es").body_variables == (NAME,)
    assert library.get("checkin_welcome", "en").language == "en"


@pytest.mark.parametrize(
    ("broken", "expected"),
    [
        (_GOOD_ES.replace("category:", "categoria:"), "unknown key(s) categoria"),
        (_GOOD_ES.replace('{name: "Laura"}', "{name: 8:00}"), "the example must be text"),
        (_GOOD_ES.replace('{name: "Laura"}', "[Laura]"), "must map variable names"),
        (_GOOD_ES.replace("language: es_CO", "idioma: es_CO"), "exactly the keys"),
        (_GOOD_ES + "  : [unclosed\n", "not valid YAML"),
    ],
)
def test_loader_refuses_broken_files(tmp_path: Path, broken: str, expected: str) -> None:
    with pytest.raises(LibraryError) as caught:
        load_library(_write(tmp_path, es_CO=broken, en=_GOOD_EN))
    assert expected in str(caught.value)


def test_loader_refuses_a_template_defined_twice(tmp_path: Path) -> None:
    with pytest.raises(LibraryError, match="defined twice"):
        load_library(_write(tmp_path, es_CO=_GOOD_ES, en=_GOOD_EN, es_CO_copy=_GOOD_ES))


def test_loader_refuses_a_missing_translation(tmp_path: Path) -> None:
    with pytest.raises(LibraryError, match="checkin_welcome: missing in en"):
        load_library(_write(tmp_path, es_CO=_GOOD_ES))


def test_loader_refuses_an_empty_directory(tmp_path: Path) -> None:
    with pytest.raises(LibraryError, match=r"no \*\.yml"):
        load_library(tmp_path)
