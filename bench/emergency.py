"""``python -m bench emergency``: an emergency alert to 5,000 people, over real HTTP.

Runs the sandbox (Wappbíz emulator among the others) and the real action server in
this process (``tests/support/ticketing.py``), seeds ``BENCH_EMERGENCY_RECIPIENTS``
ticket holders of one event (default 5,000; half of them wrote within 24 hours, so
half get free text and half the approved ``emergency_alert`` template), then calls
``POST /admin/events/<id>/emergency`` once and prints:

* ``emergency_queue_5000_ms``: the call, from request to the 202 (every row queued);
* ``emergency_queued_in_ms``: the server's own measure of the queueing transaction;
* ``emergency_first_1000_accepted_ms``: from the request to the 1,000th message the
  Wappbíz emulator accepted (its ``accepted_at``, read incrementally from its message
  feed ``/sandbox/api/messages?since_seq=``);
* ``emergency_rate_limit_per_s``: the sending rate configured for both the outbox
  worker (``OUTBOX_RATE_PER_S``) and the emulator (``rate_limit_per_s``), raised above
  the 80/s default so the bench measures the pipeline, not the contract's limit
  (``BENCH_EMERGENCY_RATE``, default 400: the emulator, the action server and
  this bench share one event loop here, and a faster rate only times requests out).

The emulator's ``auto_read`` is off (no read receipts to post back).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import insert, select

from bot.storage.models import Contact, Purchase, Ticket
from bot.storage.store import Store
from bot.storage.types import utcnow

EVENT_ID = 9001
EVENT_TITLE = "Pasarela Otoño 2026"


def emit(name: str, value: float | int) -> None:
    print(f"{name}={round(value, 2) if isinstance(value, float) else value}", flush=True)


async def seed_holders(
    store: Store,
    event_id: int,
    wa_ids: list[str],
    *,
    language: str = "es",
    window_open: list[str] | None = None,
    title: str = EVENT_TITLE,
    tag: str | None = None,
) -> None:
    """One fulfilled purchase with one ticket per ``wa_id`` (bulk inserts, no provider).

    Contacts in ``window_open`` get ``last_inbound_at`` a minute ago. ``tag`` (default
    ``E<event_id>``) prefixes references and attendee ids: a second call for the same
    event needs another one.
    """
    purchases, tickets, contacts = Purchase.__table__, Ticket.__table__, Contact.__table__
    now = utcnow()
    tag = tag or f"E{event_id}"
    prefix = f"{tag}-"
    rows = [
        {
            "reference": f"{prefix}{n:07d}",
            "wa_id": wa_id,
            "language": language,
            "event_id": event_id,
            "event_title": title,
            "event_starts_at": now + timedelta(hours=2),
            "product_id": 1,
            "price_id": 1,
            "ticket_type": "General",
            "quantity": 1,
            "unit_price_cop": 50_000,
            "total_cop": 50_000,
            "buyer_name": "Asistente",
            "buyer_email": "asistente@example.com",
            "state": "fulfilled",
            "created_at": now,
            "updated_at": now,
        }
        for n, wa_id in enumerate(wa_ids)
    ]
    async with store.transaction() as session:
        for start in range(0, len(rows), 500):
            await session.execute(insert(purchases), rows[start : start + 500])
        made = (
            await session.execute(
                select(purchases.c.id, purchases.c.wa_id, purchases.c.reference).where(
                    purchases.c.reference.like(f"{prefix}%")
                )
            )
        ).all()
        ticket_rows = [
            {
                "purchase_id": pid,
                "attendee_public_id": f"{tag}{ref[-7:]}"[-16:],
                "holder_name": "Asistente",
                "ticket_type": "General",
                "wa_id": wa_id,
                "created_at": now,
            }
            for pid, wa_id, ref in made
        ]
        for start in range(0, len(ticket_rows), 500):
            await session.execute(insert(tickets), ticket_rows[start : start + 500])
        recent = [
            {
                "wa_id": wa_id,
                "phone_e164": f"+{wa_id}",
                "language": language,
                "language_source": "explicit",
                "role": "attendee",
                "last_inbound_at": now - timedelta(minutes=1),
                "created_at": now,
                "updated_at": now,
            }
            for wa_id in window_open or ()
        ]
        for start in range(0, len(recent), 500):
            await session.execute(insert(contacts), recent[start : start + 500])


def main() -> int:
    from bot.clients.wappbiz_templates import WappbizTemplatesClient
    from bot.templates import sync_templates, wait_for_review
    from tests.support.ticketing import running_ticketing

    count = int(os.environ.get("BENCH_EMERGENCY_RECIPIENTS", "5000"))
    rate = float(os.environ.get("BENCH_EMERGENCY_RATE", "400"))
    first = min(1000, count)
    with tempfile.TemporaryDirectory(prefix="fashionistas-bench-emergency-") as tmp:
        with running_ticketing(Path(tmp), outbox_rate_per_s=rate, log_level="WARNING") as h:
            httpx.post(
                f"{h.sandbox_url}/sandbox/api/config",
                json={"rate_limit_per_s": rate, "auto_read": False},
                timeout=10,
            ).raise_for_status()
            store = h.action_app.ctx.store
            wa_ids = [str(573_400_000_000 + n) for n in range(count)]

            async def prepare() -> None:
                client = WappbizTemplatesClient.from_settings(h.settings)
                try:
                    await sync_templates(store, client)
                    await wait_for_review(store, client, timeout_s=30, poll_s=0.2)
                finally:
                    await client.aclose()
                await seed_holders(store, EVENT_ID, wa_ids, window_open=wa_ids[::2])

            h.run(prepare(), timeout=120)
            with httpx.Client(timeout=30) as http:
                for wa_id in wa_ids[::2]:  # the emulator's side of the same windows
                    http.post(
                        f"{h.sandbox_url}/sandbox/api/conversations/{wa_id}/window",
                        json={"open": True},
                    ).raise_for_status()
                since = http.get(f"{h.sandbox_url}/sandbox/api/messages").json()["last_seq"]
                token = h.settings.secret("admin_token")
                started, wall_started = time.perf_counter(), time.time()
                answer = http.post(
                    f"{h.action_url}/admin/events/{EVENT_ID}/emergency",
                    headers={"Authorization": f"Bearer {token}"},
                    json={
                        "message_es": "Por una falla eléctrica, sal con calma por la puerta 3.",
                        "message_en": "Power failure: please leave calmly through gate 3.",
                        "requested_by": "bench",
                    },
                )
                queued_ms = (time.perf_counter() - started) * 1000
                answer.raise_for_status()
                result = answer.json()
                accepted_ms = float("nan")
                deadline = time.monotonic() + 120
                seen, times = since, list[float]()
                while time.monotonic() < deadline:
                    # Only what is new since the last poll: re-reading the whole feed
                    # each time would load the loop the emulator and the worker share.
                    feed = http.get(
                        f"{h.sandbox_url}/sandbox/api/messages",
                        params={"direction": "out", "since_seq": seen},
                    ).json()["messages"]
                    times.extend(float(m["accepted_at"]) for m in feed)
                    seen = max([seen, *(m["seq"] for m in feed)])
                    if len(times) >= first:  # the emulator's own acceptance time
                        accepted_ms = (sorted(times)[first - 1] - wall_started) * 1000
                        break
                    time.sleep(0.1)  # the emulator shares the loop: poll gently
            emit("emergency_recipients", result["recipients"])
            emit("emergency_queued", result["queued"])
            emit("emergency_queue_5000_ms", queued_ms)
            emit("emergency_queued_in_ms", float(result["queued_in_ms"]))
            emit(f"emergency_first_{first}_accepted_ms", accepted_ms)
            emit("emergency_rate_limit_per_s", rate)
            for warning in result["warnings"]:
                print(f"# warning: {warning}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
