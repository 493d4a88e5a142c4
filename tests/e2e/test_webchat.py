"""The web chat against the real bot, in Debian's headless Chromium (Playwright).

A person picks a Colombian number and a role, types "hola parce", gets the Spanish
welcome with buttons, taps one and gets its answer: the whole path of `make run`.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from bot.calendar import to_bogota
from bot.i18n import catalog, t
from bot.proactive.policy import next_marketing_slot
from bot.storage.types import utcnow
from tests.support.chat import store_call
from tests.support.stack import RunningStack

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

playwright_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")
    if not executable:
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is required in CI (scripts/ensure_browser.sh installs it)")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    with playwright_api.sync_playwright() as p:
        launched = p.chromium.launch(
            executable_path=executable,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield launched
        launched.close()


def test_type_a_message_and_tap_a_button(
    browser: Any, running: RunningStack, tmp_path: Any
) -> None:
    context = browser.new_context(locale="es-CO", viewport={"width": 1200, "height": 860})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(running.sandbox_url + "/")
    page.fill("#phone", "300 777 0101")
    page.fill("#name", "Valentina")
    page.select_option("#role", "model")
    page.click("#start")

    page.fill("#composer", "hola parce")
    page.press("#composer", "Enter")
    welcome = t("es", "greet.welcome").split("*")[0].strip()
    page.wait_for_selector(f".bubble[data-from='bot']:has-text('{welcome}')", timeout=30_000)
    # first contact: the Ley 1581 notice asks for consent; accepting brings the menu
    accept = page.locator("button.reply-button", has_text=t("es", "consent.accept_button")).first
    accept.wait_for(timeout=10_000)
    accept.click()
    accepted = t("es", "consent.accepted").split("✅")[0].strip()
    page.wait_for_selector(f".bubble[data-from='bot']:has-text('{accepted}')", timeout=30_000)
    button = page.locator("button.reply-button", has_text=t("es", "menu.help.title")).last
    button.wait_for(timeout=10_000)
    button.click()
    help_text = t("es", "help.body").split("*")[0].strip()
    page.wait_for_selector(f".bubble[data-from='bot']:has-text('{help_text}')", timeout=30_000)
    # the bot marked the user's messages read: blue ticks
    page.wait_for_selector(".bubble[data-from='user'] .ticks[data-status='read']", timeout=10_000)
    page.screenshot(path=str(tmp_path / "webchat.png"), full_page=True)
    os.environ.get("WEBCHAT_SCREENSHOT") and page.screenshot(path=os.environ["WEBCHAT_SCREENSHOT"])
    context.close()
    assert errors == [], errors


@pytest.mark.parametrize(
    ("lang", "phone", "name", "opening", "price", "buy", "email", "welcome"),
    [
        (
            "es",
            "300 777 0201",
            "Ana Gómez",
            "hola, ¿qué desfiles hay en diciembre?",
            "¿cuánto vale la boleta para Medellín Fashion Night?",
            "quiero 2 boletas VIP para Medellín Fashion Night",
            "ana@example.com",
            "Bienvenida",
        ),
        (
            "en",
            "300 777 0202",
            "Emma Stone",
            "hi, which fashion shows are coming up in December?",
            "how much are tickets for Medellín Fashion Night?",
            "I want to buy 2 VIP tickets for Medellín Fashion Night",
            "emma@example.com",
            "Welcome",
        ),
    ],
)
def test_buy_two_vip_tickets_pay_on_the_checkout_and_check_in(
    browser: Any,
    running: RunningStack,
    tmp_path: Any,
    lang: str,
    phone: str,
    name: str,
    opening: str,
    price: str,
    buy: str,
    email: str,
    welcome: str,
) -> None:
    """Issue 4's "done when", in the browser: list, price, buy, pay, QR tickets, the door."""
    context = browser.new_context(locale="es-CO", viewport={"width": 1200, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(running.sandbox_url + "/")
    page.fill("#phone", phone)
    page.fill("#name", name)
    page.click("#start")

    def say(text: str) -> None:
        page.fill("#composer", text)
        page.press("#composer", "Enter")

    def bot_says(needle: str, timeout: float = 30_000) -> None:
        page.wait_for_selector(f".bubble[data-from='bot']:has-text('{needle}')", timeout=timeout)

    say(opening)
    page.locator("button.list-open").last.click()
    row = page.locator("[data-testid='list-row']", has_text="Medellín Fashion Night").first
    row.click()
    bot_says("Casa Provenza")
    say(price)
    bot_says("$150.000")
    say(buy)
    bot_says(t(lang, "tickets.ask.buyer_name").split("?")[0])
    say(name)
    bot_says(t(lang, "tickets.ask.buyer_email").split("?")[0])
    say(email)
    pay_link = page.locator("a.reply-button.cta", has_text=t(lang, "tickets.pay_button")).last
    pay_link.wait_for(timeout=30_000)
    with context.expect_page() as opened:
        pay_link.click()
    checkout = opened.value
    checkout.wait_for_load_state()
    assert "$300.000" in checkout.content()
    checkout.check("input[name='method'][value='NEQUI']")
    checkout.fill("#phone", "3991111111")
    checkout.fill("#email", email)
    checkout.check("input[name='accept']")
    checkout.click("button.pay")
    checkout.wait_for_selector("#result:not([hidden])", timeout=30_000)

    page.wait_for_selector(
        ".bubble[data-from='bot'] img.photo >> nth=1", state="attached", timeout=60_000
    )
    bot_says("$300.000", timeout=30_000)  # the summary after the two QR images
    door_link = page.locator("[data-testid='scan-at-door']").first
    with context.expect_page() as opened:
        door_link.click()
    door = opened.value
    door.wait_for_selector("#result.ok", timeout=30_000)
    bot_says(welcome, timeout=30_000)
    page.screenshot(path=str(tmp_path / f"purchase-{lang}.png"), full_page=True)
    context.close()
    assert errors == [], errors


def test_an_organizer_schedules_a_broadcast_for_saturday_at_ten_in_the_web_chat(
    browser: Any, running: RunningStack, tmp_path: Any
) -> None:
    """Issue 5, "done when": the organizer plans it in the chat, the admin API shows it."""

    async def fan_opts_in(store: Any) -> Any:
        return await store.record_consent(
            "573007770302", ["marketing"], granted=True, policy_version="e2e", source="text"
        )

    fan = httpx.post(  # a contact who opted in to promotions: someone to send it to
        f"{running.sandbox_url}/sandbox/api/contacts/573007770302/role",
        json={"role": "attendee", "name": "Mariana"},
        timeout=10,
    )
    assert fan.status_code == 200, fan.text
    # Playwright's sync API keeps an event loop in this thread: the store call runs in another
    with ThreadPoolExecutor(1) as pool:
        pool.submit(store_call, running, fan_opts_in).result(timeout=30)

    context = browser.new_context(locale="es-CO", viewport={"width": 1200, "height": 860})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(running.sandbox_url + "/")
    page.fill("#phone", "300 777 0301")
    page.fill("#name", "Laura")
    page.select_option("#role", "organizer")
    page.click("#start")

    def say(text: str) -> None:
        page.fill("#composer", text)
        page.press("#composer", "Enter")

    def bot_says(text: str, timeout: int = 30_000) -> None:
        page.wait_for_selector(f".bubble[data-from='bot']:has-text('{text}')", timeout=timeout)

    say("quiero programar una difusión")
    bot_says(t("es", "broadcast.ask_template").split(".")[0])
    page.locator("button.list-open").last.click()
    page.locator("[data-testid='list-row']", has_text="Anuncio de evento").first.click()
    bot_says(t("es", "broadcast.ask_audience"))
    page.locator("button.list-open").last.click()
    page.locator("[data-testid='list-row']", has_text="Suscritos a promos").first.click()
    saturday = page.locator("button.reply-button", has_text=t("es", "broadcast.when_saturday"))
    saturday.last.click()
    bot_says(catalog("es")["broadcast.preview"].split(":")[0])  # "Así se verá"
    page.locator("button.reply-button", has_text=t("es", "broadcast.confirm")).last.click()
    bot_says("programada")
    page.screenshot(path=str(tmp_path / "broadcast.png"), full_page=True)
    context.close()
    assert errors == [], errors

    listed = httpx.get(
        f"{running.settings.action_url}/admin/broadcasts",
        headers={"Authorization": f"Bearer {running.settings.secret('admin_token')}"},
        timeout=10,
    )
    assert listed.status_code == 200, listed.text
    mine = [b for b in listed.json()["broadcasts"] if b["created_by"] == "chat:573007770301"]
    assert [b["status"] for b in mine] == ["scheduled"], mine
    now = to_bogota(utcnow())
    days = (5 - now.weekday()) % 7 or (7 if now.hour >= 10 else 0)
    wanted = next_marketing_slot(
        (now + timedelta(days=days)).replace(hour=10, minute=0, second=0, microsecond=0)
    )
    first = datetime.fromisoformat(mine[0]["counts"]["first_slot"])
    assert to_bogota(first) == wanted  # Saturday 10:00 Bogotá, or the next allowed slot
