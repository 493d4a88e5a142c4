"""The outbox in the Store: enqueue, claim, leases and transitions, on SQLite and PostgreSQL.

Every test runs on both backends (the ``backend`` fixture). Leases are driven by a
settable clock; the races run across separate Store instances (separate pools, like
separate processes).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import insert, select

from bot.storage.models import WebhookReceipt
from bot.storage.outbox import OutboxRecord
from bot.storage.store import Store

WA = "573001112233"
T0 = datetime(2026, 12, 7, 15, 0, tzinfo=timezone.utc)
TEXT = {"type": "text", "text": {"body": "Tu entrada está lista"}}
HELLO = {"name": "hello_world", "language": {"code": "en_US"}}


class Clock:
    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def timed(db_url: str, clock: Clock) -> AsyncIterator[Store]:
    async with Store(db_url, clock=clock) as started:
        yield started


@pytest.fixture
async def other(db_url: str, clock: Clock) -> AsyncIterator[Store]:
    """A second Store on the same database and clock: another worker process."""
    async with Store(db_url, clock=clock) as started:
        yield started


async def put(store: Store, key: str, **overrides: Any) -> OutboxRecord:
    values: dict[str, Any] = {"idempotency_key": key, "wa_id": WA, "payload": TEXT}
    values.update(overrides)
    record, created = await store.enqueue(**values)
    assert created
    return record


# ----------------------------------------------------------------------------- enqueue


async def test_enqueue_is_idempotent_on_the_key(timed: Store) -> None:
    first, created = await timed.enqueue(
        idempotency_key="ticket:A-XY98ZT1", wa_id="+57 300 111 2233", payload=TEXT
    )
    again, created_again = await timed.enqueue(
        idempotency_key="ticket:A-XY98ZT1",
        wa_id=WA,
        payload={"type": "text", "text": {"body": "otro"}},
        purpose="marketing",
    )
    assert created and not created_again
    assert again == first  # the first row stands, untouched
    assert first.wa_id == WA and first.status == "queued" and first.attempts == 0
    assert first.priority == 1 and first.purpose == "transactional" and first.kind == "message"
    assert first.payload == TEXT and first.next_attempt_at == T0
    assert (await timed.outbox_counts())["queued"] == 1
    assert await timed.outbox_by_key("ticket:A-XY98ZT1") == first


async def test_concurrent_enqueues_of_one_key_make_one_row(timed: Store, other: Store) -> None:
    results = await asyncio.gather(
        *(
            store.enqueue(idempotency_key="broadcast:7:" + WA, wa_id=WA, payload=TEXT)
            for store in (timed, other) * 4
        )
    )
    assert sum(created for _, created in results) == 1
    assert len({record.id for record, _ in results}) == 1


async def test_enqueue_validates_the_message(timed: Store) -> None:
    with pytest.raises(ValueError, match="must not carry to"):
        await timed.enqueue(idempotency_key="k1", wa_id=WA, payload={**TEXT, "to": WA})
    with pytest.raises(ValueError, match="kind='template'"):
        await timed.enqueue(
            idempotency_key="k2", wa_id=WA, payload={"type": "template", "template": HELLO}
        )
    with pytest.raises(ValueError, match="language"):
        await timed.enqueue(
            idempotency_key="k3", wa_id=WA, kind="template", payload={"name": "hello_world"}
        )
    with pytest.raises(ValueError, match="only applies"):
        await timed.enqueue(
            idempotency_key="k4", wa_id=WA, kind="template", payload=HELLO, template_fallback=HELLO
        )
    with pytest.raises(ValueError, match="purpose"):
        await timed.enqueue(idempotency_key="k5", wa_id=WA, payload=TEXT, purpose="spam")
    with pytest.raises(ValueError, match="priority"):
        await timed.enqueue(idempotency_key="k6", wa_id=WA, payload=TEXT, priority=7)
    assert await timed.list_outbox() == []


async def test_defaults_and_template_rows(timed: Store) -> None:
    emergency = await put(timed, "alert:1", purpose="emergency")
    marketing = await put(timed, "promo:1", purpose="marketing")
    reminder = await put(timed, "remind:1", priority=2)
    template = await put(timed, "tpl:1", kind="template", payload={**HELLO, "language": "en_US"})
    assert (emergency.priority, marketing.priority, reminder.priority) == (0, 3, 2)
    assert template.kind == "template" and template.payload == HELLO  # language normalised


async def test_enqueue_many_skips_known_keys(timed: Store) -> None:
    await put(timed, "broadcast:7:1")
    items = [
        {"idempotency_key": f"broadcast:7:{n}", "wa_id": f"57300111{n:04d}", "payload": TEXT}
        for n in range(1, 4)
    ]
    created = await timed.enqueue_many(
        [{**item, "purpose": "marketing", "broadcast_id": 7} for item in items]
    )
    assert created == 2
    counts = await timed.outbox_counts(broadcast_id=7)
    assert counts == {"queued": 2, "sending": 0, "sent": 0, "dead": 0, "cancelled": 0}


async def test_enqueue_in_commits_with_the_business_state(timed: Store) -> None:
    receipts = WebhookReceipt.__table__
    async with timed.transaction() as session:
        await session.execute(insert(receipts).values(source="test", key="order-1", received_at=T0))
        record, created = await timed.enqueue_in(
            session, idempotency_key="ticket:order-1", wa_id=WA, payload=TEXT
        )
        assert created and record.status == "queued"
    assert await timed.outbox_by_key("ticket:order-1") is not None
    assert not await timed.remember_webhook("test", "order-1")  # committed together


async def test_enqueue_in_rolled_back_with_its_transaction_leaves_no_row(timed: Store) -> None:
    receipts = WebhookReceipt.__table__

    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        async with timed.transaction() as session:
            await session.execute(
                insert(receipts).values(source="test", key="order-2", received_at=T0)
            )
            await timed.enqueue_in(
                session, idempotency_key="ticket:order-2", wa_id=WA, payload=TEXT
            )
            raise Boom
    assert await timed.outbox_by_key("ticket:order-2") is None
    async with timed.transaction() as session:
        found = (await session.execute(select(receipts).where(receipts.c.key == "order-2"))).first()
    assert found is None
    assert await timed.outbox_counts() == dict.fromkeys(
        ("queued", "sending", "sent", "dead", "cancelled"), 0
    )


# ------------------------------------------------------------------------------- claim


async def test_claim_orders_by_priority_then_due_time(timed: Store, clock: Clock) -> None:
    marketing = await put(timed, "m", purpose="marketing")
    reminder_late = await put(timed, "r2", priority=2, not_before=T0 - timedelta(seconds=1))
    reminder_early = await put(timed, "r1", priority=2, not_before=T0 - timedelta(seconds=5))
    transactional = await put(timed, "t")
    emergency = await put(timed, "e", purpose="emergency")
    future = await put(timed, "f", purpose="emergency", not_before=T0 + timedelta(minutes=5))

    first = await timed.claim("w1", limit=2, lease_s=30)
    assert [r.id for r in first] == [emergency.id, transactional.id]
    assert all(r.status == "sending" and r.claimed_by == "w1" for r in first)
    assert all(r.attempts == 1 and r.claimed_until == T0 + timedelta(seconds=30) for r in first)
    rest = await timed.claim("w1", limit=10, lease_s=30)
    assert [r.id for r in rest] == [reminder_early.id, reminder_late.id, marketing.id]
    assert await timed.claim("w1", limit=10, lease_s=30) == []  # "f" is not due yet
    for row in [*first, *rest]:
        assert await timed.mark_sent(row.id, f"wamid.{row.id}", worker_id="w1")
    clock.advance(minutes=5)
    assert [r.id for r in await timed.claim("w1", limit=10, lease_s=30)] == [future.id]


async def test_an_expired_lease_gives_the_row_back(
    timed: Store, other: Store, clock: Clock
) -> None:
    row = await put(timed, "k")
    [claimed] = await timed.claim("worker-a", limit=5, lease_s=30)
    assert await other.claim("worker-b", limit=5, lease_s=30) == []  # leased
    clock.advance(seconds=29)
    assert await other.claim("worker-b", limit=5, lease_s=30) == []
    clock.advance(seconds=2)  # worker-a died: its lease ran out
    [again] = await other.claim("worker-b", limit=5, lease_s=30)
    assert again.id == row.id == claimed.id
    assert again.claimed_by == "worker-b" and again.attempts == 2


async def test_a_late_worker_cannot_overwrite_the_next_owner(
    timed: Store, other: Store, clock: Clock
) -> None:
    row = await put(timed, "k")
    await timed.claim("worker-a", limit=1, lease_s=30)
    clock.advance(seconds=31)
    await other.claim("worker-b", limit=1, lease_s=30)
    # worker-a wakes up after its lease: none of its results are recorded
    assert await timed.mark_sent(row.id, "wamid.A", worker_id="worker-a") is None
    assert await timed.mark_dead(row.id, "boom", 131000, worker_id="worker-a") is None
    retry_at = clock.now + timedelta(seconds=5)
    assert await timed.mark_retry(row.id, "x", 1, retry_at, worker_id="worker-a") is None
    assert await timed.switch_to_template(row.id, worker_id="worker-a") is None
    assert await timed.release(row.id, worker_id="worker-a") is None
    sent = await other.mark_sent(row.id, "wamid.B", worker_id="worker-b")
    assert sent is not None and sent.status == "sent" and sent.wamid == "wamid.B"
    assert sent.sent_at == clock.now and sent.claimed_until is None
    # and a finished row takes no further result, even from its owner
    assert await other.mark_dead(row.id, "late", None, worker_id="worker-b") is None
    assert (await timed.get_outbox(row.id)) == sent


async def test_a_late_result_with_no_new_owner_is_recorded(timed: Store, clock: Clock) -> None:
    row = await put(timed, "k")
    await timed.claim("worker-a", limit=1, lease_s=30)
    clock.advance(seconds=60)  # slow, but nobody claimed it since: the send happened
    sent = await timed.mark_sent(row.id, "wamid.A", worker_id="worker-a")
    assert sent is not None and sent.status == "sent"


async def test_mark_sent_many_records_only_this_workers_rows_in_one_call(
    timed: Store, other: Store, clock: Clock
) -> None:
    mine = [await put(timed, f"k{n}", wa_id=f"57300000000{n}") for n in range(3)]
    taken = await put(timed, "lost")
    await timed.claim("worker-a", limit=10, lease_s=30)
    clock.advance(seconds=31)  # worker-a's lease runs out; worker-b takes every row ...
    assert len(await other.claim("worker-b", limit=10, lease_s=30)) == 4
    for row in mine:  # ... and gives three of them back, so nobody holds those
        assert await other.release(row.id, worker_id="worker-b")
    assert len(await timed.claim("worker-a", limit=3, lease_s=30)) == 3
    results = [(row.id, f"wamid.{row.id}") for row in mine] + [(taken.id, "wamid.late")]
    done = await timed.mark_sent_many("worker-a", results)
    assert sorted(done) == sorted(row.id for row in mine)  # worker-b's row is refused
    for row in mine:
        sent = await timed.get_outbox(row.id)
        assert sent is not None and sent.status == "sent" and sent.wamid == f"wamid.{row.id}"
        assert sent.sent_at == clock.now and sent.claimed_until is None
    still = await timed.get_outbox(taken.id)
    assert still is not None and still.status == "sending" and still.claimed_by == "worker-b"
    # a finished row takes no result again; empty input writes nothing
    assert await timed.mark_sent_many("worker-a", results) == []
    assert await timed.mark_sent_many("worker-a", []) == []
    with pytest.raises(ValueError, match="wamid"):
        await timed.mark_sent_many("worker-a", [(taken.id, "")])


async def test_a_lapsed_lease_on_the_last_attempt_goes_dead(timed: Store, clock: Clock) -> None:
    row = await put(timed, "k", max_attempts=1)
    await timed.claim("worker-a", limit=1, lease_s=30)
    clock.advance(seconds=31)
    assert await timed.claim("worker-b", limit=1, lease_s=30) == []
    dead = await timed.get_outbox(row.id)
    assert dead is not None and dead.status == "dead" and "lease expired" in (dead.last_error or "")
    assert [r.id for r in await timed.dead_letters()] == [row.id]


async def test_concurrent_claims_never_share_a_row(timed: Store, other: Store) -> None:
    await timed.enqueue_many(
        {"idempotency_key": f"b:{n}", "wa_id": f"57300{n:07d}", "payload": TEXT} for n in range(120)
    )
    seen: list[int] = []

    async def drain(store: Store, worker: str) -> None:
        while rows := await store.claim(worker, limit=7, lease_s=60):
            seen.extend(r.id for r in rows)
            for r in rows:
                assert await store.mark_sent(r.id, f"wamid.{r.id}", worker_id=worker)

    await asyncio.gather(*(drain(s, f"w{i}") for i, s in enumerate((timed, other, timed, other))))
    assert len(seen) == len(set(seen)) == 120
    assert (await timed.outbox_counts())["sent"] == 120


# ------------------------------------------------------------------------ transitions


async def test_retry_waits_for_its_time(timed: Store, clock: Clock) -> None:
    row = await put(timed, "k")
    await timed.claim("w", limit=1, lease_s=30)
    retry_at = clock.now + timedelta(seconds=10)
    queued = await timed.mark_retry(row.id, "HTTP 503", 131016, retry_at, worker_id="w")
    assert queued is not None and queued.status == "queued" and queued.claimed_by is None
    assert (queued.last_error, queued.last_error_code, queued.attempts) == ("HTTP 503", 131016, 1)
    assert await timed.claim("w", limit=1, lease_s=30) == []
    clock.advance(seconds=10)
    [again] = await timed.claim("w", limit=1, lease_s=30)
    assert again.attempts == 2 and again.last_error == "HTTP 503"


async def test_release_gives_the_attempt_back(timed: Store, clock: Clock) -> None:
    row = await put(timed, "k")
    await timed.claim("w", limit=1, lease_s=30)
    later = clock.now + timedelta(seconds=6)
    released = await timed.release(row.id, worker_id="w", until=later)
    assert released is not None and released.status == "queued"
    assert released.attempts == 0 and released.next_attempt_at == later


async def test_switch_to_template_uses_the_fallback_once(timed: Store) -> None:
    row = await put(timed, "k", template_fallback=HELLO)
    plain = await put(timed, "plain")
    await timed.claim("w", limit=5, lease_s=30)
    switched = await timed.switch_to_template(row.id, worker_id="w")
    assert switched is not None and switched.status == "sending"
    assert switched.kind == "template" and switched.payload == HELLO
    assert switched.template_fallback is None and switched.last_error_code == 131047
    assert await timed.switch_to_template(row.id, worker_id="w") is None  # already a template
    assert await timed.switch_to_template(plain.id, worker_id="w") is None  # no fallback


async def test_dead_letters_and_redrive(timed: Store, clock: Clock) -> None:
    rows = [await put(timed, f"k{n}") for n in range(3)]
    await timed.claim("w", limit=3, lease_s=30)
    for n, row in enumerate(rows):
        clock.advance(seconds=1)
        assert await timed.mark_dead(row.id, f"error {n}", 131026, worker_id="w")
    assert [r.id for r in await timed.dead_letters()] == [r.id for r in reversed(rows)]
    assert await timed.redrive([rows[0].id, 999_999]) == 1
    redriven = await timed.get_outbox(rows[0].id)
    assert redriven is not None and redriven.status == "queued" and redriven.attempts == 0
    assert redriven.next_attempt_at == clock.now and redriven.last_error == "error 0"
    assert await timed.redrive([rows[0].id]) == 0  # not dead any more
    assert await timed.redrive() == 2
    assert (await timed.outbox_counts())["queued"] == 3
    assert [r.id for r in await timed.claim("w", limit=5, lease_s=30)] == [r.id for r in rows]


async def test_cancel_by_ids_and_by_broadcast(timed: Store) -> None:
    ours = [await put(timed, f"b7:{n}", broadcast_id=7, purpose="marketing") for n in range(4)]
    theirs = await put(timed, "b8:0", broadcast_id=8, purpose="marketing")
    single = await put(timed, "t:1")
    [in_flight] = await timed.claim("w", limit=1, lease_s=30)  # the transactional one
    assert in_flight.id == single.id
    assert await timed.cancel([single.id]) == 0  # being sent: left to its worker
    [b0] = await timed.claim("w", limit=1, lease_s=30)
    assert await timed.mark_sent(b0.id, "wamid.x", worker_id="w")
    assert b0.id == ours[0].id
    assert await timed.cancel(broadcast_id=7) == 3  # the sent one stays sent
    assert await timed.outbox_counts(broadcast_id=7) == {
        "queued": 0,
        "sending": 0,
        "sent": 1,
        "dead": 0,
        "cancelled": 3,
    }
    assert await timed.cancel([theirs.id]) == 1
    assert await timed.redrive() == 0  # cancelled rows are never re-driven
    with pytest.raises(ValueError):
        await timed.cancel()
    assert await timed.claim("w", limit=5, lease_s=30) == []
