"""Consent, privacy and language through the whole stack (emulator → channel → Rasa → actions)."""

from __future__ import annotations

import pytest

from bot.cli import SandboxSession
from bot.i18n import t
from tests.support import chat
from tests.support.chat import phone_numbers, say, store_call, tap
from tests.support.stack import RunningStack

pytestmark = pytest.mark.e2e

_numbers = phone_numbers(573120000001)


def new_user(running: RunningStack, name: str = "Sara") -> SandboxSession:
    return chat.new_user(running, _numbers, name)


def test_first_contact_notice_declined_in_english(running: RunningStack) -> None:
    user = new_user(running, "Emma")
    replies = say(user, "hi there")
    notice = replies[-1]
    assert "Fashionistas" in notice["text"] and "WhatsApp" in notice["text"]
    assert [b["title"] for b in notice["buttons"]] == ["I accept", "No thanks"]
    replies = tap(user, notice["buttons"][1])
    assert replies[0]["text"] == t("en", "consent.declined")
    rows = store_call(running, lambda s: s.consent_history(user.wa_id))
    assert {(r.purpose, r.granted, r.source) for r in rows} == {
        ("marketing", False, "button"),
        ("casting", False, "button"),
    }
    assert all(r.inbound_wamid and r.inbound_wamid.startswith("wamid.") for r in rows)


def test_stop_in_the_middle_of_an_erasure_request(running: RunningStack) -> None:
    user = new_user(running)
    replies = say(user, "quiero que borren mis datos personales")
    assert replies[-1]["text"] == t("es", "privacy.confirm_question")
    replies = say(user, "STOP")
    texts = [r["text"] for r in replies]
    assert "boletas" in texts[0]
    assert texts[-1] == t("es", "privacy.form_stopped")
    rows = store_call(running, lambda s: s.consent_history(user.wa_id))
    assert {(r.purpose, r.granted, r.source) for r in rows} == {
        ("marketing", False, "keyword"),
        ("casting", False, "keyword"),
    }
    assert store_call(running, lambda s: s.data_subject_requests_for(user.wa_id)) == []
    # the form is over: a "sí" now is just small talk, nothing gets filed
    assert say(user, "si")[0]["text"] == t("es", "affirm.text")
    assert store_call(running, lambda s: s.data_subject_requests_for(user.wa_id)) == []


def test_erasure_request_is_filed_with_its_number(running: RunningStack) -> None:
    user = new_user(running)
    replies = say(user, "borren mis datos por favor")
    replies = tap(user, replies[-1]["buttons"][0])
    [request] = store_call(running, lambda s: s.data_subject_requests_for(user.wa_id))
    assert f"HD-{request.id:05d}" in replies[0]["text"]
    assert request.kind == "erasure" and request.status == "received"


def test_language_switch_sticks(running: RunningStack) -> None:
    user = new_user(running)
    say(user, "hola")
    replies = say(user, "hablame en ingles porfa")
    assert replies[0]["text"] == t("en", "language_change.done")
    contact = store_call(running, lambda s: s.get_contact(user.wa_id))
    assert (contact.language, contact.language_source) == ("en", "explicit")
    # Spanish words no longer switch the reply language back
    assert say(user, "gracias parce")[0]["text"] == t("en", "thank.text")
