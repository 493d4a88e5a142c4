"""The shipped template library: complete, in both languages, and what the review approves."""

from __future__ import annotations

import re

import pytest

from bot.sandbox.templates import Template, TemplateRegistry
from bot.templates import LANGUAGES, default_library, library_problems, render_text

LIBRARY = default_library()

#: Issue 5 item 3 and the lifecycle of item 5, with the category each must have.
EXPECTED = {
    "event_announcement": "MARKETING",
    "registration_confirmation": "UTILITY",
    "payment_receipt": "UTILITY",
    "event_reminder_7d": "UTILITY",
    "event_reminder_1d": "UTILITY",
    "event_reminder_3h": "UTILITY",
    "schedule_update": "UTILITY",
    "emergency_alert": "UTILITY",
    "checkin_welcome": "UTILITY",
    "feedback_request": "UTILITY",
    "feedback_survey": "UTILITY",
    "promotion": "MARKETING",
    "special_offer": "MARKETING",
    "community_update": "MARKETING",
}


def test_the_library_is_valid() -> None:
    assert library_problems(LIBRARY) == []


def test_every_template_exists_in_both_languages_with_its_category() -> None:
    assert LANGUAGES == ("es_CO", "en")
    assert LIBRARY.languages() == ["es_CO", "en"]
    assert sorted(LIBRARY.names()) == sorted(EXPECTED)
    for name, category in EXPECTED.items():
        for language in LANGUAGES:
            assert LIBRARY.get(name, language).category == category, (name, language)


def test_both_languages_ask_for_the_same_variables() -> None:
    for name in LIBRARY.names():
        es, en = LIBRARY.get(name, "es"), LIBRARY.get(name, "en")
        assert set(es.variables()) == set(en.variables()), name


def test_contact_languages_map_to_template_languages() -> None:
    assert LIBRARY.get("payment_receipt", "es").language == "es_CO"
    assert LIBRARY.get("payment_receipt", "en").language == "en"


def test_feedback_request_has_rating_buttons_1_to_5() -> None:
    for language in LANGUAGES:
        buttons = LIBRARY.get("feedback_request", language).buttons
        assert [b.type for b in buttons] == ["QUICK_REPLY"] * 5
        ratings = [re.search(r'"rating": "(\d)"', b.payload or "").group(1) for b in buttons]
        assert sorted(ratings) == ["1", "2", "3", "4", "5"]
        assert all(b.text.startswith(r) for b, r in zip(buttons, ratings, strict=True))
    survey = LIBRARY.get("feedback_survey", "es").buttons
    assert [b.type for b in survey] == ["URL"]


def test_media_and_call_buttons_are_used_where_useful() -> None:
    assert LIBRARY.get("event_announcement", "es").header.format == "IMAGE"
    assert LIBRARY.get("promotion", "en").header.format == "IMAGE"
    emergency = LIBRARY.get("emergency_alert", "es")
    assert "PHONE_NUMBER" in [b.type for b in emergency.buttons]


def test_marketing_templates_offer_a_way_out() -> None:
    for template in LIBRARY:
        if template.category == "MARKETING":
            payloads = [b.payload for b in template.buttons]
            assert "/opt_out" in payloads, template.label
            assert re.search(r"BAJA|STOP", template.footer or ""), template.label


def test_spanish_examples_use_colombian_formats() -> None:
    """Money like $150.000 and times like 8:00 p. m., never $150,000 or 8:00 PM."""
    money = re.compile(r"\$\d{1,3}(?:\.\d{3})+")
    seen_money = seen_time = False
    for name in LIBRARY.names():
        for value in LIBRARY.get(name, "es_CO").variables().values():
            if "$" in value:
                assert money.fullmatch(value), value
                seen_money = True
            if re.search(r"\d:\d\d", value):
                assert re.search(r"\d{1,2}:\d\d [ap]\. m\.", value), value
                assert not re.search(r"\b(AM|PM)\b", value), value
                seen_time = True
    assert seen_money and seen_time


@pytest.mark.parametrize("template", list(LIBRARY), ids=lambda t: t.label)
def test_the_emulator_review_would_approve_it(template: object) -> None:
    """Offline check with Wappbíz's own review rules (the sync tests do it over HTTP)."""
    payload = template.create_payload()
    candidate = Template(
        id="1",
        name=payload["name"],
        language=payload["language"],
        category=payload["category"],
        components=payload["components"],
    )
    assert TemplateRegistry.review(candidate).status == "APPROVED"


def test_previews_fill_the_examples() -> None:
    text = render_text(LIBRARY.get("event_reminder_1d", "es"))
    assert text.startswith("Mañana es el día\n\nHola, Laura. ¡Mañana es *Pasarela Otoño 2026*!")
    assert text.endswith("Fashionistas Medellín")
    assert render_text(LIBRARY.get("event_announcement", "en")).startswith("[IMAGE]\n\nHi Laura!")
