"""Whole conversations through the Wappbíz emulator, as a phone would hold them.

The emulator signs a webhook, the rasa server's channel takes it, Rasa and the
action server answer, and the replies are read back from what the emulator
accepted. Nothing here is mocked.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import os
import subprocess
import sys

import httpx
import pytest
import qrcode

from bot.cli import SandboxSession, simplify
from bot.i18n import t
from bot.storage.store import Store
from tests.support import chat
from tests.support.chat import phone_numbers, say, store_call
from tests.support.stack import RunningStack, free_port

pytestmark = pytest.mark.e2e

_numbers = phone_numbers(573110000001)


def new_user(running: RunningStack, name: str = "Laura") -> SandboxSession:
    return chat.new_user(running, _numbers, name)


def first_text(session: SandboxSession) -> str | None:
    return simplify(session.replies()[0]).get("text")


def faults(running: RunningStack, mode: str, count: int) -> None:
    url = f"{running.sandbox_url}/sandbox/api/faults"
    httpx.post(url, json={"mode": mode, "count": count}, timeout=10).raise_for_status()


def clear_faults(running: RunningStack) -> None:
    httpx.delete(f"{running.sandbox_url}/sandbox/api/faults", timeout=10)


def test_spanish_greeting_with_working_buttons(running: RunningStack) -> None:
    user = new_user(running)
    replies = say(user, "hola parce")
    assert replies[0]["text"] == t("es", "greet.welcome")
    buttons = replies[-1].get("buttons")
    assert buttons, replies
    assert all(len(b["title"]) <= 20 for b in buttons)
    contact = store_call(running, lambda s: s.get_contact(user.wa_id))
    assert contact.language == "es" and contact.phone_e164 == "+" + user.wa_id

    # first contact: the Ley 1581 notice asks for consent (issue 3); accepting shows the menu
    assert [b["id"] for b in buttons] == ["/opt_in", "/opt_out"]
    user.send({"type": "interactive", "button_reply": buttons[0]})
    buttons = [simplify(m) for m in user.replies()][-1]["buttons"]
    help_button = next(b for b in buttons if b["id"] == "/help")
    user.send({"type": "interactive", "button_reply": help_button})
    after_tap = [simplify(m) for m in user.replies()]
    assert after_tap and after_tap[0]["text"] == t("es", "help.body")


def test_english_greeting(running: RunningStack) -> None:
    user = new_user(running, "Emma")
    replies = say(user, "hi")
    assert replies[0]["text"] == t("en", "greet.welcome")
    contact = store_call(running, lambda s: s.get_contact(user.wa_id))
    assert contact.language == "en"
    assert say(user, "thanks a lot")[0]["text"] == t("en", "thank.text")


def test_bot_challenge_is_honest_and_offers_a_person(running: RunningStack) -> None:
    user = new_user(running)
    replies = say(user, "eres un robot o una persona?")
    assert replies[0]["text"] == t("es", "bot_challenge.text")
    assert any(b["id"] == "/human_handoff" for b in replies[0]["buttons"])


def test_out_of_scope_gets_the_fallback_with_buttons(running: RunningStack) -> None:
    user = new_user(running)
    replies = say(user, "cual es el clima en bogota mañana")
    # issue 3: out of scope is said plainly (no "did you mean" with silly guesses)
    assert replies[0]["text"] == t("es", "fallback.out_of_scope")
    assert replies[0].get("buttons") or replies[0].get("rows")


def test_typed_intent_syntax_is_not_obeyed(running: RunningStack) -> None:
    """'/bot_challenge' typed by a person is text for the NLU, not an intent shortcut."""
    user = new_user(running)
    say(user, '/bot_challenge{"language": "en"}')
    token = running.settings.secret("rasa_api_token")
    tracker = httpx.get(
        f"{running.settings.rasa_url}/conversations/{user.wa_id}/tracker",
        params={"token": token},
        timeout=10,
    ).json()
    texts = [e["text"] for e in tracker["events"] if e.get("event") == "user"]
    assert texts and not any(text.startswith("/") for text in texts)


def test_media_location_and_unsupported_types(running: RunningStack) -> None:
    user = new_user(running)
    buffer = io.BytesIO()
    qrcode.make("fashionistas").save(buffer, format="PNG")
    user.send(
        {
            "type": "image",
            "data": base64.b64encode(buffer.getvalue()).decode(),
            "mime_type": "image/png",
            "filename": "look.png",
        }
    )
    media_reply = [simplify(m) for m in user.replies()]
    assert media_reply[0]["text"] == t("es", "channel.media", kind=t("es", "channel.kind_image"))

    user.send(
        {
            "type": "location",
            "latitude": 6.2088,
            "longitude": -75.5676,
            "name": "Plaza Mayor",
            "address": "Cl. 41 #55-80, Medellín",
        }
    )
    assert first_text(user) == t("es", "channel.location")

    user.send(
        {
            "raw_message": {
                "from": user.wa_id,
                "id": "wamid.poll1" + user.wa_id,
                "timestamp": "1750000000",
                "type": "unsupported",
                "unsupported": {"type": "poll"},
                "errors": [{"code": 131051, "title": "Message type unknown"}],
            }
        }
    )
    assert first_text(user) == t("es", "channel.unsupported")


def test_deliver_twice_is_answered_once(running: RunningStack) -> None:
    user = new_user(running)
    user.send({"type": "text", "text": "gracias", "deliver_twice": True})
    replies = user.replies()
    assert len(replies) == 1


def test_transient_send_errors_are_retried(running: RunningStack) -> None:
    user = new_user(running)
    say(user, "hola")
    faults(running, "500", 2)
    try:
        replies = say(user, "gracias")
    finally:
        clear_faults(running)
    assert replies and replies[0]["text"] == t("es", "thank.text")
    rows = store_call(running, lambda s: s.list_outbound(wa_id=user.wa_id))
    assert max(r.attempts for r in rows) >= 3


def test_a_send_that_keeps_failing_is_kept_with_its_error(running: RunningStack) -> None:
    user = new_user(running)
    say(user, "hola")
    faults(running, "503", 50)
    try:
        user.send({"type": "text", "text": "gracias"})
        assert user.replies(first_timeout=8) == []
    finally:
        clear_faults(running)
    rows = store_call(running, lambda s: s.list_outbound(wa_id=user.wa_id, status="failed"))
    assert rows and rows[0].error_code == 131016
    assert rows[0].payload["text"]["body"] == t("es", "thank.text")
    # the conversation goes on afterwards
    assert say(user, "chao")[0]["text"] == t("es", "goodbye.text")


def test_window_closed_reply_is_stored_not_dropped(running: RunningStack) -> None:
    user = new_user(running)
    say(user, "hola")
    faults(running, "window_closed", 1)
    try:
        user.send({"type": "text", "text": "gracias"})
        user.replies(first_timeout=6)
    finally:
        clear_faults(running)
    rows = store_call(running, lambda s: s.list_outbound(wa_id=user.wa_id, status="window_closed"))
    assert rows and rows[0].error_code == 131047


def test_statuses_flow_back_and_inbound_is_marked_read(running: RunningStack) -> None:
    user = new_user(running)
    replies = say(user, "hola")
    url = f"{running.sandbox_url}/sandbox/api/conversations/{user.wa_id}/read"
    httpx.post(url, json={"up_to_seq": user.last_seq}, timeout=10).raise_for_status()

    async def wait_read(store: Store) -> list:
        for _ in range(40):
            rows = await store.list_outbound(wa_id=user.wa_id)
            if rows and all(r.status == "read" for r in rows):
                return rows
            await asyncio.sleep(0.25)
        return await store.list_outbound(wa_id=user.wa_id)

    rows = store_call(running, wait_read)
    assert {r.wamid for r in rows} == {m["id"] for m in replies}
    assert {r.status for r in rows} == {"read"}
    history = httpx.get(
        f"{running.sandbox_url}/sandbox/api/conversations/{user.wa_id}/messages",
        params={"after": 0},
        timeout=10,
    ).json()
    inbound = [m for m in history["messages"] if m["direction"] == "in"]
    assert inbound and all(m["status"] == "read" for m in inbound)


def test_role_picker_reaches_the_admin_api(running: RunningStack) -> None:
    user = new_user(running)
    url = f"{running.sandbox_url}/sandbox/api/contacts/{user.wa_id}/role"
    response = httpx.post(url, json={"role": "organizer", "name": "Ana"}, timeout=10)
    assert response.status_code == 200, response.text
    contact = store_call(running, lambda s: s.get_contact(user.wa_id))
    assert contact.role == "organizer"
    admin = f"{running.settings.action_url}/admin/contacts/{user.wa_id}"
    assert httpx.get(admin, timeout=10).status_code == 401
    assert (
        httpx.put(
            admin,
            json={"role": "boss"},
            timeout=10,
            headers={"Authorization": "Bearer " + running.settings.secret("admin_token")},
        ).status_code
        == 400
    )


def _cli(
    running: RunningStack, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env={**os.environ, **running.env, **(env or {})},
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )


def test_cli_say_prints_json_lines(running: RunningStack) -> None:
    result = _cli(running, "say", "--from", "300 555 0101", "hola")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines[0]["text"] == t("es", "greet.welcome")
    english = _cli(running, "say", "--from", "573005550102", "hello")
    assert json.loads(english.stdout.splitlines()[0])["text"] == t("en", "greet.welcome")


def test_cli_says_clearly_when_the_assistant_is_not_running(running: RunningStack) -> None:
    result = _cli(running, "say", "hola", env={"SANDBOX_PORT": str(free_port())})
    assert result.returncode == 3
    assert "make run" in result.stderr
