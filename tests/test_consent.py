"""bot.consent: STOP keywords, purposes named in a message, where a decision came from."""

from __future__ import annotations

import pytest

from bot.consent import (
    DEFAULT_OPT_IN,
    NON_TRANSACTIONAL,
    POLICY_VERSION,
    consent_source,
    granted,
    is_stop_keyword,
    needs_notice,
    notice_hash,
    opt_in_purposes,
    opt_out_purposes,
    purposes_mentioned,
)
from bot.storage.consent import ConsentRecord


@pytest.mark.parametrize(
    "text",
    ["STOP", "stop", "Stop.", "BAJA", "baja!!", "¡Baja!", "PARAR", "parar", " Stop 🙏 ",
     "*STOP*", "BAJÁ", "Parar.\n", "¿stop?"],
)  # fmt: skip
def test_bare_keywords_are_stop(text: str) -> None:
    assert is_stop_keyword(text)


@pytest.mark.parametrize(
    "text",
    ["", None, "stop sending me promos", "me doy de baja", "no parar", "s t o p", "stopp",
     "bajar", "para", "🛑", "stop stop", "pare", "/opt_out"],
)  # fmt: skip
def test_other_texts_are_not_keywords(text: str | None) -> None:
    assert not is_stop_keyword(text)


@pytest.mark.parametrize(
    ("text", "purposes"),
    [
        ("ya no me manden promociones", {"marketing"}),
        ("no quiero mas PUBLICIDAD", {"marketing"}),
        ("quiero las novedades de los eventos", {"marketing"}),
        ("no mas convocatorias de casting", {"casting"}),
        ("stop the castings and the promos", {"casting", "marketing"}),
        ("STOP", set()),
        ("no me escriban mas", set()),
        ("acepto la politica de datos", set()),
    ],
)
def test_purposes_mentioned(text: str, purposes: set[str]) -> None:
    assert purposes_mentioned(text) == purposes


def test_opt_out_without_a_purpose_revokes_every_non_transactional_one() -> None:
    assert opt_out_purposes("STOP") == NON_TRANSACTIONAL == ("marketing", "casting")
    assert "transactional" not in opt_out_purposes("no quiero nada de ustedes")
    assert opt_out_purposes("ya no me manden promos") == ("marketing",)
    assert opt_out_purposes("/opt_out") == NON_TRANSACTIONAL


def test_opt_in_grants_transactional_and_what_it_names() -> None:
    assert opt_in_purposes("Acepto") == DEFAULT_OPT_IN == ("transactional", "marketing")
    assert opt_in_purposes("/opt_in") == DEFAULT_OPT_IN
    assert opt_in_purposes(None) == DEFAULT_OPT_IN
    # casting is sensitive data: only when named, never by default
    assert opt_in_purposes("quiero recibir convocatorias de casting") == (
        "transactional",
        "casting",
    )
    assert "casting" not in DEFAULT_OPT_IN


@pytest.mark.parametrize(
    ("metadata", "text", "source"),
    [
        ({"consent_source": "keyword"}, "/opt_out", "keyword"),
        ({}, "BAJA", "keyword"),
        ({"message_type": "interactive", "interactive": {"id": "/opt_in"}}, "/opt_in", "button"),
        ({"message_type": "button", "button": {"payload": "/opt_in"}}, "/opt_in", "button"),
        ({"message_type": "text"}, "acepto", "text"),
        (None, "si", "text"),
    ],
)
def test_consent_source(metadata: dict | None, text: str, source: str) -> None:
    assert consent_source(metadata, text) == source


def test_notice_hash_changes_with_the_text_and_is_stable() -> None:
    assert notice_hash("aviso") == notice_hash("aviso")
    assert notice_hash("aviso") != notice_hash("aviso.")
    assert len(notice_hash("aviso")) == 64
    assert POLICY_VERSION


def _record(purpose: str, value: bool) -> ConsentRecord:
    from datetime import datetime, timezone

    return ConsentRecord(
        id=1,
        wa_id="573001234567",
        purpose=purpose,
        granted=value,
        policy_version=POLICY_VERSION,
        policy_hash=None,
        source="text",
        channel=None,
        inbound_wamid=None,
        created_at=datetime(2026, 12, 7, tzinfo=timezone.utc),
    )


def test_state_helpers() -> None:
    assert needs_notice({})
    state = {"marketing": _record("marketing", False), "casting": _record("casting", True)}
    assert not needs_notice(state)
    assert not granted(state, "marketing")
    assert granted(state, "casting")
    assert not granted(state, "transactional")  # never decided: not granted
