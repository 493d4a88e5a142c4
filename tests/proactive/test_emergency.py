"""Emergency alerts (issue 5, item 7): the admin API, the outbox and the real worker.

Through ``running_ticketing`` (the real action server, its delivery worker, the Wappbíz
emulator over HTTP), and at the store level for the 5,000-recipient queueing (no
timing assertion here: ``python -m bench emergency`` measures it).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bench.emergency import seed_holders
from bot.clients.wappbiz_templates import WappbizTemplatesClient
from bot.proactive.emergency import AlertRequest, idempotency_key, is_alert_id, queue_alert
from bot.storage.migrate import upgrade
from bot.storage.store import Store
from bot.storage.types import utcnow
from bot.templates import sync_templates, wait_for_review
from tests.support.ticketing import TicketingHarness, running_ticketing

EVENT = 7001
OTHER_EVENT = 7002
HOLDER_OPEN = "573160000001"  # window open, es, also staff: one recipient
HOLDER_CLOSED = "573160000002"  # window closed, es → template es_CO
HOLDER_EN = "573160000003"  # window closed, en → template en
STAFF_OPEN = "573160000004"  # staff, window open → free text
ORGANIZER_EN = "573160000005"  # organizer, en, window closed → template en
OTHER_HOLDER = "573160000009"  # holds a ticket of another event only
RECIPIENTS = {HOLDER_OPEN, HOLDER_CLOSED, HOLDER_EN, STAFF_OPEN, ORGANIZER_EN}
MARKETING = [f"5731700000{n:02d}" for n in range(10)]
ALERT = {
    "message_es": "Por una falla eléctrica, sal con calma por la puerta 3.",
    "message_en": "Power failure: please leave calmly through gate 3.",
    "requested_by": "laura",
}


@pytest.fixture(scope="module")
def h(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TicketingHarness]:
    # One claim takes exactly the alert's rows: the emulator's acceptance order then
    # shows the claim's order, not the luck of concurrent HTTP requests.
    with running_ticketing(
        tmp_path_factory.mktemp("emergency"), outbox_batch=len(RECIPIENTS)
    ) as harness:
        harness.run(_prepare(harness), timeout=90)
        for wa_id in (HOLDER_OPEN, STAFF_OPEN, *MARKETING):
            harness.open_window(wa_id)
        yield harness


async def _prepare(h: TicketingHarness) -> None:
    store: Store = h.action_app.ctx.store
    client = WappbizTemplatesClient.from_settings(h.settings)
    try:
        await sync_templates(store, client)
        await wait_for_review(store, client, timeout_s=30, poll_s=0.1)
    finally:
        await client.aclose()
    await seed_holders(store, EVENT, [HOLDER_OPEN, HOLDER_CLOSED], window_open=[HOLDER_OPEN])
    await seed_holders(store, EVENT, [HOLDER_EN], language="en", tag="EN")
    await seed_holders(store, OTHER_EVENT, [OTHER_HOLDER])
    await store.set_role(HOLDER_OPEN, "staff")
    await store.set_role(STAFF_OPEN, "staff")
    await store.upsert_contact(STAFF_OPEN, touch_inbound_at=utcnow())
    await store.set_role(ORGANIZER_EN, "organizer")
    await store.set_language(ORGANIZER_EN, "en", "explicit")


def _auth(h: TicketingHarness) -> dict[str, str]:
    return {"Authorization": f"Bearer {h.settings.secret('admin_token')}"}


def _feed(h: TicketingHarness, since: int) -> list[dict[str, Any]]:
    response = httpx.get(
        f"{h.sandbox_url}/sandbox/api/messages",
        params={"direction": "out", "since_seq": since},
        timeout=10,
    )
    response.raise_for_status()
    return response.json()["messages"]


def _last_seq(h: TicketingHarness) -> int:
    return httpx.get(f"{h.sandbox_url}/sandbox/api/messages", timeout=10).json()["last_seq"]


def test_emergency_routes_need_the_token(h: TicketingHarness) -> None:
    post = httpx.post(f"{h.action_url}/admin/events/{EVENT}/emergency", json=ALERT, timeout=10)
    assert post.status_code == 401
    get = httpx.get(f"{h.action_url}/admin/emergency/{2**52 + 1}", timeout=10)
    assert get.status_code == 401


def test_bad_requests_are_refused(h: TicketingHarness) -> None:
    url = f"{h.action_url}/admin/events/{EVENT}/emergency"
    assert httpx.post(url, json={}, headers=_auth(h), timeout=10).status_code == 400
    no_author = {k: v for k, v in ALERT.items() if k != "requested_by"}
    assert httpx.post(url, json=no_author, headers=_auth(h), timeout=10).status_code == 400
    unknown = httpx.get(f"{h.action_url}/admin/emergency/12", headers=_auth(h), timeout=10)
    assert unknown.status_code == 404


def test_alert_reaches_everyone_first_in_their_language_and_only_once(
    h: TicketingHarness,
) -> None:
    delivery = h.action_app.ctx.outbox
    assert delivery.running
    h.run(delivery.stop())  # the worker is busy elsewhere: marketing piles up first
    store: Store = h.action_app.ctx.store

    async def queue_marketing() -> int:
        for wa_id in MARKETING:  # they said yes to promotions (the worker checks, per row)
            await store.record_consent(
                wa_id, ("marketing",), granted=True, policy_version="test", source="button"
            )
        return await store.enqueue_many(
            {
                "idempotency_key": f"promo:test:{wa_id}",
                "wa_id": wa_id,
                "purpose": "marketing",
                "payload": {"type": "text", "text": {"body": "Preventa 2x1 🎉"}},
            }
            for wa_id in MARKETING
        )

    assert h.run(queue_marketing()) == len(MARKETING)
    since = _last_seq(h)
    url = f"{h.action_url}/admin/events/{EVENT}/emergency"
    answer = httpx.post(url, json=ALERT, headers=_auth(h), timeout=10)
    assert answer.status_code == 202, answer.text
    result = answer.json()
    assert is_alert_id(result["alert_id"])
    assert result["recipients"] == result["queued"] == len(RECIPIENTS)
    assert result["templates"] == 3 and result["free_text"] == 2
    assert result["warnings"] == []
    assert isinstance(result["queued_in_ms"], float)
    h.run(delivery.start())

    def done(feed: list[dict[str, Any]]) -> bool:
        return {m["wa_id"] for m in feed} >= RECIPIENTS | set(MARKETING)

    feed = _wait(h, since, done)
    alert = [m for m in feed if m["wa_id"] in RECIPIENTS]
    promos = [m for m in feed if m["wa_id"] in MARKETING]
    assert len(alert) == len(RECIPIENTS) and len(promos) == len(MARKETING)
    assert max(m["seq"] for m in alert) < min(m["seq"] for m in promos)
    by_wa = {m["wa_id"]: m for m in alert}
    for wa_id in (HOLDER_OPEN, STAFF_OPEN):
        assert by_wa[wa_id]["type"] == "text"
        assert ALERT["message_es"] in json.dumps(by_wa[wa_id]["body"], ensure_ascii=False)
    for wa_id, language in ((HOLDER_CLOSED, "es_CO"), (HOLDER_EN, "en"), (ORGANIZER_EN, "en")):
        sent = json.dumps(by_wa[wa_id]["body"], ensure_ascii=False)
        assert by_wa[wa_id]["type"] == "template", by_wa[wa_id]
        assert "emergency_alert" in sent and f'"{language}"' in sent
        text = ALERT["message_en"] if language == "en" else ALERT["message_es"]
        assert text in sent
    assert h.messages_to(OTHER_HOLDER) == []

    again = httpx.post(url, json=ALERT, headers=_auth(h), timeout=10)
    assert again.status_code == 202
    assert again.json()["alert_id"] == result["alert_id"]
    assert again.json()["queued"] == 0 and again.json()["recipients"] == len(RECIPIENTS)
    status = httpx.get(
        f"{h.action_url}/admin/emergency/{result['alert_id']}", headers=_auth(h), timeout=10
    )
    assert status.status_code == 200
    body = status.json()
    assert body["total"] == len(RECIPIENTS) and body["counts"]["sent"] == len(RECIPIENTS)
    later = _feed(h, since)
    assert len([m for m in later if m["wa_id"] in RECIPIENTS]) == len(RECIPIENTS)
    keys = {idempotency_key(result["alert_id"], wa_id) for wa_id in RECIPIENTS}
    rows = h.run(_rows(store, keys))
    assert {r.purpose for r in rows} == {"emergency"} and {r.priority for r in rows} == {0}


async def _rows(store: Store, keys: set[str]) -> list[Any]:
    return [await store.outbox_by_key(key) for key in sorted(keys)]


def _wait(h: TicketingHarness, since: int, predicate: Any, timeout: float = 30.0) -> Any:
    import time

    deadline = time.monotonic() + timeout
    while True:
        feed = _feed(h, since)
        if predicate(feed):
            return feed
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out; accepted so far: {feed}")
        time.sleep(0.1)


async def test_5000_recipients_are_queued_once_even_without_an_approved_template(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    upgrade(url)
    store = Store(url)
    await store.start()
    try:
        wa_ids = [str(573_500_000_000 + n) for n in range(5000)]
        await seed_holders(store, EVENT, wa_ids, window_open=wa_ids[::2])
        await store.set_role("573600000001", "staff")
        request = AlertRequest(EVENT, ALERT["message_es"], ALERT["message_en"], "laura")
        result = await queue_alert(store, request)
        assert result.recipients == result.queued == 5001
        counts = await store.outbox_counts(broadcast_id=result.alert_id)
        assert counts["queued"] == 5001 and sum(counts.values()) == 5001
        # never synced: not approved, so everyone gets text with the template as fallback
        assert result.templates == 0 and result.free_text == 5001
        assert any("not approved" in w for w in result.warnings)
        assert any("never submitted" in w for w in result.warnings)
        row = await store.outbox_by_key(idempotency_key(result.alert_id, wa_ids[1]))
        assert row is not None and row.kind == "message" and row.priority == 0
        assert row.template_fallback["name"] == "emergency_alert"
        again = await queue_alert(store, request)
        assert again.alert_id == result.alert_id and again.queued == 0
        other = await queue_alert(
            store,
            AlertRequest(EVENT, "Otro aviso", "Another notice", "laura", alert_key="second"),
        )
        assert other.alert_id != result.alert_id and other.queued == 5001
    finally:
        await store.close()
