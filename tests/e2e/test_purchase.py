"""Buying tickets in the chat, paying on the emulator's checkout, checking in at the door.

The whole assistant runs (rasa, action server, sandbox with the Hi.Events, Wompi and
Wappbíz emulators). The person answers whatever the bot asks (a list, buttons or a
question), pays two VIP tickets with Nequi through the checkout page's own endpoint,
and the QR images that arrive are decoded with a real decoder and scanned at the
emulated Hi.Events door. Once in Spanish, once in English.
"""

from __future__ import annotations

import io
import json
import time
from typing import Any

import httpx
import pytest
import zxingcpp
from PIL import Image

from bot.cli import SandboxSession, simplify
from tests.support import chat
from tests.support.chat import phone_numbers, say, store_call
from tests.support.stack import RunningStack

pytestmark = pytest.mark.e2e

_numbers = phone_numbers(573190000001)
EVENT = "Medellín Fashion Night"


def tap_row(user: SandboxSession, row: dict[str, Any]) -> list[dict[str, Any]]:
    user.send({"type": "interactive", "list_reply": {"id": row["id"], "title": row["title"]}})
    return [simplify(m) for m in user.replies(first_timeout=30)]


def buy_two_vip(user: SandboxSession, first: str, name: str, email: str) -> dict[str, Any]:
    """Answer the purchase questions until the payment link comes; returns that message."""
    replies = say(user, first)
    for _ in range(8):
        link = next((r for r in replies if r.get("url")), None)
        if link:
            return link
        last = replies[-1]
        text = json.dumps(replies, ensure_ascii=False)
        if last.get("rows"):
            row = next((r for r in last["rows"] if EVENT in r["id"] or "VIP" in r["title"]), None)
            assert row, last
            replies = tap_row(user, row)
        elif last.get("buttons") and any("VIP" in b["title"] for b in last["buttons"]):
            replies = chat.tap(user, next(b for b in last["buttons"] if "VIP" in b["title"]))
        elif last.get("buttons") and any(b["title"] == "2" for b in last["buttons"]):
            replies = chat.tap(user, next(b for b in last["buttons"] if b["title"] == "2"))
        elif "@" in text or "correo" in text or "email" in text.lower():
            replies = say(user, email)
        else:
            replies = say(user, name)
    raise AssertionError(f"no payment link; last replies: {replies}")


def wait_images(user: SandboxSession, count: int, timeout: float = 40) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        seen += [simplify(m) for m in user.replies(first_timeout=2, quiet=0.5)]
        if len([m for m in seen if m["type"] == "image"]) >= count and any(
            m["type"] == "text" and ("$" in (m.get("text") or "")) for m in seen
        ):
            return seen
    raise AssertionError(f"tickets did not arrive: {seen}")


def decode(running: RunningStack, media_id: str) -> str:
    data = httpx.get(f"{running.sandbox_url}/sandbox/media/{media_id}", timeout=10).content
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(data)))
    assert len(found) == 1
    return found[0].text


@pytest.mark.parametrize(
    ("lang", "opening", "price_question", "buy", "name", "welcome"),
    [
        (
            "es",
            "hola, ¿qué desfiles hay en diciembre?",
            "¿cuánto vale la boleta para Medellín Fashion Night?",
            "quiero 2 boletas VIP para Medellín Fashion Night",
            "Ana Gómez",
            "Bienvenida",
        ),
        (
            "en",
            "hi, which fashion shows are coming up in December?",
            "how much are tickets for Medellín Fashion Night?",
            "I want to buy 2 VIP tickets for Medellín Fashion Night",
            "Emma Stone",
            "Welcome",
        ),
    ],
)
def test_buy_two_vip_pay_with_nequi_and_check_in(
    running: RunningStack,
    lang: str,
    opening: str,
    price_question: str,
    buy: str,
    name: str,
    welcome: str,
) -> None:
    user = chat.new_user(running, _numbers, name.split()[0])
    listing = say(user, opening)
    rows = [row for reply in listing for row in reply.get("rows", [])]
    assert any(EVENT in row["id"] for row in rows), listing

    prices = say(user, price_question)
    assert "VIP" in json.dumps(prices) and "$" in json.dumps(prices), prices

    link = buy_two_vip(user, buy, name, f"{name.split()[0].lower()}@example.com")
    assert "/wompi/checkout/l/" in link["url"]
    page = httpx.get(link["url"], timeout=10)
    assert page.status_code == 200 and "Nequi" in page.text
    paid = httpx.post(
        link["url"] + "/pay", json={"method": "NEQUI", "phone": "3991111111"}, timeout=10
    )
    assert paid.status_code < 300, paid.text

    messages = wait_images(user, 2)
    qr = [m for m in messages if m["type"] == "image"]
    assert all("VIP" in m["caption"] and EVENT in m["caption"] for m in qr)
    codes = [decode(running, m["id"]) for m in qr]
    assert len(set(codes)) == 2 and all(code.startswith("A-") for code in codes)

    deadline = time.monotonic() + 15  # the summary goes out just before "fulfilled"
    while True:
        purchase = store_call(running, lambda s: s.purchases_for(user.wa_id, limit=1))[0]
        if purchase.state == "fulfilled" or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert purchase.state == "fulfilled" and purchase.quantity == 2
    base = f"{running.sandbox_url}/hi-events/api"
    lists = httpx.get(f"{base}/public/events/{purchase.event_id}", timeout=10)
    assert lists.status_code == 200
    tickets = store_call(running, lambda s: s.tickets_for_purchase(purchase.id))
    assert sorted(t.attendee_public_id for t in tickets) == sorted(codes)

    scan = httpx.post(
        f"{running.sandbox_url}/door/scan", json={"media_id": qr[0]["id"]}, timeout=10
    )
    assert scan.status_code == 200, scan.text
    assert scan.json().get("ok") is True, scan.text
    again = httpx.post(
        f"{running.sandbox_url}/door/scan", json={"media_id": qr[0]["id"]}, timeout=10
    )
    assert again.json().get("ok") is False, again.text

    deadline = time.monotonic() + 20
    texts = ""
    while welcome not in texts and time.monotonic() < deadline:
        texts += json.dumps([simplify(m) for m in user.replies(first_timeout=2, quiet=0.3)])
    assert welcome in texts
