"""The Wappbíz channel's webhook over real HTTP, against the running rasa server.

Bad input must get a clear status (never a 500), nothing may be processed twice,
and a good notification is acknowledged before any NLU runs.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

import httpx
import pytest

from bot.storage.store import Store
from bot.whatsapp.signature import sign
from tests.support.payloads import envelope, text_message
from tests.support.stack import RunningStack

pytestmark = pytest.mark.e2e


def open_window(running: RunningStack, wa_id: str) -> None:
    """Webhooks posted here bypass the emulator, so open the 24-hour window by hand."""
    url = f"{running.sandbox_url}/sandbox/api/conversations/{wa_id}/window"
    httpx.post(url, json={"open": True}, timeout=10).raise_for_status()


def post(
    running: RunningStack,
    payload: Any,
    *,
    secret: str | None = None,
    raw: bytes | None = None,
    content_type: str = "application/json",
    signature: str | None = "auto",
) -> httpx.Response:
    body = raw if raw is not None else json.dumps(payload, ensure_ascii=True).encode()
    headers = {"Content-Type": content_type}
    if signature == "auto":
        headers["X-Hub-Signature-256"] = sign(
            body, secret or running.settings.secret("wappbiz_app_secret")
        )
    elif signature is not None:
        headers["X-Hub-Signature-256"] = signature
    return httpx.post(running.webhook_url, content=body, headers=headers, timeout=10)


def outbound_for(
    running: RunningStack, wa_id: str, wait: float = 20.0, quiet: float = 1.5
) -> list[dict]:
    """Messages the emulator accepted for ``wa_id``, once the bot stays quiet."""
    url = f"{running.sandbox_url}/sandbox/api/conversations/{wa_id}/messages"
    seen: dict[str, dict] = {}
    deadline = time.monotonic() + wait
    after = 0
    while time.monotonic() < deadline:
        data = httpx.get(url, params={"after": after, "wait": quiet}, timeout=30).json()
        new = [m for m in data["messages"] if m["direction"] == "out" and m["id"] not in seen]
        after = data.get("last_seq", after)
        for message in new:
            seen[message["id"]] = message
        if seen and not new:
            break
    return list(seen.values())


def run(coro: Any) -> Any:
    return asyncio.new_event_loop().run_until_complete(coro)


async def _with_store(running: RunningStack, fn: Any) -> Any:
    store = Store(running.settings.resolved_database_url)
    await store.start()
    try:
        return await fn(store)
    finally:
        await store.close()


def test_health_and_verification_handshake(running: RunningStack) -> None:
    health = httpx.get(f"{running.settings.rasa_url}/webhooks/wappbiz/").json()
    assert health["status"] == "ok" and health["started"] is True
    token = running.settings.secret("wappbiz_verify_token")
    ok = httpx.get(
        running.webhook_url,
        params={"hub.mode": "subscribe", "hub.challenge": "1158201444", "hub.verify_token": token},
    )
    assert ok.status_code == 200 and ok.text == "1158201444"
    bad = httpx.get(
        running.webhook_url,
        params={"hub.mode": "subscribe", "hub.challenge": "1", "hub.verify_token": "wrong"},
    )
    assert bad.status_code == 403
    wrong_mode = httpx.get(
        running.webhook_url,
        params={"hub.mode": "unsubscribe", "hub.challenge": "1", "hub.verify_token": token},
    )
    assert wrong_mode.status_code == 403


@pytest.mark.parametrize(
    ("kwargs", "status"),
    [
        ({"signature": None}, 401),
        ({"signature": "sha256=" + "0" * 64}, 403),
        ({"signature": "sha1=abc"}, 403),
        ({"secret": "not-the-secret"}, 403),
        (
            {
                "raw": b"{not json",
            },
            400,
        ),
        ({"raw": b"[]"}, 400),
        ({"raw": json.dumps({"object": "page", "entry": []}).encode()}, 400),
        ({"raw": json.dumps({"object": "whatsapp_business_account", "entry": {}}).encode()}, 400),
        ({"raw": json.dumps(envelope([{"from": "573009990001", "type": "text"}])).encode()}, 400),
        ({"content_type": "text/plain"}, 415),
        ({"raw": b"{" + b" " * 1_100_000 + b"}"}, 413),
    ],
    ids=[
        "no-signature",
        "wrong-digest",
        "wrong-prefix",
        "wrong-secret",
        "malformed-json",
        "not-an-object",
        "wrong-object",
        "entry-not-list",
        "message-without-id",
        "content-type",
        "too-large",
    ],
)
def test_bad_input_gets_a_clear_status(running: RunningStack, kwargs: dict, status: int) -> None:
    payload = envelope([text_message("573009990001", "hola")])
    response = post(running, payload, **kwargs)
    assert response.status_code == status
    assert "error" in response.json()


def test_a_tampered_body_is_refused_and_not_processed(running: RunningStack) -> None:
    wa_id = "573009990002"
    good = json.dumps(envelope([text_message(wa_id, "hola")]), ensure_ascii=True).encode()
    signature = sign(good, running.settings.secret("wappbiz_app_secret"))
    tampered = good.replace(b"hola", b"chao")
    response = post(running, None, raw=tampered, signature=signature)
    assert response.status_code == 403
    assert outbound_for(running, wa_id, wait=3) == []


def test_same_message_id_twice_is_answered_once(running: RunningStack) -> None:
    wa_id = "573009990003"
    open_window(running, wa_id)
    message = text_message(wa_id, "hola", wamid=f"wamid.dup{uuid.uuid4().hex}")
    first = post(running, envelope([message]))
    second = post(running, envelope([message]))
    assert first.json()["accepted"] == 1
    assert second.status_code == 200 and second.json()["duplicates"] == 1
    replies = outbound_for(running, wa_id)
    assert replies, "the bot answered nothing"

    async def check(store: Store) -> list:
        return await store.list_outbound(wa_id=wa_id)

    rows = run(_with_store(running, check))
    assert len(rows) == len(replies)
    assert {r.reply_to_wamid for r in rows} == {message["id"]}


def test_status_webhooks_are_stored_once(running: RunningStack) -> None:
    wamid = f"wamid.status{uuid.uuid4().hex}"
    statuses = [
        {
            "id": wamid,
            "status": "sent",
            "timestamp": str(int(time.time())),
            "recipient_id": "573009990004",
            "conversation": {"id": "c1", "origin": {"type": "service"}},
            "pricing": {
                "billable": False,
                "pricing_model": "PMP",
                "category": "service",
                "type": "free_customer_service",
            },
        },
        {
            "id": wamid,
            "status": "failed",
            "timestamp": str(int(time.time())),
            "recipient_id": "573009990004",
            "errors": [
                {
                    "code": 131026,
                    "title": "Message undeliverable",
                    "message": "Message undeliverable",
                    "error_data": {"details": "x"},
                }
            ],
        },
    ]
    assert post(running, envelope(statuses=statuses)).status_code == 200
    assert post(running, envelope(statuses=statuses)).status_code == 200

    async def counts(store: Store) -> dict:
        return await store.status_counts()

    counts_after = run(_with_store(running, counts))
    assert counts_after.get("sent", 0) >= 1 and counts_after.get("failed", 0) >= 1


def test_ack_reports_accepted_then_the_reply_follows(running: RunningStack) -> None:
    """The 200 counts what was accepted; the reply is sent afterwards, in the background."""
    wa_id = "573009990005"
    open_window(running, wa_id)
    response = post(running, envelope([text_message(wa_id, "hola")]))
    assert response.json() == {"status": "ok", "accepted": 1, "duplicates": 0, "statuses": 0}
    assert outbound_for(running, wa_id), "no reply after the acknowledgement"


def test_the_rasa_route_takes_direct_deliveries_too(running: RunningStack) -> None:
    """One-process deployments point Wappbíz at the channel's own route."""
    wa_id = "573009990006"
    open_window(running, wa_id)
    body = json.dumps(envelope([text_message(wa_id, "hola")]), ensure_ascii=True).encode()
    headers = {
        "Content-Type": "application/json",
        "X-Hub-Signature-256": sign(body, running.settings.secret("wappbiz_app_secret")),
    }
    direct = httpx.post(running.rasa_webhook_url, content=body, headers=headers, timeout=10)
    assert direct.status_code == 200 and direct.json()["accepted"] == 1
    assert outbound_for(running, wa_id)
    unsigned = httpx.post(
        running.rasa_webhook_url,
        content=body,
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    assert unsigned.status_code == 401


def test_the_inbox_hand_off_needs_the_ingress_token(running: RunningStack) -> None:
    url = f"{running.settings.rasa_url}/webhooks/wappbiz/inbox"
    assert httpx.post(url, json={"messages": []}, timeout=10).status_code == 401
    wrong = httpx.post(
        url, json={"messages": []}, timeout=10, headers={"Authorization": "Bearer nope"}
    )
    assert wrong.status_code == 401
