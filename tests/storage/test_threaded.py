"""ThreadedStore: the Store's API, run on a loop thread of its own."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from bot.storage.migrate import upgrade
from bot.storage.store import Store
from bot.storage.threaded import ThreadedStore


async def test_calls_run_on_the_store_thread_and_return_results(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'app.db'}"
    upgrade(url)
    store = ThreadedStore(Store(url))
    await store.start()
    try:
        assert await store.record_inbound(
            wamid="wamid.t1",
            wa_id="573001234567",
            msg_type="text",
            text="hola",
            payload={"message": {}},
            wa_timestamp=None,
        )
        assert not await store.record_inbound(
            wamid="wamid.t1",
            wa_id="573001234567",
            msg_type="text",
            text="hola",
            payload={"message": {}},
            wa_timestamp=None,
        )
        # the event loop of this test keeps running while the store works elsewhere
        results = await asyncio.gather(*(store.get_inbound("wamid.t1") for _ in range(20)))
        assert {r.state for r in results} == {"pending"}
        assert store.dialect_name == "sqlite"
        names = {t.name for t in threading.enumerate()}
        assert "store-loop" in names
    finally:
        await store.close()


async def test_errors_cross_back_to_the_caller(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'app.db'}"
    upgrade(url)
    store = ThreadedStore(Store(url))
    await store.start()
    try:
        try:
            await store.set_role("573001234567", "boss")
        except ValueError:
            pass
        else:
            raise AssertionError("an invalid role must raise ValueError")
    finally:
        await store.close()
