"""Group commit on the webhook path: Store.record_batch and the ingest Recorder."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.storage.migrate import upgrade
from bot.storage.store import Store
from bot.whatsapp.ingest import Recorder


def inbound(wamid: str) -> dict:
    return {
        "wamid": wamid,
        "wa_id": "573001234567",
        "msg_type": "text",
        "text": "hola",
        "payload": {"message": {}},
        "wa_timestamp": None,
    }


def status(wamid: str, state: str = "delivered") -> dict:
    return {"wamid": wamid, "status": state, "recipient_id": "573001234567", "wa_timestamp": None}


async def started(tmp_path: Path) -> Store:
    url = f"sqlite+aiosqlite:///{tmp_path / 'app.db'}"
    upgrade(url)
    store = Store(url)
    await store.start()
    return store


async def test_record_batch_flags_new_and_duplicate_rows(tmp_path: Path) -> None:
    store = await started(tmp_path)
    try:
        assert await store.record_batch(
            [inbound("w1"), inbound("w2"), inbound("w1")], [status("s1"), status("s1")]
        ) == [True, True, False]
        assert await store.record_batch([inbound("w2")], []) == [False]
        assert (await store.status_counts()).get("delivered") == 1
    finally:
        await store.close()


async def test_concurrent_webhooks_share_commits_and_get_their_own_answers(tmp_path: Path) -> None:
    store = await started(tmp_path)
    recorder = Recorder(store)
    calls = 0
    original = store.record_batch

    async def counting(inbound_items: list, status_items: list) -> list[bool]:
        nonlocal calls
        calls += 1
        return await original(inbound_items, status_items)

    store.record_batch = counting  # type: ignore[method-assign]
    try:
        results = await asyncio.gather(
            *(recorder.record([inbound(f"m{i % 30}")], [status(f"s{i}")]) for i in range(60))
        )
        assert sum(r == [True] for r in results) == 30
        assert sum(r == [False] for r in results) == 30
        assert calls < 60  # batched: fewer transactions than webhooks
        assert (await store.status_counts()).get("delivered") == 60
    finally:
        await store.close()
