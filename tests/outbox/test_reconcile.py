"""Reconciliation after a crash: a re-claimed row WhatsApp already accepted is not re-sent.

The crash is the one ``python -m bench broadcast`` provokes with SIGKILL: the provider
accepted the send, the process died before the flush that records it, and the row's
lease ran out. The emulator's own status webhooks for that send (their bodies, signed
with its app secret, read back from ``/sandbox/api/webhook-deliveries`` since the test
emulator posts them nowhere) go through the real ingestion, which records the echoed
``biz_opaque_callback_data``. The next worker then finds the send by the row's key.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

import pytest

from bot.clients.wappbiz import WappbizClient
from bot.sandbox.webhook_sender import encode_payload, sign
from bot.storage.outbox import OutboxRecord
from bot.storage.store import Store
from bot.whatsapp.ingest import Recorder, ingest
from tests.outbox.conftest import Emulator
from tests.outbox.test_worker import HELLO, fast_worker, put


async def crashed_send(store: Store, client: WappbizClient, *rows: OutboxRecord) -> None:
    """Worker "a" sends ``rows`` (the emulator accepts them) and dies before the flush."""
    original = store.mark_sent_many

    async def died(worker_id: str, results: Any) -> list[int]:
        raise RuntimeError("killed before the flush")

    store.mark_sent_many = died  # type: ignore[method-assign]
    try:
        first = fast_worker(store, client, worker_id="worker-a", lease_s=0.3)
        assert await first.run_once() == len(rows)
    finally:
        store.mark_sent_many = original  # type: ignore[method-assign]
    for row in rows:
        left = await store.get_outbox(row.id)
        assert left is not None and left.status == "sending" and left.wamid is None


async def ingest_statuses(emulator: Emulator, store: Store, wamid: str) -> None:
    """Feed the emulator's status webhooks of ``wamid`` (at least ``sent``) to the ingestion."""
    deadline = time.monotonic() + 5
    while True:
        async with emulator.api() as api:
            response = await api.get(
                "/sandbox/api/webhook-deliveries", params={"kind": "status", "ref": wamid}
            )
            response.raise_for_status()
            found = response.json()["deliveries"]
        statuses = {
            status["status"]
            for delivery in found
            for change in delivery["payload"]["entry"][0]["changes"]
            for status in change["value"]["statuses"]
        }
        if "sent" in statuses:
            break
        assert time.monotonic() < deadline, statuses
        await asyncio.sleep(0.02)
    recorder = Recorder(store)
    for delivery in found:
        body = encode_payload(delivery["payload"])  # the bytes the emulator signed
        result = await ingest(
            recorder,
            app_secret=emulator.config.app_secret,
            max_body=1 << 20,
            body=body,
            content_type="application/json",
            signature_header=sign(emulator.config.app_secret, body),
        )
        assert result.status == 200, result.body


async def accepted_wamid_of(emulator: Emulator, key: str) -> str:
    [message] = [
        m for m in await emulator.outbound() if m["body"].get("biz_opaque_callback_data") == key
    ]
    return str(message["id"])


async def test_a_reclaimed_row_already_accepted_is_reconciled_not_sent_again(
    store: Store,
    client: WappbizClient,
    emulator: Emulator,
    new_wa_id: Callable[[], str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    accepted = await put(store, "r:accepted", new_wa_id(), kind="template", payload=HELLO)
    unknown = await put(store, "r:unknown", new_wa_id(), kind="template", payload=HELLO)
    await crashed_send(store, client, accepted, unknown)
    wamid = await accepted_wamid_of(emulator, "r:accepted")
    # Only the first send's status webhooks reached the bot before the restart; the
    # second one's never did (an outage), so nothing tells it was accepted.
    await ingest_statuses(emulator, store, wamid)
    await asyncio.sleep(0.35)  # worker-a's leases run out

    second = fast_worker(store, client, worker_id="worker-b")
    with caplog.at_level(logging.INFO, logger="bot.outbox.worker"):
        assert await second.run_once() == 2

    done = await store.get_outbox(accepted.id)
    assert done is not None and done.status == "sent" and done.claimed_by == "worker-b"
    assert done.wamid == wamid and done.attempts == 2  # the original send's wamid
    resent = await store.get_outbox(unknown.id)
    assert resent is not None and resent.status == "sent" and resent.attempts == 2
    # Reconciled: sent once. Unknown: at least once, so sent again.
    assert await emulator.per_key() == {"r:accepted": 1, "r:unknown": 2}
    assert (
        resent.wamid
        == [
            m["id"]
            for m in await emulator.outbound()
            if m["body"].get("biz_opaque_callback_data") == "r:unknown"
        ][-1]
    )
    reconciled = [r for r in caplog.records if getattr(r, "action", "") == "outbox.reconciled"]
    assert [r.fields["id"] for r in reconciled] == [accepted.id]  # type: ignore[attr-defined]
    assert reconciled[0].fields["wamid"] == wamid  # type: ignore[attr-defined]


async def test_a_failed_status_does_not_count_as_accepted(
    store: Store, client: WappbizClient, emulator: Emulator, new_wa_id: Callable[[], str]
) -> None:
    row = await put(store, "r:failed", new_wa_id(), kind="template", payload=HELLO)
    await crashed_send(store, client, row)
    wamid = await accepted_wamid_of(emulator, "r:failed")
    await store.record_status(
        wamid=wamid,
        status="failed",
        recipient_id=row.wa_id,
        wa_timestamp=None,
        errors=[{"code": 131026, "title": "Message undeliverable"}],
        callback_data="r:failed",
    )
    await asyncio.sleep(0.35)
    assert await fast_worker(store, client, worker_id="worker-b").run_once() == 1
    assert await emulator.per_key() == {"r:failed": 2}


async def test_a_later_attempt_is_reconciled_even_after_an_earlier_error(
    sqlite_store: Store, client: WappbizClient, emulator: Emulator, new_wa_id: Callable[[], str]
) -> None:
    """``claim`` keeps ``last_error``: an attempt-1 error says nothing of how attempt 2 ended."""
    row = await put(sqlite_store, "r:retried", new_wa_id(), kind="template", payload=HELLO)
    await emulator.fault("503")
    assert await fast_worker(sqlite_store, client, worker_id="worker-0").run_once() == 1
    retried = await sqlite_store.get_outbox(row.id)
    assert retried is not None and retried.status == "queued" and retried.last_error
    await asyncio.sleep(0.05)  # past the (tiny) backoff
    await crashed_send(sqlite_store, client, retried)  # attempt 2: accepted, never recorded
    wamid = await accepted_wamid_of(emulator, "r:retried")
    await ingest_statuses(emulator, sqlite_store, wamid)
    await asyncio.sleep(0.35)
    assert await fast_worker(sqlite_store, client, worker_id="worker-b").run_once() == 1
    done = await sqlite_store.get_outbox(row.id)
    assert done is not None and done.status == "sent" and done.wamid == wamid
    assert done.attempts == 3 and await emulator.per_key() == {"r:retried": 1}


async def test_first_attempts_cost_no_lookup(
    sqlite_store: Store, client: WappbizClient, emulator: Emulator, new_wa_id: Callable[[], str]
) -> None:
    rows = [
        await put(sqlite_store, f"r:first:{n}", new_wa_id(), kind="template", payload=HELLO)
        for n in range(3)
    ]
    asked: list[str] = []
    original = sqlite_store.accepted_wamid

    async def spy(key: str) -> str | None:
        asked.append(key)
        return await original(key)

    sqlite_store.accepted_wamid = spy  # type: ignore[method-assign]
    assert await fast_worker(sqlite_store, client).run_once() == 3
    assert asked == []
    for row in rows:
        done = await sqlite_store.get_outbox(row.id)
        assert done is not None and done.status == "sent" and done.attempts == 1
