"""Ticket purchases, payment events, tickets, refunds and webhook receipts in the Store.

Every test runs on SQLite and PostgreSQL (the ``backend`` fixture). Transitions are
checked from every state, allowed and refused; the races (expiry, fulfilment claims,
check-ins, refunds) are run concurrently, across separate Store instances (separate
connection pools, like separate processes).
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from bot.storage.models import PURCHASE_STATES, Purchase
from bot.storage.purchases import CANCELLABLE_STATES, PAYABLE_STATES, PurchaseRecord
from bot.storage.store import Store
from bot.storage.threaded import ThreadedStore
from tests.storage.test_migrations import _inspect

WA = "573001112233"
OTHER = "573009998877"
T0 = datetime(2026, 12, 7, 15, 0, tzinfo=timezone.utc)
EVENT_AT = datetime(2026, 12, 20, 1, 0, tzinfo=timezone.utc)

_refs = itertools.count(1)


class Clock:
    """A settable clock for the store (``Store(url, clock=clock)``)."""

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
    """A store whose clock the test moves."""
    async with Store(db_url, clock=clock) as started:
        yield started


async def buy(store: Store, **overrides: Any) -> PurchaseRecord:
    values: dict[str, Any] = {
        "reference": f"FSH-{next(_refs):06d}",
        "wa_id": WA,
        "language": "es",
        "event_id": 7,
        "event_title": "Medellín Fashion Night",
        "event_starts_at": EVENT_AT,
        "product_id": 11,
        "price_id": 12,
        "ticket_type": "General",
        "quantity": 2,
        "unit_price_cop": 85_000,
        "total_cop": 170_000,
        "buyer_name": "Laura Gómez",
        "buyer_email": "laura@example.com",
    }
    values.update(overrides)
    return await store.create_purchase(**values)


async def linked(store: Store, expires_at: datetime | None = None, **kw: Any) -> PurchaseRecord:
    purchase = await buy(store, **kw)
    return await store.set_purchase_link(
        purchase.id,
        provider="wompi",
        link_id=f"link_{purchase.id}",
        link_url=f"https://checkout.wompi.co/l/link_{purchase.id}",
        expires_at=expires_at or T0 + timedelta(minutes=30),
    )


async def in_state(store: Store, state: str) -> PurchaseRecord:
    """A purchase brought to ``state`` through the store's own transitions."""
    purchase = await linked(store)
    if state == "awaiting_payment":
        return purchase
    if state == "expired":
        moved = await store.expire_due(now=T0 + timedelta(days=1))
        return next(p for p in moved if p.id == purchase.id)
    if state == "cancelled":
        result = await store.cancel_purchase(purchase.id)
    elif state == "flagged":
        result = await store.flag_purchase(purchase.id, "amount mismatch")
    else:
        result = await store.mark_paid(
            purchase.id, transaction_id=f"tx-{purchase.id}", method="CARD"
        )
        if state == "fulfilled":
            assert result is not None
            result = await store.mark_fulfilled(purchase.id)
    assert result is not None and result.state == state
    return result


@pytest.fixture
async def stores(db_url: str) -> AsyncIterator[list[Store]]:
    """Four independent stores on the same database (four 'processes')."""
    async with AsyncExitStack() as stack:
        yield [await stack.enter_async_context(Store(db_url)) for _ in range(4)]


# ------------------------------------------------------------------------ purchases


async def test_a_new_purchase_awaits_payment(store: Store) -> None:
    purchase = await buy(store, wa_id="+57 300 111 2233", reference="FSH-A1", language="en")
    assert purchase.state == "awaiting_payment"
    assert purchase.wa_id == WA and purchase.language == "en"
    assert purchase.reference == "FSH-A1" and purchase.currency == "COP"
    assert (purchase.quantity, purchase.unit_price_cop, purchase.total_cop) == (2, 85_000, 170_000)
    assert purchase.event_starts_at == EVENT_AT
    assert purchase.provider is None and purchase.link_id is None and purchase.link_url is None
    assert purchase.attempts == 0 and purchase.next_attempt_at is None
    assert purchase.paid_at is None and purchase.fulfilled_at is None
    assert purchase.created_at.tzinfo is not None and purchase.updated_at == purchase.created_at
    assert await store.get_purchase(purchase.id) == purchase
    assert await store.purchase_by_reference("FSH-A1") == purchase
    assert await store.get_purchase(purchase.id + 100) is None
    assert await store.purchase_by_reference("nope") is None


async def test_big_amounts_and_hi_events_order_are_kept(store: Store) -> None:
    purchase = await buy(
        store,
        quantity=1,
        unit_price_cop=9_000_000_000,  # beyond 32 bits
        total_cop=9_000_000_000,
        event_id=3_000_000_000,
        hi_order_short_id="o_abc123",
        hi_order_public_id="ord_pub_1",
        hi_order_id=4_000_000_000,
        hi_session="sess-1",
        currency="cop",
    )
    assert purchase.total_cop == 9_000_000_000 and purchase.event_id == 3_000_000_000
    assert purchase.hi_order_id == 4_000_000_000 and purchase.hi_order_short_id == "o_abc123"
    assert purchase.hi_order_public_id == "ord_pub_1" and purchase.hi_session == "sess-1"
    assert purchase.currency == "COP"


async def test_a_reference_is_unique(store: Store) -> None:
    await buy(store, reference="FSH-DUP")
    with pytest.raises(IntegrityError):
        await buy(store, reference="FSH-DUP")


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"language": "fr"}, "language"),
        ({"quantity": 0}, "quantity"),
        ({"total_cop": -1}, "negative"),
        ({"currency": "PESOS"}, "currency"),
        ({"reference": "x" * 41}, "reference"),
        ({"reference": ""}, "reference"),
        ({"buyer_name": "  "}, "buyer_name"),
        ({"event_starts_at": datetime(2026, 12, 20, 1, 0)}, "timezone-aware"),
        ({"wa_id": "not-a-phone"}, "digits"),
    ],
)
async def test_invalid_purchases_are_refused(
    store: Store, overrides: dict[str, Any], match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        await buy(store, **overrides)
    assert await store.list_purchases() == []


async def test_long_display_text_is_cut_to_the_column(store: Store) -> None:
    purchase = await buy(store, event_title="E" * 300, buyer_name="N" * 200, ticket_type="T" * 90)
    assert len(purchase.event_title) == 256
    assert len(purchase.buyer_name) == 128
    assert len(purchase.ticket_type) == 64


async def test_set_link_and_find_the_purchase_by_it(store: Store) -> None:
    purchase = await buy(store)
    expires = datetime(2026, 12, 7, 10, 30, tzinfo=timezone(timedelta(hours=-5)))
    updated = await store.set_purchase_link(
        purchase.id,
        provider="mercadopago",
        link_id="pref-123",
        link_url="https://mpago.la/abc",
        expires_at=expires,
    )
    assert updated.provider == "mercadopago" and updated.link_id == "pref-123"
    assert updated.link_url == "https://mpago.la/abc"
    assert updated.link_expires_at == expires and updated.link_expires_at.utcoffset() == timedelta(
        0
    )
    assert updated.state == "awaiting_payment"
    assert await store.purchase_by_link("mercadopago", "pref-123") == updated
    assert await store.purchase_by_link("wompi", "pref-123") is None
    # a new link (the first one lapsed) replaces it while still awaiting payment
    again = await store.set_purchase_link(
        purchase.id, provider="wompi", link_id="w-1", link_url="https://w/1", expires_at=None
    )
    assert again.provider == "wompi" and again.link_expires_at is None
    assert await store.purchase_by_link("mercadopago", "pref-123") is None


async def test_a_link_belongs_to_one_purchase(store: Store) -> None:
    first, second = await buy(store), await buy(store)
    await store.set_purchase_link(
        first.id, provider="wompi", link_id="same", link_url="u", expires_at=None
    )
    with pytest.raises(IntegrityError):
        await store.set_purchase_link(
            second.id, provider="wompi", link_id="same", link_url="u", expires_at=None
        )
    # the same link id at another provider is another link
    other = await store.set_purchase_link(
        second.id, provider="mercadopago", link_id="same", link_url="u", expires_at=None
    )
    assert other.link_id == "same"


async def test_set_link_is_refused_outside_awaiting_payment(store: Store) -> None:
    with pytest.raises(LookupError):
        await store.set_purchase_link(
            999, provider="wompi", link_id="l", link_url="u", expires_at=None
        )
    paid = await in_state(store, "paid")
    with pytest.raises(ValueError, match="paid"):
        await store.set_purchase_link(
            paid.id, provider="wompi", link_id="other", link_url="u", expires_at=None
        )
    assert (await store.get_purchase(paid.id)) == paid
    with pytest.raises(ValueError, match="provider"):
        await store.set_purchase_link(
            (await buy(store)).id, provider="paypal", link_id="l", link_url="u", expires_at=None
        )


async def test_set_hi_order(store: Store) -> None:
    purchase = await buy(store)
    updated = await store.set_hi_order(
        purchase.id, short_id="o_x1", public_id="pub1", order_id=77, session="s-77"
    )
    assert (updated.hi_order_short_id, updated.hi_order_public_id) == ("o_x1", "pub1")
    assert (updated.hi_order_id, updated.hi_session) == (77, "s-77")
    with pytest.raises(LookupError):
        await store.set_hi_order(999, short_id=None, public_id=None, order_id=None, session=None)


async def test_purchases_are_listed_newest_first_and_filtered(store: Store) -> None:
    mine = [await buy(store) for _ in range(3)]
    theirs = await buy(store, wa_id=OTHER)
    await store.mark_paid(mine[1].id, transaction_id="t1", method="NEQUI")
    assert [p.id for p in await store.purchases_for(WA)] == [m.id for m in reversed(mine)]
    assert [p.id for p in await store.purchases_for(WA, limit=2)] == [mine[2].id, mine[1].id]
    assert [p.id for p in await store.purchases_for(WA, states=("paid",))] == [mine[1].id]
    assert [p.id for p in await store.purchases_for(OTHER)] == [theirs.id]
    everything = await store.list_purchases()
    assert [p.id for p in everything] == [theirs.id, *(m.id for m in reversed(mine))]
    waiting = await store.list_purchases(states=("awaiting_payment",), limit=2)
    assert [p.id for p in waiting] == [theirs.id, mine[2].id]
    with pytest.raises(ValueError, match="purchase state"):
        await store.list_purchases(states=("lost",))


# ---------------------------------------------------------------------- transitions


@pytest.mark.parametrize("state", PURCHASE_STATES)
async def test_mark_paid_from_every_state(timed: Store, clock: Clock, state: str) -> None:
    purchase = await in_state(timed, state)
    paid_at = clock.advance(minutes=5)
    result = await timed.mark_paid(purchase.id, transaction_id="tx-final", method="PSE")
    if state not in PAYABLE_STATES:
        assert result is None
        assert await timed.get_purchase(purchase.id) == purchase
        return
    # paid money always wins, also over an expired or cancelled purchase
    assert result is not None and result.state == "paid"
    assert result.payment_transaction_id == "tx-final" and result.payment_method == "PSE"
    assert result.paid_at == paid_at and result.next_attempt_at == paid_at
    assert result.attempts == 0 and result.updated_at == paid_at


@pytest.mark.parametrize("state", PURCHASE_STATES)
async def test_flag_from_every_state(store: Store, state: str) -> None:
    purchase = await in_state(store, state)
    result = await store.flag_purchase(purchase.id, "paid 1000 COP less")
    if state == "fulfilled":
        assert result is None
        assert await store.get_purchase(purchase.id) == purchase
        return
    assert result is not None and result.state == "flagged"
    assert result.last_error == "paid 1000 COP less" and result.next_attempt_at is None


@pytest.mark.parametrize("state", PURCHASE_STATES)
async def test_mark_fulfilled_only_from_paid(timed: Store, clock: Clock, state: str) -> None:
    purchase = await in_state(timed, state)
    at = clock.advance(minutes=1)
    result = await timed.mark_fulfilled(purchase.id)
    if state != "paid":
        assert result is None
        assert await timed.get_purchase(purchase.id) == purchase
        return
    assert result is not None and result.state == "fulfilled"
    assert result.fulfilled_at == at and result.next_attempt_at is None


@pytest.mark.parametrize("state", PURCHASE_STATES)
async def test_cancel_only_before_payment(store: Store, state: str) -> None:
    purchase = await in_state(store, state)
    result = await store.cancel_purchase(purchase.id)
    if state not in CANCELLABLE_STATES:
        assert result is None
        assert await store.get_purchase(purchase.id) == purchase
        return
    assert result is not None and result.state == "cancelled"


@pytest.mark.parametrize("state", PURCHASE_STATES)
async def test_fulfilment_failed_only_while_paid(store: Store, state: str) -> None:
    purchase = await in_state(store, state)
    retry_at = T0 + timedelta(minutes=2)
    result = await store.fulfilment_failed(purchase.id, error="hi.events 502", retry_at=retry_at)
    if state != "paid":
        assert result is None
        assert await store.get_purchase(purchase.id) == purchase
        return
    assert result is not None and result.state == "paid"
    assert result.attempts == 1 and result.last_error == "hi.events 502"
    assert result.next_attempt_at == retry_at
    again = await store.fulfilment_failed(purchase.id, error="timeout", retry_at=retry_at)
    assert again is not None and again.attempts == 2 and again.last_error == "timeout"


async def test_transitions_of_an_unknown_purchase_return_none(store: Store) -> None:
    assert await store.mark_paid(404, transaction_id="t", method=None) is None
    assert await store.flag_purchase(404, "x") is None
    assert await store.mark_fulfilled(404) is None
    assert await store.cancel_purchase(404) is None
    assert await store.fulfilment_failed(404, error="x", retry_at=T0) is None


async def test_a_second_payment_confirmation_changes_nothing(store: Store) -> None:
    purchase = await linked(store)
    first = await store.mark_paid(purchase.id, transaction_id="tx-1", method="CARD")
    assert first is not None
    assert await store.mark_paid(purchase.id, transaction_id="tx-2", method="NEQUI") is None
    assert await store.get_purchase(purchase.id) == first


async def test_concurrent_confirmations_pay_once(store: Store, stores: list[Store]) -> None:
    purchase = await linked(store)
    results = await asyncio.gather(
        *(
            s.mark_paid(purchase.id, transaction_id=f"tx-{i}", method=None)
            for i, s in enumerate(stores)
        )
    )
    assert sum(r is not None for r in results) == 1


# ------------------------------------------------------------------------ expiry


async def test_expire_due_moves_lapsed_links_once(store: Store) -> None:
    lapsed = await linked(store, expires_at=T0 - timedelta(minutes=1))
    exactly_now = await linked(store, expires_at=T0)
    later = await linked(store, expires_at=T0 + timedelta(minutes=1))
    no_link = await buy(store)
    paid = await linked(store, expires_at=T0 - timedelta(hours=1))
    await store.mark_paid(paid.id, transaction_id="tx", method=None)

    moved = await store.expire_due(now=T0)
    assert [p.id for p in moved] == [lapsed.id]
    assert moved[0].state == "expired"
    assert await store.expire_due(now=T0) == []
    states = {p.id: p.state for p in await store.list_purchases()}
    assert states == {
        lapsed.id: "expired",
        exactly_now.id: "awaiting_payment",
        later.id: "awaiting_payment",
        no_link.id: "awaiting_payment",
        paid.id: "paid",
    }
    moved = await store.expire_due(now=T0 + timedelta(hours=1))
    assert [p.id for p in moved] == [exactly_now.id, later.id]


async def test_expire_due_uses_the_store_clock_by_default(timed: Store, clock: Clock) -> None:
    purchase = await linked(timed, expires_at=T0 + timedelta(minutes=30))
    assert await timed.expire_due() == []
    clock.advance(minutes=31)
    assert [p.id for p in await timed.expire_due()] == [purchase.id]


async def test_concurrent_expiry_returns_each_purchase_once(
    store: Store, stores: list[Store]
) -> None:
    ids = {(await linked(store, expires_at=T0 - timedelta(minutes=1))).id for _ in range(12)}
    later = T0 + timedelta(minutes=1)
    for _ in range(3):
        results = await asyncio.gather(*(s.expire_due(now=later) for s in stores for _ in range(2)))
        returned = [p.id for batch in results for p in batch]
        assert len(returned) == len(set(returned))
        ids -= set(returned)
    assert ids == set()
    assert await store.expire_due(now=later) == []


async def test_payment_after_expiry_wins(store: Store) -> None:
    purchase = await linked(store, expires_at=T0 - timedelta(minutes=1))
    await store.expire_due(now=T0)
    paid = await store.mark_paid(purchase.id, transaction_id="tx-late", method="CARD")
    assert paid is not None and paid.state == "paid"
    assert await store.expire_due(now=T0 + timedelta(days=1)) == []


# ------------------------------------------------------------------ fulfilment claims


async def paid_purchases(store: Store, count: int) -> list[int]:
    ids = []
    for _ in range(count):
        purchase = await linked(store)
        assert await store.mark_paid(purchase.id, transaction_id=f"t{purchase.id}", method=None)
        ids.append(purchase.id)
    return ids


async def test_claim_takes_due_purchases_with_a_lease(timed: Store, clock: Clock) -> None:
    ids = await paid_purchases(timed, 3)
    await linked(timed)  # awaiting payment: never claimed
    clock.advance(seconds=1)
    claimed = await timed.claim_due_fulfilments(limit=2, lease_s=60)
    assert [p.id for p in claimed] == ids[:2]
    assert all(p.state == "paid" for p in claimed)
    assert all(p.next_attempt_at == clock.now + timedelta(seconds=60) for p in claimed)
    rest = await timed.claim_due_fulfilments(limit=10, lease_s=60)
    assert [p.id for p in rest] == ids[2:]
    assert await timed.claim_due_fulfilments() == []  # all leased
    clock.advance(seconds=59)
    assert await timed.claim_due_fulfilments() == []
    clock.advance(seconds=1)  # the leases ended (a worker crashed): due again
    assert [p.id for p in await timed.claim_due_fulfilments(limit=10)] == ids


async def test_a_failed_attempt_is_retried_when_due(timed: Store, clock: Clock) -> None:
    (purchase_id,) = await paid_purchases(timed, 1)
    (claimed,) = await timed.claim_due_fulfilments()
    retry_at = clock.now + timedelta(minutes=5)
    failed = await timed.fulfilment_failed(claimed.id, error="502", retry_at=retry_at)
    assert failed is not None and failed.attempts == 1
    clock.advance(minutes=4)
    assert await timed.claim_due_fulfilments() == []
    clock.advance(minutes=1)
    (again,) = await timed.claim_due_fulfilments()
    assert again.id == purchase_id and again.attempts == 1
    done = await timed.mark_fulfilled(purchase_id)
    assert done is not None and done.state == "fulfilled"
    clock.advance(days=1)
    assert await timed.claim_due_fulfilments() == []


async def test_claim_arguments(timed: Store) -> None:
    await paid_purchases(timed, 1)
    assert await timed.claim_due_fulfilments(limit=0) == []
    with pytest.raises(ValueError, match="lease_s"):
        await timed.claim_due_fulfilments(lease_s=0)


async def test_concurrent_claimers_never_share_a_purchase(
    store: Store, stores: list[Store]
) -> None:
    ids = set(await paid_purchases(store, 20))
    claimed: list[int] = []
    for _ in range(4):
        results = await asyncio.gather(
            *(s.claim_due_fulfilments(limit=3, lease_s=600) for s in stores for _ in range(2))
        )
        claimed += [p.id for batch in results for p in batch]
    assert len(claimed) == len(set(claimed))
    assert set(claimed) == ids


#: PostgreSQL only (SQLite admits one writer at a time: there is nothing to skip).
ON_POSTGRES = pytest.mark.parametrize(
    "backend", [pytest.param("postgres", marks=pytest.mark.postgres)]
)


@ON_POSTGRES
async def test_postgres_claim_skips_rows_another_worker_holds(
    store: Store, stores: list[Store]
) -> None:
    """SKIP LOCKED: a claimer does not wait for, nor take, a row another transaction holds."""
    held, *free = await paid_purchases(store, 3)
    table = Purchase.__table__
    async with stores[0]._write() as session:
        await session.execute(select(table.c.id).where(table.c.id == held).with_for_update())
        claimed = await asyncio.wait_for(stores[1].claim_due_fulfilments(limit=10), timeout=5)
        assert [p.id for p in claimed] == free
    (late,) = await stores[1].claim_due_fulfilments(limit=10)
    assert late.id == held


@ON_POSTGRES
async def test_postgres_two_claimers_in_flight_get_different_rows(
    store: Store, stores: list[Store]
) -> None:
    """Two claim transactions open at the same time never return the same row."""
    ids = await paid_purchases(store, 4)
    first, second = await asyncio.gather(
        stores[0].claim_due_fulfilments(limit=2), stores[1].claim_due_fulfilments(limit=2)
    )
    assert {p.id for p in first}.isdisjoint({p.id for p in second})
    assert sorted(p.id for p in [*first, *second]) == ids


# ------------------------------------------------------------------- payment events


async def record(store: Store, **overrides: Any) -> tuple[Any, bool]:
    values: dict[str, Any] = {
        "provider": "wompi",
        "transaction_id": "1234-1610641025-49201",
        "status": "APPROVED",
        "amount_cop": 170_000,
        "currency": "COP",
        "reference": "FSH-000001",
        "link_id": "link_1",
        "method": "NEQUI",
        "raw": {"event": "transaction.updated", "data": {"nombre": "Peña ñ"}},
    }
    values.update(overrides)
    return await store.record_payment_event(**values)


async def test_payment_events_are_recorded_once_per_status(store: Store) -> None:
    purchase = await buy(store)
    event, created = await record(store, purchase_id=purchase.id)
    assert created
    assert (event.provider, event.status, event.amount_cop) == ("wompi", "APPROVED", 170_000)
    assert event.purchase_id == purchase.id and event.outcome is None
    assert event.raw == {"event": "transaction.updated", "data": {"nombre": "Peña ñ"}}
    assert event.received_at.tzinfo is not None
    again, created_again = await record(store, amount_cop=1, purchase_id=purchase.id)
    assert not created_again and again == event  # the first delivery stays
    declined, created = await record(store, status="DECLINED", purchase_id=purchase.id)
    assert created and declined.id != event.id
    other_provider, created = await record(store, provider="mercadopago")
    assert created and other_provider.purchase_id is None
    assert [e.id for e in await store.payment_events_for(purchase.id)] == [event.id, declined.id]


async def test_concurrent_webhooks_record_one_event(store: Store, stores: list[Store]) -> None:
    results = await asyncio.gather(*(record(s) for s in stores for _ in range(2)))
    assert sum(created for _, created in results) == 1
    assert len({event.id for event, _ in results}) == 1


async def test_payment_event_outcome(store: Store) -> None:
    event, _ = await record(store, amount_cop=None, currency=None, reference=None, link_id=None)
    assert event.amount_cop is None and event.currency is None
    updated = await store.set_payment_event_outcome(event.id, "unknown_purchase")
    assert updated.outcome == "unknown_purchase" and updated.id == event.id
    updated = await store.set_payment_event_outcome(event.id, "a-new-outcome")  # open vocabulary
    assert updated.outcome == "a-new-outcome"
    with pytest.raises(LookupError):
        await store.set_payment_event_outcome(event.id + 1, "applied")
    with pytest.raises(ValueError, match="provider"):
        await record(store, provider="paypal")


# ---------------------------------------------------------------------------- tickets


async def ticket(store: Store, purchase_id: int, public_id: str, **kw: Any) -> Any:
    values: dict[str, Any] = {
        "purchase_id": purchase_id,
        "attendee_public_id": public_id,
        "attendee_id": 500,
        "holder_name": "Laura Gómez",
        "ticket_type": "General",
        "wa_id": WA,
    }
    values.update(kw)
    return await store.add_ticket(**values)


async def test_tickets_are_added_once_and_found(store: Store) -> None:
    purchase = await in_state(store, "paid")
    first = await ticket(store, purchase.id, "A-PUB-1")
    second = await ticket(store, purchase.id, "A-PUB-2", holder_name="Ana")
    assert first.sent_at is None and first.checked_in_at is None and first.welcomed_at is None
    assert first.created_at.tzinfo is not None and first.attendee_id == 500
    again = await ticket(store, purchase.id, "A-PUB-1", holder_name="someone else")
    assert again == first
    assert await store.tickets_for_purchase(purchase.id) == [first, second]
    assert await store.tickets_for(WA) == [second, first]
    assert await store.tickets_for(WA, limit=1) == [second]
    assert await store.tickets_for(OTHER) == []
    assert await store.ticket_by_public_id("A-PUB-2") == second
    assert await store.ticket_by_public_id("nope") is None


async def test_concurrent_adds_make_one_ticket(store: Store, stores: list[Store]) -> None:
    results = await asyncio.gather(*(ticket(s, 1, "A-RACE") for s in stores for _ in range(2)))
    assert len({t.id for t in results}) == 1
    assert len(await store.tickets_for_purchase(1)) == 1


async def test_mark_ticket_sent(timed: Store, clock: Clock) -> None:
    added = await ticket(timed, 1, "A-SENT")
    at = clock.advance(seconds=3)
    sent = await timed.mark_ticket_sent(added.id, media_id="media-1", wamid="wamid.QR1")
    assert (sent.media_id, sent.wamid, sent.sent_at) == ("media-1", "wamid.QR1", at)
    with pytest.raises(LookupError):
        await timed.mark_ticket_sent(added.id + 1, media_id=None, wamid=None)


async def test_check_in_happens_once(store: Store) -> None:
    added = await ticket(store, 1, "A-DOOR")
    first_at = T0 + timedelta(hours=2)
    checked, first = await store.record_check_in("A-DOOR", first_at)
    assert first and checked is not None and checked.checked_in_at == first_at
    again, first_again = await store.record_check_in("A-DOOR", first_at + timedelta(minutes=9))
    assert not first_again and again is not None and again.checked_in_at == first_at
    assert again.id == added.id
    assert await store.record_check_in("UNKNOWN", first_at) == (None, False)


async def test_concurrent_scans_check_in_once(store: Store, stores: list[Store]) -> None:
    await ticket(store, 1, "A-SCAN")
    results = await asyncio.gather(
        *(s.record_check_in("A-SCAN", T0 + timedelta(seconds=i)) for i, s in enumerate(stores))
    )
    assert sum(first for _, first in results) == 1
    assert len({t.checked_in_at for t, _ in results if t is not None}) == 1


async def test_the_welcome_is_claimed_once(store: Store, stores: list[Store]) -> None:
    await ticket(store, 1, "A-HI")
    await ticket(store, 1, "A-HI-2")
    assert await store.claim_welcome("A-HI")
    assert not await store.claim_welcome("A-HI")
    assert not await store.claim_welcome("UNKNOWN")
    results = await asyncio.gather(*(s.claim_welcome("A-HI-2") for s in stores for _ in range(2)))
    assert sum(results) == 1
    welcomed = await store.ticket_by_public_id("A-HI-2")
    assert welcomed is not None and welcomed.welcomed_at is not None


# ---------------------------------------------------------------------------- refunds


async def ask_refund(store: Store, purchase_id: int, **kw: Any) -> tuple[Any, bool]:
    values: dict[str, Any] = {
        "purchase_id": purchase_id,
        "wa_id": WA,
        "reason": "no puedo ir",
        "basis": "retracto",
        "eligible": True,
        "retracto_deadline": T0 + timedelta(days=5),
        "refund_due_by": T0 + timedelta(days=30),
    }
    values.update(kw)
    return await store.create_refund_request(**values)


async def test_one_pending_refund_request_per_purchase(store: Store) -> None:
    purchase = await in_state(store, "fulfilled")
    request, created = await ask_refund(store, purchase.id)
    assert created and request.status == "pending" and request.eligible is True
    assert request.basis == "retracto" and request.reason == "no puedo ir"
    assert request.retracto_deadline == T0 + timedelta(days=5)
    assert request.refund_due_by == T0 + timedelta(days=30)
    assert request.decided_at is None and request.notified_at is None
    again, created_again = await ask_refund(
        store, purchase.id, reason="otra vez", basis="outside_retracto", eligible=False
    )
    assert not created_again and again == request
    # another purchase has its own request
    other = await in_state(store, "fulfilled")
    _, created_other = await ask_refund(store, other.id, retracto_deadline=None, refund_due_by=None)
    assert created_other


async def test_concurrent_refund_requests_file_one(store: Store, stores: list[Store]) -> None:
    purchase = await in_state(store, "fulfilled")
    results = await asyncio.gather(*(ask_refund(s, purchase.id) for s in stores for _ in range(2)))
    assert sum(created for _, created in results) == 1
    assert len({r.id for r, _ in results}) == 1


async def test_after_a_decision_a_new_request_can_be_filed(timed: Store, clock: Clock) -> None:
    purchase = await in_state(timed, "fulfilled")
    request, _ = await ask_refund(timed, purchase.id)
    at = clock.advance(hours=1)
    rejected = await timed.decide_refund(
        request.id, approved=False, decided_by="laura", note="fuera de plazo"
    )
    assert rejected is not None and rejected.status == "rejected"
    assert (rejected.decided_at, rejected.decided_by, rejected.decision_note) == (
        at,
        "laura",
        "fuera de plazo",
    )
    assert await timed.decide_refund(request.id, approved=True, decided_by="x") is None
    assert await timed.get_refund(request.id) == rejected
    newer, created = await ask_refund(timed, purchase.id, basis="outside_retracto")
    assert created and newer.id != request.id
    approved = await timed.decide_refund(newer.id, approved=True, decided_by="admin-api")
    assert approved is not None and approved.status == "approved"
    assert approved.decision_note is None
    assert await timed.decide_refund(999, approved=True, decided_by="x") is None


async def test_concurrent_decisions_record_one(store: Store, stores: list[Store]) -> None:
    purchase = await in_state(store, "fulfilled")
    request, _ = await ask_refund(store, purchase.id)
    results = await asyncio.gather(
        *(
            s.decide_refund(request.id, approved=i % 2 == 0, decided_by=f"agent{i}")
            for i, s in enumerate(stores)
        )
    )
    assert sum(r is not None for r in results) == 1


async def test_refund_lists_and_notification(timed: Store, clock: Clock) -> None:
    first = await in_state(timed, "fulfilled")
    second = await in_state(timed, "fulfilled")
    mine, _ = await ask_refund(timed, first.id)
    theirs, _ = await ask_refund(timed, second.id, wa_id=OTHER)
    decided = await timed.decide_refund(mine.id, approved=True, decided_by="laura")
    assert decided is not None
    assert [r.id for r in await timed.refund_requests()] == [theirs.id, mine.id]
    assert [r.id for r in await timed.refund_requests(status="pending")] == [theirs.id]
    assert [r.id for r in await timed.refund_requests(status="approved")] == [mine.id]
    assert [r.id for r in await timed.refund_requests(limit=1)] == [theirs.id]
    assert [r.id for r in await timed.refunds_for(WA)] == [mine.id]
    assert [r.id for r in await timed.refunds_for(OTHER)] == [theirs.id]
    assert await timed.get_refund(999) is None
    at = clock.advance(minutes=1)
    notified = await timed.mark_refund_notified(mine.id)
    assert notified is not None and notified.notified_at == at
    clock.advance(minutes=1)
    again = await timed.mark_refund_notified(mine.id)
    assert again is not None and again.notified_at == at  # the first notice counts
    assert await timed.mark_refund_notified(999) is None
    with pytest.raises(ValueError, match="refund status"):
        await timed.refund_requests(status="maybe")


async def test_refund_requests_are_validated(store: Store) -> None:
    purchase = await in_state(store, "fulfilled")
    with pytest.raises(ValueError, match="basis"):
        await ask_refund(store, purchase.id, basis="whim")
    with pytest.raises(LookupError):
        await ask_refund(store, purchase.id + 100)
    with pytest.raises(ValueError, match="timezone-aware"):
        await ask_refund(store, purchase.id, refund_due_by=datetime(2027, 1, 1))
    assert await store.refund_requests() == []


# ------------------------------------------------------------------ webhook receipts


async def test_a_webhook_is_remembered_once(store: Store, stores: list[Store]) -> None:
    assert await store.remember_webhook("wompi", "evt-1")
    assert not await store.remember_webhook("wompi", "evt-1")
    assert await store.remember_webhook("mercadopago", "evt-1")
    long_key = "k" * 500
    assert await store.remember_webhook("wompi", long_key)
    assert not await store.remember_webhook("wompi", long_key)
    assert await store.remember_webhook("wompi", "k" * 499)
    results = await asyncio.gather(
        *(s.remember_webhook("hi.events", "order.paid:42") for s in stores for _ in range(2))
    )
    assert sum(results) == 1
    with pytest.raises(ValueError):
        await store.remember_webhook("wompi", "")


# ----------------------------------------------------------------- facade and schema


async def test_the_threaded_store_proxies_the_purchase_methods(db_url: str) -> None:
    threaded = ThreadedStore(Store(db_url))
    await threaded.start()
    try:
        purchase = await buy(threaded)  # type: ignore[arg-type]
        assert (await threaded.purchase_by_reference(purchase.reference)) == purchase
        assert await threaded.remember_webhook("wompi", "threaded")
    finally:
        await threaded.close()


async def test_the_purchase_tables_have_their_indexes(db_url: str) -> None:
    """What 0004_purchases creates (test_migrations checks models and migrations agree)."""
    tables = ("purchases", "payment_events", "tickets", "refund_requests", "webhook_receipts")

    def describe(connection: Connection) -> tuple[dict, dict]:
        inspector = inspect(connection)
        indexes = {
            t: {ix["name"] for ix in inspector.get_indexes(t) if "duplicates_constraint" not in ix}
            for t in tables
        }
        uniques = {
            t: {tuple(uq["column_names"]) for uq in inspector.get_unique_constraints(t)}
            for t in tables
        }
        return indexes, uniques

    indexes, uniques = await _inspect(db_url, describe)  # type: ignore[misc]
    assert indexes == {
        "purchases": {"ix_purchases_wa_id_id", "ix_purchases_state_next_attempt_at"},
        "payment_events": {"ix_payment_events_purchase_id"},
        "tickets": {"ix_tickets_purchase_id", "ix_tickets_wa_id_id"},
        "refund_requests": {
            "uq_refund_requests_pending_purchase_id",
            "ix_refund_requests_wa_id_id",
            "ix_refund_requests_status_id",
        },
        "webhook_receipts": {"ix_webhook_receipts_received_at"},
    }
    assert uniques == {
        "purchases": {("reference",), ("provider", "link_id")},
        "payment_events": {("provider", "transaction_id", "status")},
        "tickets": {("attendee_public_id",)},
        "refund_requests": set(),
        "webhook_receipts": {("source", "key")},
    }


async def test_check_constraints_guard_the_vocabularies(store: Store, db_url: str) -> None:
    """Writing around the store still cannot store an unknown state or provider."""
    purchase = await buy(store)
    table = Purchase.__table__
    for values in ({"state": "lost"}, {"provider": "paypal"}, {"quantity": 0}):
        with pytest.raises(IntegrityError):
            async with store._write() as session:
                await session.execute(
                    table.update().where(table.c.id == purchase.id).values(**values)
                )
    assert await store.get_purchase(purchase.id) == purchase
