"""Hand-off to a person: when the team answers, what is recorded, and the pause."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from rasa_sdk.events import ActionExecuted, ConversationPaused

from actions.handoff import ActionBotChallenge, ActionHumanHandoff, handoff_reason
from bot import services
from bot.handoff import answer_time, handoff_text, last_typed_text
from bot.i18n import t
from bot.storage.store import Store
from tests.conversation.trackers import bot_turn, payloads, run, tracker, user_event

BOGOTA = ZoneInfo("America/Bogota")


def bogota(*args: int) -> datetime:
    return datetime(*args, tzinfo=BOGOTA)


# --- when a person answers -----------------------------------------------------------


def test_during_office_hours_someone_answers_within_the_hour() -> None:
    wednesday_10am = bogota(2026, 11, 25, 10, 0)
    assert answer_time(wednesday_10am).soon
    assert handoff_text("es", wednesday_10am) == t("es", "handoff.now")
    assert handoff_text("en", wednesday_10am) == t("en", "handoff.now")


@pytest.mark.parametrize(
    ("now", "es", "en"),
    [
        # Saturday: the next opening is Monday morning (the issue's own example)
        (
            bogota(2026, 11, 28, 11, 0),
            "el lunes 30 de noviembre a las 8:00 a. m.",
            "on Monday, November 30, at 8:00 AM",
        ),
        # Friday 17:45: too close to closing to promise the hour
        (
            bogota(2026, 11, 27, 17, 45),
            "el lunes 30 de noviembre a las 8:00 a. m.",
            "on Monday, November 30, at 8:00 AM",
        ),
        # early on a business day: later today
        (bogota(2026, 11, 25, 6, 30), "hoy a las 8:00 a. m.", "today at 8:00 AM"),
        # Thursday night: tomorrow
        (
            bogota(2026, 11, 26, 20, 0),
            "mañana viernes 27 de noviembre a las 8:00 a. m.",
            "tomorrow, Friday, November 27, at 8:00 AM",
        ),
        # Monday 7 December at night: Tuesday 8 is a festivo (Inmaculada Concepción)
        (
            bogota(2026, 12, 7, 19, 0),
            "el miércoles 9 de diciembre a las 8:00 a. m.",
            "on Wednesday, December 9, at 8:00 AM",
        ),
        # Sunday 15 November: Monday 16 is a festivo (Independencia de Cartagena)
        (
            bogota(2026, 11, 15, 12, 0),
            "el martes 17 de noviembre a las 8:00 a. m.",
            "on Tuesday, November 17, at 8:00 AM",
        ),
    ],
)
def test_outside_office_hours_the_user_is_told_the_next_opening(
    now: datetime, es: str, en: str
) -> None:
    assert not answer_time(now).soon
    assert handoff_text("es", now) == t(
        "es", "handoff.later", hours=t("es", "handoff.hours"), when=es
    )
    assert handoff_text("en", now) == t(
        "en", "handoff.later", hours=t("en", "handoff.hours"), when=en
    )


def test_the_answer_time_is_computed_in_bogota_whatever_the_server_zone() -> None:
    utc = ZoneInfo("UTC")
    # 12:30 UTC = 07:30 Bogotá (closed); 13:30 UTC = 08:30 Bogotá (open)
    assert not answer_time(datetime(2026, 11, 25, 12, 30, tzinfo=utc)).soon
    assert answer_time(datetime(2026, 11, 25, 13, 30, tzinfo=utc)).soon


def test_thirty_minutes_before_closing_is_still_within_the_hour() -> None:
    assert answer_time(bogota(2026, 11, 25, 17, 30)).soon
    assert not answer_time(bogota(2026, 11, 25, 17, 31)).soon


def test_last_typed_text_skips_button_payloads() -> None:
    events = [user_event("se me perdió la boleta"), user_event("/human_handoff")]
    assert last_typed_text(events) == "se me perdió la boleta"
    assert last_typed_text(events, within=1) is None
    assert last_typed_text([user_event("/help")]) is None


# --- the action ----------------------------------------------------------------------


@pytest.fixture
def wednesday_morning(monkeypatch: pytest.MonkeyPatch) -> datetime:
    now = bogota(2026, 11, 25, 9, 15)
    monkeypatch.setattr(ActionHumanHandoff, "clock", staticmethod(lambda: now))
    return now


@pytest.mark.parametrize("lang", ["es", "en"])
async def test_handoff_records_tells_when_and_pauses(
    lang: str, app_store: Store, domain: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    saturday = bogota(2026, 11, 28, 11, 0)
    monkeypatch.setattr(ActionHumanHandoff, "clock", staticmethod(lambda: saturday))
    sender = "573001230001" if lang == "es" else "573001230002"
    history = [user_event("me cobraron dos veces la boleta", "payment_status")]
    history += bot_turn("action_journey_pending")
    latest = tracker(
        "human_handoff", "/human_handoff", metadata={"language": lang}, history=history,
        sender=sender,
    )  # fmt: skip
    messages, events = await run(ActionHumanHandoff(), latest, domain)
    assert [m["text"] for m in messages] == [handoff_text(lang, saturday)]
    assert not messages[0].get("buttons"), "nothing to tap: a person takes over"
    assert ConversationPaused() in events
    assert events[-1] == ActionExecuted("action_listen")
    handoff = await app_store.get_open_handoff(sender)
    assert handoff is not None
    assert handoff.reason == "journey_pending"
    assert handoff.last_user_text == "me cobraron dos veces la boleta"


async def test_asking_again_keeps_one_open_hand_off(
    app_store: Store, domain: dict, wednesday_morning: datetime
) -> None:
    sender = "573001230003"
    for text in ("quiero hablar con una persona", "hola?? una persona por favor"):
        messages, events = await run(
            ActionHumanHandoff(), tracker("human_handoff", text, sender=sender), domain
        )
        assert messages[0]["text"] == t("es", "handoff.now")
        assert ConversationPaused() in events
    assert len(await app_store.handoffs_for(sender)) == 1


@pytest.mark.parametrize(
    ("previous", "reason"),
    [
        ("action_default_fallback", "fallback"),
        ("action_bot_challenge", "bot_challenge"),
        ("action_journey_pending", "journey_pending"),
        ("action_sales_report", "staff_request"),
        ("action_greet", "user_request"),
        (None, "user_request"),
    ],
)
def test_the_reason_is_what_the_bot_offered_just_before(previous: str | None, reason: str) -> None:
    history = [user_event("algo"), *bot_turn(previous)] if previous else []
    assert handoff_reason(tracker("human_handoff", "/human_handoff", history=history)) == reason


async def test_when_the_request_cannot_be_recorded_the_bot_does_not_go_quiet(
    domain: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken() -> Any:
        raise ConnectionError("database down")

    monkeypatch.setattr(services, "get_store", broken)
    messages, events = await run(
        ActionHumanHandoff(), tracker("human_handoff", "una persona"), domain
    )
    assert messages[0]["text"] == t("es", "handoff.failed")
    assert ConversationPaused() not in events


async def test_a_sender_that_is_not_a_phone_is_not_recorded_nor_paused(domain: dict) -> None:
    messages, events = await run(
        ActionHumanHandoff(), tracker("human_handoff", "human please", sender="default"), domain
    )
    assert messages[0]["text"] == t("es", "handoff.failed")
    assert ConversationPaused() not in events


@pytest.mark.parametrize("lang", ["es", "en"])
async def test_bot_challenge_is_honest_and_offers_a_person(lang: str, domain: dict) -> None:
    messages, events = await run(
        ActionBotChallenge(),
        tracker("bot_challenge", "eres un bot?", metadata={"language": lang}),
        domain,
    )
    [message] = messages
    assert message["text"] == t(lang, "bot_challenge.text")
    assert ("automático" if lang == "es" else "automated") in message["text"]
    assert payloads(message) == ["/human_handoff"]
    assert ConversationPaused() not in events, "only the hand-off pauses"
