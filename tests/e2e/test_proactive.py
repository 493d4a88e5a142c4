"""Issue 5 through the running assistant: feedback, proactive messages through the
dialogue, and a broadcast scheduled by an organizer from the chat.

The whole assistant runs (rasa with the trained model, action server with the outbox
worker, sandbox with the Wappbíz and Hi.Events emulators), and every step goes
through WhatsApp messages to the emulator, as a person would send them.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import httpx
import pytest

from bot.calendar import to_bogota
from bot.cli import SandboxSession, simplify
from bot.proactive.policy import next_marketing_slot
from bot.storage.outbox import PRIORITY_REMINDER
from bot.storage.types import utcnow
from tests.support import chat
from tests.support.chat import phone_numbers, say, store_call
from tests.support.stack import RunningStack

pytestmark = pytest.mark.e2e

_numbers = phone_numbers(573200000001)


def tap_button(user: SandboxSession, button: dict[str, Any]) -> list[dict[str, Any]]:
    return chat.tap(user, button)


def tap_row(user: SandboxSession, row: dict[str, Any]) -> list[dict[str, Any]]:
    user.send({"type": "interactive", "list_reply": {"id": row["id"], "title": row["title"]}})
    return [simplify(m) for m in user.replies(first_timeout=30)]


def tracker_events(running: RunningStack, wa_id: str) -> list[dict[str, Any]]:
    response = httpx.get(
        f"{running.settings.rasa_url}/conversations/{wa_id}/tracker",
        params={"token": running.settings.secret("rasa_api_token")},
        timeout=10,
    )
    response.raise_for_status()
    return response.json()["events"]


@pytest.mark.parametrize(
    ("lang", "hello", "comment", "asked", "thanks"),
    [
        ("es", "hola", "el sonido estuvo regular pero la pasarela brutal", "algo más", "Gracias"),
        (
            "en",
            "hi there",
            "the sound was so-so but the runway was great",
            "Anything else",
            "Thanks",
        ),
    ],
)
def test_a_rating_tap_then_a_comment_is_stored_once(
    running: RunningStack, lang: str, hello: str, comment: str, asked: str, thanks: str
) -> None:
    user = chat.new_user(running, _numbers, "Sofía")
    say(user, hello)
    # the feedback request's quick-reply button, as WhatsApp delivers a template tap
    user.send(
        {"type": "button", "button": {"payload": '/give_feedback{"rating": "4"}', "text": "4"}}
    )
    replies = [simplify(m) for m in user.replies(first_timeout=30)]
    assert asked in replies[-1]["text"], replies
    assert replies[-1]["buttons"], replies  # "No, gracias"
    replies = say(user, comment)
    assert thanks in replies[-1]["text"], replies
    rows = store_call(running, lambda store: _feedback_of(store, user.wa_id))
    assert [(r.rating, r.comment, r.source) for r in rows] == [(4, comment, "button")]


async def _feedback_of(store: Any, wa_id: str) -> list[Any]:
    from sqlalchemy import select

    from bot.storage.feedback import _feedback, _record

    async with store._read() as session:
        rows = (await session.execute(select(_feedback).where(_feedback.c.wa_id == wa_id))).all()
    return [_record(row._mapping) for row in rows]


def test_an_opinion_in_words_with_a_low_rating_offers_a_person(running: RunningStack) -> None:
    user = chat.new_user(running, _numbers, "Camilo")
    say(user, "hola")
    replies = say(user, "le doy 2 estrellas, la fila para entrar estuvo eterna")
    assert replies[-1].get("buttons"), replies  # thanks, with "hablar con una persona"
    rows = store_call(running, lambda store: _feedback_of(store, user.wa_id))
    assert [(r.rating, r.source) for r in rows] == [(2, "text")]
    assert "fila" in rows[0].comment


def test_inside_the_window_a_reminder_goes_through_the_dialogue(running: RunningStack) -> None:
    user = chat.new_user(running, _numbers, "Valentina")
    say(user, "hola")  # opens the 24-hour window
    key = f"reminder:1d:E2E-{user.wa_id}"
    text = "⏰ Mañana es el show. Te esperamos."

    async def enqueue(store: Any) -> Any:
        return await store.enqueue(
            idempotency_key=key,
            wa_id=user.wa_id,
            payload={"type": "text", "text": {"body": text}},
            priority=PRIORITY_REMINDER,
        )

    store_call(running, enqueue)
    deadline = time.monotonic() + 30
    seen: list[dict[str, Any]] = []
    while time.monotonic() < deadline and not any(m.get("text") == text for m in seen):
        seen += [simplify(m) for m in user.replies(first_timeout=2, quiet=0.5)]
    assert [m.get("text") for m in seen].count(text) == 1, seen
    events = tracker_events(running, user.wa_id)
    triggered = [
        e
        for e in events
        if e.get("event") == "user" and e["parse_data"]["intent"]["name"] == "EXTERNAL_proactive"
    ]
    assert len(triggered) == 1
    assert triggered[0]["parse_data"]["entities"][0]["value"] == key
    actions = [e.get("name") for e in events if e.get("event") == "action"]
    assert "action_proactive_message" in actions
    said = [e for e in events if e.get("event") == "bot" and (e.get("data") or {}).get("custom")]
    assert said[-1]["data"]["custom"]["outbox"]["whatsapp"]["text"]["body"] == text
    row = store_call(running, lambda store: store.outbox_by_key(key))
    assert row.status == "sent"
    # the conversation goes on as usual afterwards
    assert say(user, "gracias")


def test_an_organizer_schedules_a_broadcast_for_saturday_at_ten(running: RunningStack) -> None:
    organizer = chat.new_user(running, _numbers, "Laura")
    fan = chat.new_user(running, _numbers, "Mariana")
    say(fan, "hola")
    response = httpx.post(
        f"{running.sandbox_url}/sandbox/api/contacts/{organizer.wa_id}/role",
        json={"role": "organizer", "name": "Laura"},
        timeout=10,
    )
    assert response.status_code == 200, response.text

    async def opt_in(store: Any) -> Any:
        return await store.record_consent(
            fan.wa_id, ["marketing"], granted=True, policy_version="e2e", source="text"
        )

    store_call(running, opt_in)
    replies: list[dict[str, Any]] = []
    deadline = time.monotonic() + 60  # the sandbox templates are approved in the background
    while time.monotonic() < deadline:
        replies = say(organizer, "quiero programar una difusión")
        if replies[-1].get("rows") or replies[-1].get("buttons"):
            break
        time.sleep(2)
    template = replies[-1].get("rows") or replies[-1].get("buttons")
    assert template, replies
    choice = next(o for o in template if "event_announcement" in o["id"])
    replies = (
        tap_row(organizer, choice) if replies[-1].get("rows") else tap_button(organizer, choice)
    )
    audience = replies[-1]["rows"]
    optin = next(r for r in audience if r["id"].count("optin:"))
    replies = tap_row(organizer, optin)
    assert replies[-1]["buttons"], replies  # Ahora / Sábado 10:00 / Mañana 10:00
    replies = say(organizer, "el sábado a las 10 a. m.")
    preview = replies[-1]
    assert "Audiencia" in preview["text"], replies
    confirm = next(b for b in preview["buttons"] if b["id"] == "/affirm")
    replies = tap_button(organizer, confirm)
    assert "programada" in replies[-1]["text"], replies

    async def rows_for(store: Any) -> list[Any]:
        [broadcast] = [
            b
            for b in await store.list_broadcasts(limit=20)
            if b.created_by == f"chat:{organizer.wa_id}"
        ]
        assert broadcast.status == "scheduled"
        return await store.list_outbox(broadcast_id=broadcast.id)

    rows = store_call(running, rows_for)  # everyone opted in, the fan among them
    [row] = [r for r in rows if r.wa_id == fan.wa_id]
    assert organizer.wa_id not in {r.wa_id for r in rows}
    sent_at = to_bogota(row.next_attempt_at)
    now = to_bogota(utcnow())
    saturday = now + timedelta(days=(5 - now.weekday()) % 7 or (7 if now.hour >= 10 else 0))
    wanted = next_marketing_slot(saturday.replace(hour=10, minute=0, second=0, microsecond=0))
    assert sent_at == wanted  # Saturday 10:00 Bogotá (or the next allowed slot on a festivo)
    assert row.status == "queued"


def test_anyone_else_is_refused_a_broadcast(running: RunningStack) -> None:
    user = chat.new_user(running, _numbers, "Pedro")
    say(user, "hola")
    replies = say(user, "quiero programar una difusión para todos")
    assert not any("Plantilla" in (r.get("text") or "") for r in replies), replies
    rows = store_call(running, lambda store: store.list_broadcasts(limit=50))
    assert not [b for b in rows if b.created_by == f"chat:{user.wa_id}"]
