"""``python -m bench broadcast``: a 10,000-recipient broadcast through the Wappbíz emulator.

Issue 5, item 10. The emulator runs in this process (``ServerThread``), quiet: no read
receipts, and its own throughput limit (``rate_limit_per_s``) set well above the
worker's, so the worker's token bucket is what limits. In part 1 its status webhooks go
to port 9 (refused at once, tried once): nothing reads them there, and recording 20,000
of them on the bench's database would measure the webhook path, not the worker's send
rate. In part 2 they reach the bot's real ingestion (see below). The outbox is a SQLite
file, or PostgreSQL when ``BENCH_DATABASE_URL`` is set (migrated first; the bench's rows
carry their own keys and broadcast ids, so an existing database is fine).

The broadcast: ``BENCH_BROADCAST_N`` recipients (default 10,000), each one outbox row of
``kind="template"`` (``hello_world``, approved in the emulator) with ``purpose="marketing"``
(priority 3, the lowest: what an organizer's promotional broadcast is) and the broadcast's
``broadcast_id``, queued with one ``enqueue_many`` before the worker starts.

Part 1, one :class:`~bot.outbox.worker.DeliveryWorker` in this process, at
``BENCH_BROADCAST_RATE`` messages/s (default 80, the contract's default; in-process
bucket, burst a tenth of a second). Printed, from the emulator's accepted messages
(``accepted_at``, and ``biz_opaque_callback_data`` = the row's idempotency key):

* ``broadcast_throughput_per_s``: accepted per second over the steady part (from the
  5th to the 95th percentile of acceptance times: start-up and the tail are left out);
* ``broadcast_throughput_ratio``: that ÷ the rate limit (target ≥ 0.95, never > 1.0);
* ``broadcast_max_1s_window_per_s``: the most messages accepted in any 1-second window
  (at most the rate plus the bucket's burst, 88 at 80/s);
* ``broadcast_max_1s_window_requested_per_s``: the same, counted when the worker's
  requests left (the bucket's own figure; the emulator's acceptance times add the
  jitter of its event loop, which is busy with status webhooks too);
* ``broadcast_lost``: keys never accepted; ``broadcast_sent_twice``: extra acceptances
  (sum over keys of count - 1).

Part 2, the same broadcast again (new keys, new ``broadcast_id``) with the worker in a
subprocess (``python -m bench.broadcast worker ...``), killed with SIGKILL once half of
the rows were accepted and started again at once (a new worker id). The rows it held
come back when their lease ends (``BENCH_BROADCAST_LEASE_S``, default 30). Here the
emulator's status webhooks (``sent``, ``delivered``, each echoing the row's key as
``biz_opaque_callback_data``) go to the real ingress app (``bot.ingress.build_app``, in
this process on a loop of its own, on the bench's database, with the emulator's app
secret), retried up to 5 times like Meta's, so they are recorded as in production. The
restarted worker reconciles: a re-claimed row whose key has an accepted status is
recorded ``sent`` with that wamid instead of being sent again (``bot/outbox/worker.py``).
Printed:
``broadcast_subprocess_throughput_per_s`` and ``_ratio`` (the same steady-part figure
for the first half, the worker alone in its process, the ingestion beside it),
``broadcast_kill_lost``, ``broadcast_kill_sent_twice`` (extra acceptances at the
emulator, counted exactly as in part 1: rows sent but not flushed as ``sent`` when the
process died, whose status webhook had not been recorded when they were claimed again,
are sent again: at-least-once), ``broadcast_kill_reconciled`` (rows the restarted worker
recorded from their status instead of sending, its ``outbox.reconciled`` log lines),
``broadcast_kill_recovery_s`` (SIGKILL → the first message accepted from the restarted
worker: process start, imports, first claim) and ``broadcast_kill_drain_s`` (SIGKILL →
every row ``sent``, including the wait for the dead worker's leases).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

ACCESS_TOKEN = "bench-broadcast-access-token-0123456789"  # noqa: S105 - the emulator's
TEMPLATE = {"name": "hello_world", "language": {"code": "en_US"}}
STEADY = (0.05, 0.95)


def emit(name: str, value: float | int | str, digits: int = 3) -> None:
    print(f"{name}={round(value, digits) if isinstance(value, float) else value}", flush=True)


# ------------------------------------------------------------------------ the worker


def make_worker(store: Any, graph_url: str, phone_number_id: str, rate: float, lease_s: float):
    from bot.clients.wappbiz import WappbizClient
    from bot.outbox import DeliveryWorker, number_bucket, pair_pacer

    client = WappbizClient(
        graph_url=graph_url,
        access_token=ACCESS_TOKEN,
        phone_number_id=phone_number_id,
        timeout_s=10.0,
        max_attempts=1,
    )
    worker = DeliveryWorker(
        store,
        client,
        number_bucket(None, rate_per_s=rate),
        pacer=pair_pacer(None),
        lease_s=lease_s,
        idle_s=0.2,
    )
    return worker, client


class EventLines(logging.Handler):
    """Appends one line per ``outbox.reconciled`` event to a file, written at once.

    The subprocess may be SIGKILLed at any moment: nothing may wait for a clean exit.
    """

    def __init__(self, path: str) -> None:
        super().__init__(logging.INFO)
        self.file = open(path, "a", buffering=1, encoding="utf-8")

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(record, "action", None) == "outbox.reconciled":
            self.file.write(f"{getattr(record, 'fields', {}).get('id')}\n")


async def run_worker(
    db_url: str,
    graph_url: str,
    phone_number_id: str,
    rate: float,
    lease_s: float,
    events_path: str | None = None,
) -> None:
    """The subprocess of part 2: deliver until SIGTERM (SIGKILL ends it mid-flight)."""
    from bot.storage.store import Store

    if events_path:
        worker_log = logging.getLogger("bot.outbox.worker")
        worker_log.setLevel(logging.INFO)
        worker_log.addHandler(EventLines(events_path))
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with Store(db_url) as store:
        worker, client = make_worker(store, graph_url, phone_number_id, rate, lease_s)
        try:
            await worker.run_forever(stop)
        finally:
            await client.aclose()


# --------------------------------------------------------------------- measurements


class Feed:
    """The emulator's accepted outbound messages, read incrementally (``since_seq``)."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=30)
        self.seq = self.http.get("/sandbox/api/messages").json()["last_seq"]
        self.accepted: list[tuple[float, str]] = []  # (accepted_at, key)

    def poll(self, prefix: str) -> int:
        """Read what is new; returns how many messages of ``prefix`` were accepted so far."""
        params = {"direction": "out", "since_seq": self.seq}
        for attempt in range(3):
            try:
                found = self.http.get("/sandbox/api/messages", params=params).json()["messages"]
                break
            except httpx.TransportError:
                # A kept-alive connection the server dropped (its loop stalled past the
                # keep-alive timeout on a busy machine): reading the feed again is harmless.
                if attempt == 2:
                    raise
                time.sleep(0.5)
        for message in found:
            self.seq = max(self.seq, message["seq"])
            key = message["body"].get("biz_opaque_callback_data") or ""
            self.accepted.append((float(message["accepted_at"]), key))
        return sum(1 for _, key in self.accepted if key.startswith(prefix))

    def of(self, prefix: str) -> list[tuple[float, str]]:
        return sorted(item for item in self.accepted if item[1].startswith(prefix))


def throughput(times: list[float]) -> float:
    """Accepted per second between the 5th and 95th percentile of acceptance times."""
    if len(times) < 20:
        return float("nan")
    lo, hi = int(len(times) * STEADY[0]), int(len(times) * STEADY[1]) - 1
    span = times[hi] - times[lo]
    return (hi - lo) / span if span > 0 else float("nan")


def max_window(times: list[float], width: float = 1.0) -> int:
    """The most acceptances in any window ``[t, t + width)``."""
    best, start = 0, 0
    for end, at in enumerate(times):
        while times[start] <= at - width:
            start += 1
        best = max(best, end - start + 1)
    return best


def duplicates(keys: list[str], expected: set[str]) -> tuple[int, int]:
    """``(lost, sent_twice)``: expected keys never accepted; extra acceptances."""
    counts = Counter(keys)
    lost = sum(1 for key in expected if key not in counts)
    twice = sum(count - 1 for count in counts.values() if count > 1)
    return lost, twice


# ---------------------------------------------------------------------------- main


def messages(prefix: str, broadcast_id: int, count: int) -> list[dict[str, Any]]:
    return [
        {
            "idempotency_key": f"{prefix}{n}",
            "wa_id": f"57350{n:07d}",
            "kind": "template",
            "payload": TEMPLATE,
            "purpose": "marketing",
            "broadcast_id": broadcast_id,
        }
        for n in range(count)
    ]


async def enqueue(db_url: str, prefix: str, broadcast_id: int, count: int) -> int:
    from bot.storage.store import Store

    async with Store(db_url) as store:
        return await store.enqueue_many(messages(prefix, broadcast_id, count))


async def counts(db_url: str, broadcast_id: int) -> dict[str, int]:
    from bot.storage.store import Store

    async with Store(db_url) as store:
        return await store.outbox_counts(broadcast_id=broadcast_id)


async def part_one(
    db_url: str, feed: Feed, graph_url: str, phone: str, prefix: str, bid: int, n: int, rate: float
) -> list[float]:
    """Run the in-process worker until every row is sent; returns when each request left."""
    from bot.storage.store import Store

    sent_at: list[float] = []
    async with Store(db_url) as store:
        worker, client = make_worker(store, graph_url, phone, rate, lease_s=30.0)
        send = client.send

        async def timed_send(body: dict[str, Any]) -> Any:
            sent_at.append(time.time())
            return await send(body)

        client.send = timed_send  # type: ignore[method-assign]
        stop = asyncio.Event()
        task = asyncio.create_task(worker.run_forever(stop))
        deadline = time.monotonic() + n / rate * 2 + 60
        try:
            while time.monotonic() < deadline:
                await asyncio.sleep(0.5)
                if await asyncio.to_thread(feed.poll, prefix) >= n:
                    if (await store.outbox_counts(broadcast_id=bid))["sent"] >= n:
                        break
        finally:
            stop.set()
            await asyncio.wait_for(task, 30)
            await client.aclose()
    return sent_at


def spawn(db_url: str, graph_url: str, phone: str, rate: float, lease_s: float, events: str) -> Any:
    argv = [sys.executable, "-m", "bench.broadcast", "worker", db_url, graph_url, phone]
    return subprocess.Popen([*argv, str(rate), str(lease_s), events], env={**os.environ})


def serve_ingress(servers: Any, db_url: str, state_dir: Path, config: Any) -> str:
    """The bot's real webhook ingestion on the bench's database; returns its webhook URL.

    The emulator signs with ``config.app_secret``, so the ingress is given that secret;
    the rasa server it would hand new messages to is absent (status webhooks only).
    """
    from bot.ingress import build_app
    from bot.settings import Settings

    settings = Settings(
        state_dir=state_dir,
        database_url=db_url,
        wappbiz_app_secret=config.app_secret,
        wappbiz_verify_token=config.verify_token,
        rasa_port=9,
    )
    return f"{servers.serve(build_app(settings, name='bench_broadcast_ingress'))}/webhook"


def route_status_webhooks(base_url: str, webhook_url: str) -> None:
    """Point the running emulator's webhooks at ``webhook_url``, retried like Meta's."""
    with httpx.Client(base_url=base_url, timeout=30) as api:
        # Statuses in batches (Meta batches them under load too): 160 status webhooks/s
        # one by one starve the emulator's loop and its connection pool at 10,000.
        changes = {
            "webhook_url": webhook_url,
            "webhook_max_attempts": 5,
            "status_batch_window_s": 0.2,
        }
        api.post("/sandbox/api/config", json=changes).raise_for_status()


def main() -> int:
    from bot.sandbox.app import create_sandbox_app
    from bot.sandbox.testing import ServerThread
    from bot.storage.migrate import upgrade
    from tests.support.emulator import quiet_config

    # One line per failed status webhook (port 9 refuses them by design) is noise here.
    logging.getLogger("bot.sandbox.webhook_sender").setLevel(logging.ERROR)
    n = int(os.environ.get("BENCH_BROADCAST_N", "10000"))
    rate = float(os.environ.get("BENCH_BROADCAST_RATE", "80"))
    lease_s = float(os.environ.get("BENCH_BROADCAST_LEASE_S", "30"))
    run = f"{int(time.time())}"
    bid_one, bid_two = int(run) % 1_000_000_000, int(run) % 1_000_000_000 + 1
    config = quiet_config(
        ACCESS_TOKEN,
        "bench",
        rate_limit_per_s=max(2000.0, rate * 4),
        auto_read=False,
        # both broadcasts and their duplicates stay in the feed the figures are read from
        max_messages=max(20_000, 3 * n),
    )
    with tempfile.TemporaryDirectory(prefix="fashionistas-bench-broadcast-") as tmp:
        db_url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite+aiosqlite:///{Path(tmp)}/b.db"
        upgrade(db_url)
        # The ingress gets its own loop: recording 20,000 status webhooks must not delay
        # the emulator's answers (its acceptance times are what part 2 measures).
        with ServerThread() as servers, ServerThread() as bot_servers:
            base_url = servers.serve(create_sandbox_app(config))
            graph_url = f"{base_url}/graph/{config.api_version}"
            phone = config.phone_number_id
            feed = Feed(base_url)
            emit("broadcast_database", db_url.split(":")[0])
            emit("broadcast_recipients", n)
            emit("broadcast_rate_limit_per_s", int(rate) if rate.is_integer() else rate)
            emit("broadcast_purpose", "marketing")

            # ---- part 1: one worker in this process
            prefix = f"bcast:{run}:a:"
            started = time.perf_counter()
            asyncio.run(enqueue(db_url, prefix, bid_one, n))
            emit("broadcast_enqueue_ms", (time.perf_counter() - started) * 1000)
            sent_at = asyncio.run(
                part_one(db_url, feed, graph_url, phone, prefix, bid_one, n, rate)
            )
            feed.poll(prefix)
            accepted = feed.of(prefix)
            times = [at for at, _ in accepted]
            per_s = throughput(times)
            lost, twice = duplicates(
                [key for _, key in accepted], {f"{prefix}{i}" for i in range(n)}
            )
            emit("broadcast_throughput_per_s", per_s)
            emit("broadcast_throughput_ratio", per_s / rate, 4)
            emit("broadcast_max_1s_window_per_s", max_window(times))
            emit("broadcast_max_1s_window_requested_per_s", max_window(sorted(sent_at)))
            emit("broadcast_total_s", times[-1] - times[0] if times else float("nan"))
            emit("broadcast_lost", lost)
            emit("broadcast_sent_twice", twice)

            # ---- part 2: the worker in a subprocess, SIGKILLed halfway, restarted;
            # status webhooks recorded by the real ingestion (reconciliation needs them)
            events = str(Path(tmp) / "worker-events.log")
            Path(events).touch()
            route_status_webhooks(
                base_url, serve_ingress(bot_servers, db_url, Path(tmp) / "state", config)
            )
            prefix = f"bcast:{run}:b:"
            asyncio.run(enqueue(db_url, prefix, bid_two, n))
            worker = spawn(db_url, graph_url, phone, rate, lease_s, events)
            try:
                deadline = time.monotonic() + n / rate * 2 + 60
                while feed.poll(prefix) < n // 2 and time.monotonic() < deadline:
                    time.sleep(0.05)
                worker.send_signal(signal.SIGKILL)
                killed_at = time.time()
                worker.wait()
                worker = spawn(db_url, graph_url, phone, rate, lease_s, events)
                respawned_at = time.time()
                deadline = time.monotonic() + n / rate * 2 + lease_s + 60
                while time.monotonic() < deadline:
                    time.sleep(0.5)
                    if feed.poll(prefix) >= n:
                        now = asyncio.run(counts(db_url, bid_two))
                        if now["sent"] + now["dead"] >= n:
                            break
                drained_at = time.time()
            finally:
                worker.send_signal(signal.SIGTERM)
                try:
                    worker.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    worker.kill()
                    worker.wait()
            feed.poll(prefix)
            accepted = feed.of(prefix)
            lost, twice = duplicates(
                [key for _, key in accepted], {f"{prefix}{i}" for i in range(n)}
            )
            after = [at for at, _ in accepted if at >= respawned_at]
            before = [at for at, _ in accepted if at < killed_at]
            per_s = throughput(before)
            emit("broadcast_subprocess_throughput_per_s", per_s)
            emit("broadcast_subprocess_throughput_ratio", per_s / rate, 4)
            final = asyncio.run(counts(db_url, bid_two))
            emit("broadcast_kill_lost", lost)
            emit("broadcast_kill_sent_twice", twice)
            emit("broadcast_kill_reconciled", len(Path(events).read_text().split()))
            emit("broadcast_kill_recovery_s", (after[0] - killed_at) if after else float("nan"))
            emit("broadcast_kill_drain_s", drained_at - killed_at)
            emit("broadcast_kill_lease_s", lease_s)
            emit("broadcast_kill_dead", final["dead"])
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["worker"]:
        db, graph, phone_id, rate_s, lease = sys.argv[2:7]
        events_file = sys.argv[7] if len(sys.argv) > 7 else None
        asyncio.run(run_worker(db, graph, phone_id, float(rate_s), float(lease), events_file))
        sys.exit(0)
    sys.exit(main())
