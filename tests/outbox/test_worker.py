"""The delivery worker against the real Wappbíz emulator over HTTP.

The client is built with ``max_attempts=1`` and a short timeout (conftest), so every
retry seen here is the worker's own policy: backoff between claims, dead letters. The
emulator injects 429, 503, timeouts and a closed 24-hour window; what it accepted is
counted per idempotency key (``biz_opaque_callback_data``). Most tests use SQLite; the
two-worker race runs on PostgreSQL, where ``FOR UPDATE SKIP LOCKED`` matters.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from bot.clients.wappbiz import WappbizClient
from bot.outbox.ratelimit import InProcessTokenBucket, pair_key
from bot.outbox.worker import DeliveryWorker, backoff_delay, request_body
from bot.storage.outbox import OutboxRecord
from bot.storage.store import Store
from bot.storage.types import utcnow
from tests.outbox.conftest import Emulator

TEXT = {"type": "text", "text": {"body": "Tu entrada para Medellín Fashion Night"}}
HELLO = {"name": "hello_world", "language": {"code": "en_US"}}


def fast_worker(store: Store, client: WappbizClient, **overrides: Any) -> DeliveryWorker:
    """Tiny backoffs and pauses, a generous bucket: tests wait milliseconds, not minutes."""
    values: dict[str, Any] = {
        "worker_id": "test-worker",
        "batch": 10,
        "lease_s": 30.0,
        "backoff_base_s": 0.01,
        "backoff_cap_s": 0.03,
        "rate_limit_pause_s": 0.02,
        "idle_s": 0.05,
    }
    values.update(overrides)
    return DeliveryWorker(store, client, InProcessTokenBucket(1000.0, 50), **values)


async def drain(worker: DeliveryWorker, store: Store, ids: list[int], timeout: float = 10) -> None:
    """Run rounds until every row is final (retries come due after their backoff)."""
    deadline = time.monotonic() + timeout
    while True:
        await worker.run_once()
        rows = [await store.get_outbox(i) for i in ids]
        if all(row is not None and row.is_final for row in rows):
            return
        assert time.monotonic() < deadline, [r.status for r in rows if r is not None]
        await asyncio.sleep(0.01)


async def put(store: Store, key: str, wa_id: str, **overrides: Any) -> OutboxRecord:
    record, created = await store.enqueue(
        idempotency_key=key, wa_id=wa_id, **{"payload": TEXT, **overrides}
    )
    assert created
    return record


# ------------------------------------------------------------------------------ basics


def test_request_body_adds_the_recipient_and_the_key() -> None:
    row: Any = type("Row", (), {})()
    row.kind, row.payload, row.wa_id, row.idempotency_key = "message", TEXT, "57300", "t:1"
    assert request_body(row) == {"to": "57300", **TEXT, "biz_opaque_callback_data": "t:1"}
    row.kind, row.payload = "template", HELLO
    body = request_body(row)
    assert body["type"] == "template" and body["template"] == HELLO and body["to"] == "57300"


def test_backoff_is_exponential_with_full_jitter() -> None:
    assert backoff_delay(1, 5, 300, lambda: 1.0) == 5
    assert backoff_delay(4, 5, 300, lambda: 1.0) == 40
    assert backoff_delay(10, 5, 300, lambda: 1.0) == 300  # capped
    assert backoff_delay(3, 5, 300, lambda: 0.0) == 0  # full jitter reaches zero
    assert 0 <= backoff_delay(3, 5, 300) <= 20


async def test_sends_in_priority_order_and_marks_sent(
    sqlite_store: Store, client: WappbizClient, emulator: Emulator, new_wa_id: Callable[[], str]
) -> None:
    wa_id = new_wa_id()
    await emulator.open_window(wa_id)
    promo = await put(sqlite_store, "promo:1", wa_id, purpose="marketing")
    alert = await put(sqlite_store, "alert:1", wa_id, purpose="emergency")
    ticket = await put(sqlite_store, "ticket:A-XY98ZT1", wa_id)
    worker = fast_worker(sqlite_store, client, batch=1)
    for _ in range(3):
        assert await worker.run_once() == 1
    assert await worker.run_once() == 0

    accepted = await emulator.outbound()
    assert [m["body"]["biz_opaque_callback_data"] for m in accepted] == [
        "alert:1",
        "ticket:A-XY98ZT1",
        "promo:1",
    ]
    assert all(m["wa_id"] == wa_id and m["body"]["text"] == TEXT["text"] for m in accepted)
    for row, message in zip((alert, ticket, promo), accepted, strict=True):
        done = await sqlite_store.get_outbox(row.id)
        assert done is not None and done.status == "sent" and done.attempts == 1
        assert done.wamid == message["id"] and done.sent_at is not None


async def test_run_forever_drains_and_stops(
    sqlite_store: Store, client: WappbizClient, emulator: Emulator, new_wa_id: Callable[[], str]
) -> None:
    stop = asyncio.Event()
    worker = fast_worker(sqlite_store, client, idle_s=5.0)
    task = asyncio.create_task(worker.run_forever(stop))
    await asyncio.sleep(0.05)
    rows = [
        await put(sqlite_store, f"t:{n}", new_wa_id(), kind="template", payload=HELLO)
        for n in range(3)
    ]
    worker.wake()  # the idle wait is cut short instead of lasting idle_s
    deadline = time.monotonic() + 5
    while (await sqlite_store.outbox_counts())["sent"] < 3:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.02)
    stop.set()
    await asyncio.wait_for(task, 2)
    assert sorted((await emulator.per_key()).items()) == [(f"t:{n}", 1) for n in range(3)]
    for row in rows:
        done = await sqlite_store.get_outbox(row.id)
        assert done is not None and done.status == "sent"


# -------------------------------------------------------------------- retries, dead letters


async def test_retries_429_503_and_a_timeout_then_sends_once(
    sqlite_store: Store, client: WappbizClient, emulator: Emulator, new_wa_id: Callable[[], str]
) -> None:
    wa_id = new_wa_id()
    await emulator.open_window(wa_id)
    row = await put(sqlite_store, "ticket:retry", wa_id)
    for mode in ("429", "503", "timeout"):
        await emulator.fault(mode)
    worker = fast_worker(sqlite_store, client)
    seen: list[tuple[str, int | None]] = []
    for _ in range(3):  # each failed attempt leaves its trace before the next round
        await worker.run_once()
        failed = await sqlite_store.get_outbox(row.id)
        assert failed is not None and failed.status == "queued"
        seen.append((failed.last_error or "", failed.last_error_code))
        await asyncio.sleep(0.04)  # past the (tiny) backoff
    assert [code for _, code in seen] == [4, 131016, None]  # 429, 503, client timeout
    assert "timeout" in seen[2][0]
    await drain(worker, sqlite_store, [row.id])
    sent = await sqlite_store.get_outbox(row.id)
    assert sent is not None and sent.status == "sent" and sent.attempts == 4
    assert await emulator.per_key() == {"ticket:retry": 1}


async def test_a_rate_limit_answer_backs_the_bucket_off(
    sqlite_store: Store, client: WappbizClient, emulator: Emulator, new_wa_id: Callable[[], str]
) -> None:
    row = await put(sqlite_store, "t:429", new_wa_id(), kind="template", payload=HELLO)
    await emulator.fault("429")
    worker = fast_worker(sqlite_store, client, rate_limit_pause_s=5.0)
    await worker.run_once()
    assert (await sqlite_store.get_outbox(row.id)).status == "queued"  # type: ignore[union-attr]
    # every worker sharing the bucket now waits ~5 s before its next send
    assert await worker.bucket.try_acquire(worker.bucket_key) > 4.0


async def test_retryable_errors_end_as_a_dead_letter_that_can_be_redriven(
    sqlite_store: Store, client: WappbizClient, emulator: Emulator, new_wa_id: Callable[[], str]
) -> None:
    row = await put(
        sqlite_store, "t:dead", new_wa_id(), kind="template", payload=HELLO, max_attempts=3
    )
    await emulator.fault("503", 3)
    worker = fast_worker(sqlite_store, client)
    await drain(worker, sqlite_store, [row.id])
    dead = await sqlite_store.get_outbox(row.id)
    assert dead is not None and dead.status == "dead" and dead.attempts == 3
    assert dead.last_error_code == 131016 and "http=503" in (dead.last_error or "")
    assert [r.id for r in await sqlite_store.dead_letters()] == [row.id]
    assert await emulator.per_key() == {}

    assert await sqlite_store.redrive([row.id]) == 1
    await drain(worker, sqlite_store, [row.id])
    sent = await sqlite_store.get_outbox(row.id)
    assert sent is not None and sent.status == "sent" and sent.attempts == 1
    assert await emulator.per_key() == {"t:dead": 1}


async def test_the_worker_default_limits_rows_without_their_own(
    sqlite_store: Store, client: WappbizClient, emulator: Emulator, new_wa_id: Callable[[], str]
) -> None:
    row = await put(sqlite_store, "t:limit", new_wa_id(), kind="template", payload=HELLO)
    await emulator.fault("500", 2)
    await drain(fast_worker(sqlite_store, client, max_attempts=2), sqlite_store, [row.id])
    dead = await sqlite_store.get_outbox(row.id)
    assert dead is not None and dead.status == "dead" and dead.attempts == 2


async def test_a_non_retryable_error_is_dead_at_once(
    sqlite_store: Store, client: WappbizClient, emulator: Emulator, new_wa_id: Callable[[], str]
) -> None:
    row = await put(sqlite_store, "t:token", new_wa_id(), kind="template", payload=HELLO)
    await emulator.fault("token")
    await fast_worker(sqlite_store, client).run_once()
    dead = await sqlite_store.get_outbox(row.id)
    assert dead is not None and dead.status == "dead"
    assert dead.attempts == 1 and dead.last_error_code == 190


async def test_an_unknown_template_is_dead_at_once(
    sqlite_store: Store, client: WappbizClient, emulator: Emulator, new_wa_id: Callable[[], str]
) -> None:
    missing = {"name": "no_such_template", "language": {"code": "es_CO"}}
    row = await put(sqlite_store, "t:missing", new_wa_id(), kind="template", payload=missing)
    await fast_worker(sqlite_store, client).run_once()
    dead = await sqlite_store.get_outbox(row.id)
    assert dead is not None and dead.status == "dead" and dead.last_error_code == 132001


# --------------------------------------------------------------------- the 24-hour window


async def test_window_closed_switches_to_the_template_fallback(
    sqlite_store: Store, client: WappbizClient, emulator: Emulator, new_wa_id: Callable[[], str]
) -> None:
    wa_id = new_wa_id()  # never wrote to us: the window is closed
    row = await put(sqlite_store, "reminder:1", wa_id, priority=2, template_fallback=HELLO)
    await fast_worker(sqlite_store, client).run_once()
    sent = await sqlite_store.get_outbox(row.id)
    assert sent is not None and sent.status == "sent" and sent.attempts == 1
    assert sent.kind == "template" and sent.payload == HELLO and sent.template_fallback is None
    assert sent.last_error_code == 131047 and "window_closed" in (sent.last_error or "")
    [message] = await emulator.outbound()
    assert message["type"] == "template" and message["body"]["template"]["name"] == "hello_world"
    assert message["id"] == sent.wamid
    assert await emulator.per_key() == {"reminder:1": 1}


async def test_window_closed_without_a_fallback_is_dead_with_131047(
    sqlite_store: Store, client: WappbizClient, emulator: Emulator, new_wa_id: Callable[[], str]
) -> None:
    row = await put(sqlite_store, "nudge:1", new_wa_id())
    await fast_worker(sqlite_store, client).run_once()
    dead = await sqlite_store.get_outbox(row.id)
    assert dead is not None and dead.status == "dead" and dead.attempts == 1
    assert dead.last_error_code == 131047 and "window_closed" in (dead.last_error or "")
    assert await emulator.outbound() == []


# ------------------------------------------------------------------- per-recipient pacing


async def test_pacing_defers_a_recipient_without_spending_an_attempt(
    sqlite_store: Store, client: WappbizClient, emulator: Emulator, new_wa_id: Callable[[], str]
) -> None:
    wa_id = new_wa_id()
    first = await put(sqlite_store, "t:first", wa_id, kind="template", payload=HELLO)
    second = await put(sqlite_store, "t:second", wa_id, kind="template", payload=HELLO)
    other = await put(sqlite_store, "t:other", new_wa_id(), kind="template", payload=HELLO)
    pacer = InProcessTokenBucket(1 / 10, 1)  # one message, then one per 10 s
    before = utcnow()
    await fast_worker(sqlite_store, client, pacer=pacer).run_once()
    assert sorted(await emulator.per_key()) == ["t:first", "t:other"]
    deferred = await sqlite_store.get_outbox(second.id)
    assert deferred is not None and deferred.status == "queued" and deferred.attempts == 0
    assert deferred.next_attempt_at >= before + timedelta(seconds=9)
    assert (await sqlite_store.get_outbox(first.id)).status == "sent"  # type: ignore[union-attr]
    assert (await sqlite_store.get_outbox(other.id)).status == "sent"  # type: ignore[union-attr]


async def test_the_pair_limit_answer_backs_off_that_recipient(
    sqlite_store: Store, client: WappbizClient, emulator: Emulator, new_wa_id: Callable[[], str]
) -> None:
    wa_id = new_wa_id()
    await emulator.tune(pair_rate_limit=True, pair_burst=1, pair_interval_s=60.0)
    rows = [
        await put(sqlite_store, f"t:{n}", wa_id, kind="template", payload=HELLO) for n in range(2)
    ]
    pacer = InProcessTokenBucket(100.0, 100)  # ours lets both through; the provider does not
    worker = fast_worker(sqlite_store, client, pacer=pacer, batch=1, backoff_cap_s=300.0)
    before = utcnow()
    await worker.run_once()
    await worker.run_once()
    limited = await sqlite_store.get_outbox(rows[1].id)
    assert limited is not None and limited.status == "queued" and limited.last_error_code == 131056
    assert limited.next_attempt_at >= before + timedelta(seconds=0.9)  # 4^0 s at least
    assert await pacer.try_acquire(pair_key(wa_id)) > 0.5  # every worker leaves them alone
    assert await emulator.per_key() == {"t:0": 1}


# ------------------------------------------------------------- two workers on PostgreSQL


@pytest.mark.postgres
async def test_two_workers_on_postgres_send_each_row_exactly_once(
    pg_db: str, emulator: Emulator, client: WappbizClient, new_wa_id: Callable[[], str]
) -> None:
    async with Store(pg_db) as first, Store(pg_db) as second:
        created = await first.enqueue_many(
            {
                "idempotency_key": f"broadcast:9:{n}",
                "wa_id": new_wa_id(),
                "kind": "template",
                "payload": HELLO,
                "purpose": "marketing",
                "broadcast_id": 9,
            }
            for n in range(150)
        )
        assert created == 150
        claimed: dict[str, list[int]] = {"a": [], "b": []}

        def record(store: Store, name: str) -> None:
            original = store.claim

            async def claim(worker_id: str, **kwargs: Any) -> list[OutboxRecord]:
                rows = await original(worker_id, **kwargs)
                claimed[name].extend(r.id for r in rows)
                await asyncio.sleep(0)  # let the other worker in between claim and send
                return rows

            store.claim = claim  # type: ignore[method-assign]

        record(first, "a")
        record(second, "b")
        workers = [
            fast_worker(first, client, worker_id="worker-a", batch=7),
            fast_worker(second, client, worker_id="worker-b", batch=7),
        ]

        async def run(worker: DeliveryWorker) -> None:
            while await worker.run_once():
                pass

        await asyncio.gather(*(run(w) for w in workers))

        assert claimed["a"] and claimed["b"], "both workers must have taken part"
        assert not set(claimed["a"]) & set(claimed["b"])
        assert len(claimed["a"]) + len(claimed["b"]) == 150
        assert await first.outbox_counts(broadcast_id=9) == {
            "queued": 0,
            "sending": 0,
            "sent": 150,
            "dead": 0,
            "cancelled": 0,
        }
        per_key = await emulator.per_key()
        assert len(per_key) == 150 and set(per_key.values()) == {1}
        senders = {r.claimed_by for r in await first.list_outbox(broadcast_id=9, limit=200)}
        assert senders == {"worker-a", "worker-b"}


# ------------------------------------------------------- batched results, pipelining


async def test_sent_rows_are_recorded_in_batches(
    sqlite_store: Store, client: WappbizClient, emulator: Emulator, new_wa_id: Callable[[], str]
) -> None:
    rows = [
        await put(sqlite_store, f"b:{n}", new_wa_id(), kind="template", payload=HELLO)
        for n in range(25)
    ]
    flushes: list[int] = []
    original = sqlite_store.mark_sent_many

    async def spy(worker_id: str, results: Any) -> list[int]:
        flushes.append(len(results))
        return await original(worker_id, results)

    async def per_row(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("one transaction per row: mark_sent must not be used")

    sqlite_store.mark_sent_many = spy  # type: ignore[method-assign]
    sqlite_store.mark_sent = per_row  # type: ignore[method-assign]
    worker = fast_worker(sqlite_store, client, batch=25, flush_every=10, flush_interval_s=5.0)
    assert await worker.run_once() == 25
    # A flush starts at 10 results (results arriving while it writes join the next one),
    # the rest is written when the round ends: a few transactions, not 25.
    assert flushes[0] == 10 and sum(flushes) == 25 and len(flushes) <= 3
    for row in rows:
        done = await sqlite_store.get_outbox(row.id)
        assert done is not None and done.status == "sent" and done.wamid
    assert set((await emulator.per_key()).values()) == {1}


async def test_a_flush_is_also_due_after_the_interval(
    sqlite_store: Store, client: WappbizClient, emulator: Emulator, new_wa_id: Callable[[], str]
) -> None:
    row = await put(sqlite_store, "t:1", new_wa_id(), kind="template", payload=HELLO)
    worker = fast_worker(sqlite_store, client, flush_every=100, flush_interval_s=0.05)
    [claimed] = await sqlite_store.claim(worker.worker_id, limit=1, lease_s=30)
    await worker._deliver(claimed)  # sent, buffered: not yet recorded
    assert (await sqlite_store.get_outbox(row.id)).status == "sending"  # type: ignore[union-attr]
    await asyncio.sleep(0.3)  # the timer flushes without another result coming
    assert (await sqlite_store.get_outbox(row.id)).status == "sent"  # type: ignore[union-attr]


async def test_a_failed_flush_keeps_the_results_for_the_next_one(
    sqlite_store: Store, client: WappbizClient, emulator: Emulator, new_wa_id: Callable[[], str]
) -> None:
    rows = [
        await put(sqlite_store, f"f:{n}", new_wa_id(), kind="template", payload=HELLO)
        for n in range(3)
    ]
    original = sqlite_store.mark_sent_many
    failures = [RuntimeError("database is locked")]

    async def flaky(worker_id: str, results: Any) -> list[int]:
        if failures:
            raise failures.pop()
        return await original(worker_id, results)

    sqlite_store.mark_sent_many = flaky  # type: ignore[method-assign]
    worker = fast_worker(sqlite_store, client, flush_interval_s=5.0)
    assert await worker.run_once() == 3
    assert (await sqlite_store.outbox_counts())["sending"] == 3  # nothing lost, not yet written
    await worker.flush()
    for row in rows:
        assert (await sqlite_store.get_outbox(row.id)).status == "sent"  # type: ignore[union-attr]
    assert sorted((await emulator.per_key()).values()) == [1, 1, 1]  # and nothing re-sent


async def test_a_crash_before_the_flush_sends_again_after_the_lease(
    sqlite_store: Store, client: WappbizClient, emulator: Emulator, new_wa_id: Callable[[], str]
) -> None:
    """At least once: results never flushed (the process died) are re-sent by the next worker."""
    row = await put(sqlite_store, "c:1", new_wa_id(), kind="template", payload=HELLO)
    original = sqlite_store.mark_sent_many

    async def died(worker_id: str, results: Any) -> list[int]:
        raise RuntimeError("killed before the flush")

    sqlite_store.mark_sent_many = died  # type: ignore[method-assign]
    first = fast_worker(sqlite_store, client, worker_id="worker-a", lease_s=0.3)
    assert await first.run_once() == 1
    sqlite_store.mark_sent_many = original  # type: ignore[method-assign]
    await asyncio.sleep(0.35)  # worker-a's lease runs out
    second = fast_worker(sqlite_store, client, worker_id="worker-b")
    assert await second.run_once() == 1
    done = await sqlite_store.get_outbox(row.id)
    assert done is not None and done.status == "sent" and done.claimed_by == "worker-b"
    assert done.attempts == 2 and (await emulator.per_key()) == {"c:1": 2}


async def test_run_forever_claims_the_next_batch_while_one_is_sending(
    sqlite_store: Store, client: WappbizClient, emulator: Emulator, new_wa_id: Callable[[], str]
) -> None:
    await sqlite_store.enqueue_many(
        {"idempotency_key": f"p:{n}", "wa_id": new_wa_id(), "kind": "template", "payload": HELLO}
        for n in range(60)
    )
    worker = fast_worker(sqlite_store, client, batch=10, idle_s=5.0)
    worker.bucket = InProcessTokenBucket(100.0, 5)  # 10 rows = 0.1 s per batch
    active = [0]
    in_hand_at_claim: list[int] = []
    deliver, claim = worker._deliver_batch, sqlite_store.claim

    async def counted(rows: list[OutboxRecord]) -> int:
        active[0] += 1
        try:
            return await deliver(rows)
        finally:
            active[0] -= 1

    async def watched(worker_id: str, **kwargs: Any) -> list[OutboxRecord]:
        in_hand_at_claim.append(active[0])
        return await claim(worker_id, **kwargs)

    worker._deliver_batch = counted  # type: ignore[method-assign]
    sqlite_store.claim = watched  # type: ignore[method-assign]
    stop = asyncio.Event()
    started = time.monotonic()
    task = asyncio.create_task(worker.run_forever(stop))
    while (await sqlite_store.outbox_counts())["sent"] < 60:
        assert time.monotonic() - started < 30, "the worker stopped sending"
        await asyncio.sleep(0.02)
    elapsed = time.monotonic() - started
    stop.set()
    await asyncio.wait_for(task, 2)
    assert max(in_hand_at_claim) == 1  # claimed while a batch was sending, never 2 ahead
    # never faster than the bucket allows: (60 - burst 5) / 100 per s = 0.55 s at least
    # (how close to that it gets is `make bench` business, not a test's)
    assert elapsed >= 0.5
    assert set((await emulator.per_key()).values()) == {1}


async def test_a_promotion_whose_consent_was_withdrawn_is_cancelled_not_sent(
    sqlite_store: Store, client: WappbizClient, emulator: Emulator, new_wa_id: Callable[[], str]
) -> None:
    """STOP after queueing: the real guard (consent now) stops it before the send."""
    from bot.broadcasts.guard import still_allowed

    wa_id = new_wa_id()
    await emulator.open_window(wa_id)
    promo = await put(sqlite_store, "promo:stopped", wa_id, purpose="marketing")
    ticket = await put(sqlite_store, "ticket:A-STOP001", wa_id)
    worker = fast_worker(sqlite_store, client)
    worker.guard = still_allowed  # no marketing consent recorded for this person
    await worker.run_once()
    await worker.flush()
    assert (await sqlite_store.get_outbox(promo.id)).status == "cancelled"
    assert (await sqlite_store.get_outbox(ticket.id)).status == "sent"
    assert [m["body"]["biz_opaque_callback_data"] for m in await emulator.outbound()] == [
        "ticket:A-STOP001"
    ]
