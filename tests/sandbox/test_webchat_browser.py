"""The web chat in headless Chromium: a person's conversation with a scripted bot.

The test plays the bot through the Graph API (as the real channel would) and the
user through the page, then checks what each side saw. Needs a Chromium build:
Debian's ``/usr/bin/chromium`` or Playwright's own; skipped when neither exists.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.sandbox.helpers import Receiver, Sandbox, send

pytestmark = pytest.mark.browser

playwright_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")
    with playwright_api.sync_playwright() as p:
        try:
            launched = (
                p.chromium.launch(executable_path=executable) if executable else p.chromium.launch()
            )
        except Exception as exc:  # no browser build on this machine
            pytest.skip(f"Chromium is not available: {exc}")
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any, sandbox: Sandbox) -> Iterator[Any]:
    context = browser.new_context(locale="es-CO", viewport={"width": 1200, "height": 860})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(sandbox.base_url + "/")
    yield page
    context.close()
    assert errors == [], errors


def user_message(receiver: Receiver, predicate: Any) -> dict[str, Any]:
    captured = receiver.wait_for(lambda c: any(predicate(m) for m in c.messages))
    assert all(c.signature_valid for c in captured)
    return next(m for c in captured for m in c.messages if predicate(m))


def test_conversation_in_the_web_chat(
    page: Any, sandbox: Sandbox, graph: httpx.Client, receiver: Receiver
) -> None:
    # A wrong number is refused with a visible message.
    page.fill("#phone", "123")
    page.click("#start")
    assert page.is_visible("#phone-error")

    page.fill("#phone", "+57 300 555 0101")
    page.fill("#name", "Laura")
    page.click("#start")
    wa_id = "573005550101"

    page.fill("#composer", "hola *moda*")
    page.press("#composer", "Enter")
    hello = user_message(receiver, lambda m: m.get("text", {}).get("body") == "hola *moda*")
    page.wait_for_selector(".bubble.out[data-from='user'] strong")  # WhatsApp bold rendered

    # The bot marks the message read: blue double tick on the user's bubble.
    send(graph, sandbox, {"status": "read", "message_id": hello["id"]})
    page.wait_for_selector(".bubble.out .ticks[data-status='read']")

    # Reply buttons: a tap sends an interactive button_reply with the button's id.
    send(
        graph,
        sandbox,
        {
            "to": wa_id,
            "type": "interactive",
            "interactive": {
                "type": "button",
                "body": {"text": "¡Hola Laura! ¿Qué quieres hacer?"},
                "action": {
                    "buttons": [
                        {"type": "reply", "reply": {"id": "/ver_eventos", "title": "Ver eventos"}},
                        {"type": "reply", "reply": {"id": "/ayuda", "title": "Ayuda"}},
                    ]
                },
            },
        },
    )
    page.click("button.reply-button:has-text('Ver eventos')")
    reply = user_message(receiver, lambda m: m.get("type") == "interactive")
    assert reply["interactive"]["button_reply"] == {"id": "/ver_eventos", "title": "Ver eventos"}

    # The page reported the bot's message as read: the bot got a read status.
    bot_wamid = page.get_attribute(".row-in[data-id] >> nth=0", "data-id")
    receiver.wait_status(bot_wamid, "read")

    # Lists open a sheet of rows; a tap sends list_reply.
    send(
        graph,
        sandbox,
        {
            "to": wa_id,
            "type": "interactive",
            "interactive": {
                "type": "list",
                "body": {"text": "Elige un evento"},
                "action": {
                    "button": "Eventos",
                    "sections": [
                        {
                            "title": "Noviembre",
                            "rows": [
                                {
                                    "id": "evt_1",
                                    "title": "Pasarela Ciudad",
                                    "description": "Plaza Mayor, 7 p. m.",
                                },
                                {"id": "evt_2", "title": "Feria Textil"},
                            ],
                        }
                    ],
                },
            },
        },
    )
    page.click(".list-open")
    page.click(".list-row:has-text('Feria Textil')")
    row = user_message(receiver, lambda m: m.get("interactive", {}).get("type") == "list_reply")
    assert row["interactive"]["list_reply"] == {"id": "evt_2", "title": "Feria Textil"}

    # Location and template rendering.
    send(
        graph,
        sandbox,
        {
            "to": wa_id,
            "type": "location",
            "location": {
                "latitude": 6.2447,
                "longitude": -75.5748,
                "name": "Plaza Mayor",
                "address": "Cl. 41 #55-80",
            },
        },
    )
    page.wait_for_selector("a.location-link[href*='google.com/maps?q=6.2447']")
    send(
        graph,
        sandbox,
        {
            "to": wa_id,
            "type": "template",
            "template": {
                "name": "bienvenida",
                "language": {"code": "es_CO"},
                "components": [{"type": "body", "parameters": [{"type": "text", "text": "Laura"}]}],
            },
        },
    )
    page.click("button.reply-button:has-text('Hablar con alguien')")
    button = user_message(receiver, lambda m: m.get("type") == "button")
    assert button["button"] == {"payload": "Hablar con alguien", "text": "Hablar con alguien"}

    # Every message of both sides is on screen (the last one arrives by long-poll).
    page.wait_for_function(
        "document.querySelectorAll('.bubble.in').length >= 4"
        " && document.querySelectorAll('.bubble.out').length >= 4"
    )
    page.screenshot(path=os.environ.get("WEBCHAT_SCREENSHOT", "/tmp/webchat.png"), full_page=True)


def test_role_select_calls_the_bot_and_shows_errors(page: Any, receiver: Receiver) -> None:
    page.fill("#phone", "310 555 0202")
    page.click("#start")
    page.select_option("#role", "designer")
    page.wait_for_selector("#role-status.ok")
    assert receiver.admin_calls[-1]["json"]["role"] == "designer"

    receiver.admin_status = 500
    page.select_option("#role", "staff")
    page.wait_for_selector("#role-status.error")
    assert "HTTP 500" in page.inner_text("#role-status")


def test_language_toggle(page: Any) -> None:
    assert page.inner_text("#start") == "Abrir conversación"
    page.click("#lang")
    assert page.inner_text("#start") == "Open conversation"
