"""The web chat against the real bot, in Debian's headless Chromium (Playwright).

A person picks a Colombian number and a role, types "hola parce", gets the Spanish
welcome with buttons, taps one and gets its answer: the whole path of `make run`.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from bot.i18n import t
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
