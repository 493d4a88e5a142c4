"""``python -m bench purchases``: payment webhook → last QR accepted, over real HTTP.

Runs the sandbox (Hi.Events, Wompi, Wappbíz emulators) and the real action server in
this process (``tests/support/ticketing.py``), creates ``BENCH_PURCHASES`` purchases of
two tickets each (default 60), pays them on the Wompi emulator a few per second, and
delivers every approved webhook a second time. For each purchase it measures from the
moment the Wompi emulator posted the APPROVED webhook to the moment the Wappbíz
emulator accepted the purchase's last QR image (both clocks are this process's), and it
counts purchases lost (not fulfilled, or fewer QR images than tickets) and fulfilled
twice (more QR images than tickets, or one code sent twice).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bot.ticketing.catalog import find_event, find_ticket_type, upcoming_events
from bot.ticketing.purchase import PurchaseRequest, start_purchase
from tests.support.ticketing import TicketingHarness, running_ticketing

EVENTS = ["Medellín Fashion Night", "Pasarela Laureles", "Noche de Diseñadores Antioqueños"]


def emit(name: str, value: float | int) -> None:
    print(f"{name}={round(value, 2) if isinstance(value, float) else value}", flush=True)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


async def _purchases(h: TicketingHarness, count: int) -> list[Any]:
    ctx = h.ticketing
    events = await upcoming_events(ctx.hi_events, ctx.settings.hi_events_organizer_id)
    made = []
    for n in range(count):
        event = find_event(events, EVENTS[n % len(EVENTS)])
        ticket = find_ticket_type(event, "General")
        request = PurchaseRequest(
            wa_id=str(573_200_000_000 + n),
            language="es",
            event=event,
            ticket=ticket,
            quantity=2,
            buyer_name="Bench Comprador",
            buyer_email="bench@example.com",
        )
        made.append(await start_purchase(ctx, request))
    return made


def run(count: int, rate_per_s: float) -> int:
    with tempfile.TemporaryDirectory(prefix="fashionistas-bench-purchases-") as tmp:
        database_url = os.environ.get("BENCH_DATABASE_URL")
        with running_ticketing(Path(tmp), database_url=database_url, log_level="WARNING") as h:
            for n in range(count):  # the buyers have just written to us (24-hour window)
                h.open_window(str(573_200_000_000 + n))
            purchases = h.run(_purchases(h, count), timeout=300)
            http = httpx.Client(timeout=30)
            for purchase in purchases:
                pay = http.post(
                    f"{h.sandbox_url}/wompi/_sandbox/links/{purchase.link_id}/pay",
                    json={"method": "NEQUI", "phone": "3991111111"},
                )
                pay.raise_for_status()
                time.sleep(1.0 / rate_per_s)
            links = {p.link_id: p for p in purchases}
            deadline = time.monotonic() + 120
            delivered: dict[str, float] = {}
            while time.monotonic() < deadline and len(delivered) < count:
                rows = http.get(
                    f"{h.sandbox_url}/wompi/_sandbox/deliveries", params={"status": "APPROVED"}
                ).json()["data"]
                for row in rows:
                    link_id = row["body"]["data"]["transaction"]["payment_link_id"]
                    if link_id not in links or link_id in delivered or not row["attempts"]:
                        continue
                    first = row["attempts"][0]  # "at" is taken after the answer: go back
                    delivered[link_id] = float(first["at"]) - float(first["duration_ms"]) / 1000
                    # every approval delivered a second time: must not give a second set
                    http.post(f"{h.sandbox_url}/wompi/_sandbox/deliveries/{row['id']}/redeliver")
                time.sleep(0.2)
            # wait for every purchase to settle, then read what the emulator accepted
            settle = time.monotonic() + 60
            while time.monotonic() < settle:
                states = [h.run(h.ticketing.store.get_purchase(p.id)).state for p in purchases]
                if all(s == "fulfilled" for s in states):
                    break
                time.sleep(0.2)
            time.sleep(1.0)  # duplicates would show up now
            latencies, lost, twice = [], 0, 0
            for purchase in purchases:
                sent = [m for m in h.messages_to(purchase.wa_id) if m["type"] == "image"]
                codes = [h.decode_qr(m["body"]["image"]["id"]) for m in sent]
                state = h.run(h.ticketing.store.get_purchase(purchase.id)).state
                if state != "fulfilled" or len(set(codes)) < purchase.quantity:
                    lost += 1
                if len(codes) > purchase.quantity or len(set(codes)) != len(codes):
                    twice += 1
                if sent and purchase.link_id in delivered:
                    last = max(m["accepted_at"] for m in sent)
                    latencies.append((last - delivered[purchase.link_id]) * 1000)
            emit("purchase_count", count)
            emit("purchase_tickets_per_order", 2)
            emit("purchase_webhook_to_last_qr_p50_ms", pct(latencies, 50))
            emit("purchase_webhook_to_last_qr_p95_ms", pct(latencies, 95))
            emit("purchase_webhook_to_last_qr_max_ms", max(latencies))
            emit("purchases_lost", lost)
            emit("purchases_fulfilled_twice", twice)
            emit("purchase_webhooks_delivered_twice", len(delivered))
            emit("purchase_loadavg_1m", os.getloadavg()[0])
            http.close()
    return 0


def main() -> int:
    count = int(os.environ.get("BENCH_PURCHASES", "60"))
    rate = float(os.environ.get("BENCH_PURCHASE_RATE", "5"))
    print(f"# {count} purchases of 2 tickets, paid at {rate}/s", file=sys.stderr, flush=True)
    return run(count, rate)


if __name__ == "__main__":
    raise SystemExit(main())
