"""A broadcast queued on a Friday night goes out on Saturday at 08:00 Bogotá, not before.

The store and the worker share one controllable clock; the Wappbíz emulator is real
(over HTTP) and counts what it accepted. Issue 5's "done when": scheduled outside the
Ley 2300 hours, the broadcast waits for the next allowed slot and goes then.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.broadcasts import service
from bot.clients.wappbiz import WappbizClient
from bot.clients.wappbiz_templates import WappbizTemplatesClient
from bot.storage.store import Store
from bot.templates import sync_templates, wait_for_review
from tests.broadcasts.support import add_holder, bogota, consent
from tests.outbox.conftest import Emulator
from tests.outbox.test_worker import fast_worker

EVENT = 9101
OFFER = {
    "discount": "20 %",
    "event": "Pasarela Otoño 2026",
    "code": "FASHION20",
    "event_slug": "pasarela-otono-2026",
    "until": "domingo 8 de marzo",
}


async def _submit_library(emulator: Emulator, store: Store) -> None:
    """The library submitted to the emulator and its review recorded: APPROVED both sides."""
    templates = WappbizTemplatesClient(
        graph_url=emulator.graph_url,
        access_token=emulator.config.access_token,
        waba_id=emulator.config.waba_id,
        phone_number_id=emulator.config.phone_number_id,
    )
    try:
        await sync_templates(store, templates)
        report = await wait_for_review(store, templates, timeout_s=30, poll_s=0.1)
        assert not report.pending
    finally:
        await templates.aclose()


async def test_friday_night_broadcast_goes_out_saturday_at_eight(
    sqlite_db: str, emulator: Emulator, client: WappbizClient, new_wa_id: object
) -> None:
    now = [bogota(2027, 3, 5, 21, 0)]  # Friday 21:00 Bogotá

    def clock() -> datetime:
        return now[0]

    async with Store(sqlite_db, clock=clock) as store:
        people = [new_wa_id() for _ in range(3)]  # type: ignore[operator]
        for wa_id in people:
            await add_holder(store, wa_id, EVENT)
            await consent(store, wa_id, ("transactional", "marketing"), True)
        await _submit_library(emulator, store)
        record = await service.create(
            store,
            name="Preventa",
            template="special_offer",
            variables=OFFER,
            segment={"event_id": EVENT},
            created_by="laura",
        )
        sent = await service.send(store, record.id, now=now[0])
        assert sent["status"] == "scheduled" and sent["queued"] == 3
        worker = fast_worker(store, client, clock=clock)

        async def accepted() -> set[str]:
            return {m["wa_id"] for m in await emulator.outbound() if m["wa_id"] in people}

        for moment in (
            bogota(2027, 3, 5, 21, 0),
            bogota(2027, 3, 6, 2, 0),
            bogota(2027, 3, 6, 7, 59),
        ):
            now[0] = moment
            assert await worker.run_once() == 0  # nothing is due at night
        assert await accepted() == set()
        now[0] = bogota(2027, 3, 6, 8, 0)  # Saturday 08:00
        assert await worker.run_once() == 3
        assert await accepted() == set(people)
        rows = await store.list_outbox(broadcast_id=record.id)
        assert {r.status for r in rows} == {"sent"}
        now[0] += timedelta(minutes=1)
        progress = await service.progress(store, record.id, now=now[0])
        assert progress["status"] == "done"
