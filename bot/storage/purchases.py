"""Store methods for ticket purchases: payments, QR tickets, check-in and refunds.

A mixin of :class:`bot.storage.store.Store`, like ``bot.storage.handoffs``, so callers
keep one facade and ``ThreadedStore`` proxies these methods too. It relies on the
Store's private helpers ``_read``, ``_write``, ``_insert``, ``_now`` and ``dialect_name``.

The purchase is the system of record of the buyer's money, so every step that can race
is one conditional statement:

* A transition is ``UPDATE .. WHERE id = :id AND state IN (...)``; a purchase that was
  not in an allowed state is left alone and the method returns ``None``. Paid money
  always wins: ``mark_paid`` also accepts an ``expired`` or ``cancelled`` purchase (the
  buyer paid just as the link lapsed), and nothing but ``flag_purchase`` leaves ``paid``.
* Webhooks, payment events, tickets and welcomes are ``INSERT .. ON CONFLICT DO
  NOTHING`` or ``UPDATE .. WHERE x IS NULL``, so a re-delivery or a second scan is a
  no-op and the boolean returned says whether this call was the first.
* The fulfilment worker claims due purchases with a lease (``next_attempt_at`` pushed
  forward in the claiming transaction): a crashed worker's purchases become due again
  when the lease ends. On PostgreSQL the claim is one ``UPDATE .. WHERE id IN (SELECT ..
  FOR UPDATE SKIP LOCKED) RETURNING``, so concurrent workers never claim the same row;
  on SQLite the write transaction (``BEGIN IMMEDIATE``) admits one writer at a time.
  ``expire_due`` works the same way and returns each purchase it expired exactly once.

Money is whole Colombian pesos (``*_cop``, 64-bit integers).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, insert, literal_column, select, update

from bot.storage.models import (
    LANGUAGES,
    PAYMENT_PROVIDERS,
    PURCHASE_STATES,
    REFUND_BASES,
    REFUND_STATUSES,
    PaymentEvent,
    Purchase,
    RefundRequest,
    Ticket,
    WebhookReceipt,
)
from bot.storage.phones import normalize_wa_id
from bot.storage.types import as_utc

if TYPE_CHECKING:
    from contextlib import AbstractAsyncContextManager

    from sqlalchemy.ext.asyncio import AsyncSession

__all__ = [
    "CANCELLABLE_STATES",
    "PAYABLE_STATES",
    "PaymentEventRecord",
    "PurchaseRecord",
    "PurchaseStoreMixin",
    "RefundRecord",
    "TicketRecord",
]

#: States ``mark_paid`` accepts: confirmed money beats an expiry or a cancellation.
PAYABLE_STATES = ("awaiting_payment", "expired", "cancelled")
#: States ``cancel_purchase`` accepts (nothing was paid yet).
CANCELLABLE_STATES = ("awaiting_payment", "expired")
#: ``flag_purchase`` accepts every state but this one: issued tickets stay issued.
_UNFLAGGABLE = "fulfilled"

_purchases = Purchase.__table__
_events = PaymentEvent.__table__
_tickets = Ticket.__table__
_refunds = RefundRequest.__table__
_receipts = WebhookReceipt.__table__

# Literals, not bound parameters, where a partial index must be provably usable.
_PENDING = literal_column("'pending'")


@dataclass(frozen=True, slots=True)
class PurchaseRecord:
    """One row of ``purchases``."""

    id: int
    reference: str
    wa_id: str
    language: str
    event_id: int
    event_title: str
    event_starts_at: datetime
    product_id: int
    price_id: int
    ticket_type: str
    quantity: int
    unit_price_cop: int
    total_cop: int
    currency: str
    buyer_name: str
    buyer_email: str
    hi_order_short_id: str | None
    hi_order_public_id: str | None
    hi_order_id: int | None
    hi_session: str | None
    provider: str | None
    link_id: str | None
    link_url: str | None
    link_expires_at: datetime | None
    state: str
    payment_transaction_id: str | None
    payment_method: str | None
    paid_at: datetime | None
    fulfilled_at: datetime | None
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class PaymentEventRecord:
    """One payment notification from a provider (one per transaction and status)."""

    id: int
    provider: str
    transaction_id: str
    status: str
    purchase_id: int | None
    amount_cop: int | None
    currency: str | None
    reference: str | None
    link_id: str | None
    method: str | None
    outcome: str | None
    received_at: datetime
    raw: Any


@dataclass(frozen=True, slots=True)
class TicketRecord:
    """One issued QR ticket (a Hi.Events attendee)."""

    id: int
    purchase_id: int
    attendee_public_id: str
    attendee_id: int | None
    holder_name: str
    ticket_type: str
    wa_id: str
    media_id: str | None
    wamid: str | None
    sent_at: datetime | None
    checked_in_at: datetime | None
    welcomed_at: datetime | None
    created_at: datetime
    cancelled_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class RefundRecord:
    """One refund request and its decision."""

    id: int
    purchase_id: int
    wa_id: str
    reason: str | None
    basis: str
    eligible: bool
    retracto_deadline: datetime | None
    refund_due_by: datetime | None
    status: str
    requested_at: datetime
    decided_at: datetime | None
    decided_by: str | None
    decision_note: str | None
    notified_at: datetime | None


class PurchaseStoreMixin:
    """Purchase, payment, ticket, refund and webhook-receipt methods; see the module docstring."""

    if TYPE_CHECKING:  # provided by Store

        def _read(self) -> AbstractAsyncContextManager[AsyncSession]: ...
        def _write(self) -> AbstractAsyncContextManager[AsyncSession]: ...
        def _insert(self, table: Any) -> Any: ...
        def _now(self) -> datetime: ...
        @property
        def dialect_name(self) -> str: ...

    # ------------------------------------------------------------------ purchases

    async def create_purchase(
        self,
        *,
        reference: str,
        wa_id: str,
        language: str,
        event_id: int,
        event_title: str,
        event_starts_at: datetime,
        product_id: int,
        price_id: int,
        ticket_type: str,
        quantity: int,
        unit_price_cop: int,
        total_cop: int,
        buyer_name: str,
        buyer_email: str,
        hi_order_short_id: str | None = None,
        hi_order_public_id: str | None = None,
        hi_order_id: int | None = None,
        hi_session: str | None = None,
        currency: str = "COP",
    ) -> PurchaseRecord:
        """Record a new purchase in ``awaiting_payment`` and return it.

        Raises ``ValueError`` for an invalid value and the driver's ``IntegrityError``
        for a ``reference`` already used (references are ours: make them unique).
        """
        _check(language, LANGUAGES, "language")
        if int(quantity) <= 0:
            raise ValueError("quantity must be positive")
        if int(unit_price_cop) < 0 or int(total_cop) < 0:
            raise ValueError("amounts must not be negative")
        now = self._now()
        values = {
            "reference": _fit(reference, 40, "reference"),
            "wa_id": normalize_wa_id(wa_id),
            "language": language,
            "event_id": int(event_id),
            "event_title": _clip(event_title, 256, "event_title"),
            "event_starts_at": as_utc(event_starts_at, "event_starts_at"),
            "product_id": int(product_id),
            "price_id": int(price_id),
            "ticket_type": _clip(ticket_type, 64, "ticket_type"),
            "quantity": int(quantity),
            "unit_price_cop": int(unit_price_cop),
            "total_cop": int(total_cop),
            "currency": _currency(currency),
            "buyer_name": _clip(buyer_name, 128, "buyer_name"),
            "buyer_email": _fit(buyer_email, 254, "buyer_email"),
            "hi_order_short_id": _fit_or_none(hi_order_short_id, 32, "hi_order_short_id"),
            "hi_order_public_id": _fit_or_none(hi_order_public_id, 16, "hi_order_public_id"),
            "hi_order_id": None if hi_order_id is None else int(hi_order_id),
            "hi_session": _fit_or_none(hi_session, 64, "hi_session"),
            "state": "awaiting_payment",
            "attempts": 0,
            "created_at": now,
            "updated_at": now,
        }
        async with self._write() as session:
            result = await session.execute(insert(_purchases).values(**values))
            return await _purchase_by_id(session, int(result.inserted_primary_key[0]))

    async def get_purchase(self, purchase_id: int) -> PurchaseRecord | None:
        """The purchase with this id, if any."""
        return await self._purchase_where(_purchases.c.id == purchase_id)

    async def purchase_by_reference(self, reference: str) -> PurchaseRecord | None:
        """The purchase with this reference (what the provider echoes back), if any."""
        return await self._purchase_where(_purchases.c.reference == reference)

    async def purchase_by_order(self, order_public_id: str) -> PurchaseRecord | None:
        """The purchase of this Hi.Events order (``O-AB12CD3``), if it was made here."""
        return await self._purchase_where(_purchases.c.hi_order_public_id == order_public_id)

    async def purchase_by_email(self, email: str) -> PurchaseRecord | None:
        """The newest purchase made here with this buyer e-mail (case-insensitive), if any.

        How a Hi.Events order sold elsewhere (box office, web shop) finds the WhatsApp
        chat of a buyer who once bought through the bot (issue 5).
        """
        wanted = (email or "").strip().lower()
        if not wanted:
            return None
        stmt = (
            select(_purchases)
            .where(func.lower(_purchases.c.buyer_email) == wanted)
            .order_by(_purchases.c.id.desc())
            .limit(1)
        )
        async with self._read() as session:
            row = (await session.execute(stmt)).first()
        return None if row is None else _purchase_record(row._mapping)

    async def purchases_of_event(
        self, event_id: int, *, states: tuple[str, ...]
    ) -> list[PurchaseRecord]:
        """Every purchase of one Hi.Events event in ``states``, oldest first (no limit)."""
        for state in states:
            _check(state, PURCHASE_STATES, "purchase state")
        stmt = (
            select(_purchases)
            .where(_purchases.c.event_id == int(event_id), _purchases.c.state.in_(tuple(states)))
            .order_by(_purchases.c.id)
        )
        async with self._read() as session:
            rows = (await session.execute(stmt)).all()
        return [_purchase_record(row._mapping) for row in rows]

    async def set_event_start(self, purchase_id: int, starts_at: datetime) -> PurchaseRecord | None:
        """Record the show's new start (Hi.Events ``event.updated``); ``None`` if unknown."""
        stmt = (
            update(_purchases)
            .where(_purchases.c.id == purchase_id)
            .values(event_starts_at=as_utc(starts_at, "starts_at"), updated_at=self._now())
        )
        async with self._write() as session:
            if (await session.execute(stmt)).rowcount != 1:
                return None
            return await _purchase_by_id(session, purchase_id)

    async def purchase_by_link(self, provider: str, link_id: str) -> PurchaseRecord | None:
        """The purchase whose payment link this is, if any."""
        return await self._purchase_where(
            _purchases.c.provider == provider, _purchases.c.link_id == link_id
        )

    async def purchases_for(
        self, wa_id: str, *, states: tuple[str, ...] | None = None, limit: int = 20
    ) -> list[PurchaseRecord]:
        """One buyer's purchases, newest first, optionally only in ``states``."""
        stmt = select(_purchases).where(_purchases.c.wa_id == normalize_wa_id(wa_id))
        return await self._purchase_list(stmt, states, limit)

    async def list_purchases(
        self, *, states: tuple[str, ...] | None = None, limit: int = 100
    ) -> list[PurchaseRecord]:
        """All purchases, newest first, optionally only in ``states``."""
        return await self._purchase_list(select(_purchases), states, limit)

    async def set_purchase_link(
        self,
        purchase_id: int,
        *,
        provider: str,
        link_id: str,
        link_url: str,
        expires_at: datetime | None,
    ) -> PurchaseRecord:
        """Attach the payment link to a purchase still ``awaiting_payment``.

        Raises ``LookupError`` for an unknown purchase and ``ValueError`` when it is in
        another state (a paid purchase must keep the link it was paid through).
        """
        _check(provider, PAYMENT_PROVIDERS, "payment provider")
        values = {
            "provider": provider,
            "link_id": _fit(link_id, 64, "link_id"),
            "link_url": link_url,
            "link_expires_at": None if expires_at is None else as_utc(expires_at, "expires_at"),
        }
        record = await self._transition(purchase_id, ("awaiting_payment",), values)
        if record is None:
            current = await self.get_purchase(purchase_id)
            if current is None:
                raise LookupError(f"no purchase with id {purchase_id}")
            raise ValueError(
                f"purchase {purchase_id} is {current.state}; a link is set while awaiting_payment"
            )
        return record

    async def set_hi_order(
        self,
        purchase_id: int,
        *,
        short_id: str | None,
        public_id: str | None,
        order_id: int | None,
        session: str | None,
    ) -> PurchaseRecord:
        """Record the Hi.Events order reserved for the purchase; ``LookupError`` if unknown."""
        values = {
            "hi_order_short_id": _fit_or_none(short_id, 32, "short_id"),
            "hi_order_public_id": _fit_or_none(public_id, 16, "public_id"),
            "hi_order_id": None if order_id is None else int(order_id),
            "hi_session": _fit_or_none(session, 64, "session"),
        }
        record = await self._transition(purchase_id, PURCHASE_STATES, values)
        if record is None:
            raise LookupError(f"no purchase with id {purchase_id}")
        return record

    # ------------------------------------------------------------- transitions

    async def mark_paid(
        self, purchase_id: int, *, transaction_id: str, method: str | None
    ) -> PurchaseRecord | None:
        """``awaiting_payment``/``expired``/``cancelled`` → ``paid``, due for fulfilment now.

        ``None`` when the purchase is unknown or already paid, fulfilled or flagged (a
        duplicate confirmation changes nothing).
        """
        now = self._now()
        values = {
            "state": "paid",
            "payment_transaction_id": _fit(transaction_id, 64, "transaction_id"),
            "payment_method": _clip_or_none(method, 32),
            "paid_at": now,
            "next_attempt_at": now,
            "attempts": 0,
        }
        return await self._transition(purchase_id, PAYABLE_STATES, values)

    async def flag_purchase(
        self, purchase_id: int, error: str, *, even_fulfilled: bool = False
    ) -> PurchaseRecord | None:
        """Any state but ``fulfilled`` → ``flagged`` with ``last_error``: a person must look.

        Flagging a flagged purchase again replaces the error. ``None`` when fulfilled
        or unknown, unless ``even_fulfilled`` (an order cancelled in Hi.Events after its
        tickets were sent: the money may have to go back).
        """
        allowed = tuple(
            state for state in PURCHASE_STATES if even_fulfilled or state != _UNFLAGGABLE
        )
        values = {"state": "flagged", "last_error": error, "next_attempt_at": None}
        return await self._transition(purchase_id, allowed, values)

    async def claim_due_fulfilments(
        self, *, limit: int = 10, lease_s: float = 60.0
    ) -> list[PurchaseRecord]:
        """Claim ``paid`` purchases that are due, oldest due first, for ``lease_s`` seconds.

        Their ``next_attempt_at`` moves to now + ``lease_s`` in the claiming transaction,
        so another worker (or this one's next poll) skips them until the lease ends;
        finish with :meth:`mark_fulfilled` or :meth:`fulfilment_failed`.
        """
        if limit <= 0:
            return []
        if lease_s <= 0:
            raise ValueError("lease_s must be positive")
        now = self._now()
        lease_until = now + timedelta(seconds=lease_s)
        due = (
            select(_purchases.c.id)
            .where(_purchases.c.state == "paid", _purchases.c.next_attempt_at <= now)
            .order_by(_purchases.c.next_attempt_at, _purchases.c.id)
            .limit(limit)
        )
        values = {"next_attempt_at": lease_until, "updated_at": now}
        async with self._write() as session:
            if self.dialect_name == "postgresql":
                # One statement: rows another worker holds are skipped, not waited for.
                stmt = (
                    update(_purchases)
                    .where(_purchases.c.id.in_(due.with_for_update(skip_locked=True)))
                    .values(**values)
                    .returning(*_purchases.c)
                )
                rows = (await session.execute(stmt)).all()
            else:  # SQLite: BEGIN IMMEDIATE made this transaction the only writer
                ids = list((await session.execute(due)).scalars())
                if not ids:
                    return []
                await session.execute(
                    update(_purchases).where(_purchases.c.id.in_(ids)).values(**values)
                )
                rows = (
                    await session.execute(select(_purchases).where(_purchases.c.id.in_(ids)))
                ).all()
        return sorted((_purchase_record(row._mapping) for row in rows), key=lambda r: r.id)

    async def fulfilment_failed(
        self, purchase_id: int, *, error: str, retry_at: datetime
    ) -> PurchaseRecord | None:
        """Count a failed fulfilment attempt and schedule the next; ``None`` unless ``paid``."""
        values = {
            "attempts": _purchases.c.attempts + 1,
            "last_error": error,
            "next_attempt_at": as_utc(retry_at, "retry_at"),
        }
        return await self._transition(purchase_id, ("paid",), values)

    async def mark_fulfilled(self, purchase_id: int) -> PurchaseRecord | None:
        """``paid`` → ``fulfilled`` (tickets issued); ``None`` from any other state."""
        values = {"state": "fulfilled", "fulfilled_at": self._now(), "next_attempt_at": None}
        return await self._transition(purchase_id, ("paid",), values)

    async def expire_due(self, *, now: datetime | None = None) -> list[PurchaseRecord]:
        """``awaiting_payment`` purchases whose link lapsed before ``now`` → ``expired``.

        Returns the purchases this call expired; with concurrent callers each purchase
        is returned by exactly one of them. A purchase without a link never expires here.
        """
        at = self._now() if now is None else as_utc(now, "now")
        where = (
            _purchases.c.state == "awaiting_payment",
            _purchases.c.link_expires_at < at,
        )
        values = {"state": "expired", "updated_at": self._now()}
        async with self._write() as session:
            if self.dialect_name == "postgresql":
                # A concurrent caller waits on the row lock, re-checks the state, skips it.
                stmt = update(_purchases).where(*where).values(**values)
                rows = (await session.execute(stmt.returning(*_purchases.c))).all()
            else:  # SQLite: BEGIN IMMEDIATE made this transaction the only writer
                ids = list((await session.execute(select(_purchases.c.id).where(*where))).scalars())
                if not ids:
                    return []
                await session.execute(
                    update(_purchases).where(_purchases.c.id.in_(ids)).values(**values)
                )
                rows = (
                    await session.execute(select(_purchases).where(_purchases.c.id.in_(ids)))
                ).all()
        return sorted((_purchase_record(row._mapping) for row in rows), key=lambda r: r.id)

    async def cancel_purchase(self, purchase_id: int) -> PurchaseRecord | None:
        """``awaiting_payment``/``expired`` → ``cancelled``; ``None`` from any other state."""
        values = {"state": "cancelled", "next_attempt_at": None}
        return await self._transition(purchase_id, CANCELLABLE_STATES, values)

    # ------------------------------------------------------------ payment events

    async def record_payment_event(
        self,
        *,
        provider: str,
        transaction_id: str,
        status: str,
        amount_cop: int | None,
        currency: str | None,
        reference: str | None,
        link_id: str | None,
        method: str | None,
        raw: Any,
        purchase_id: int | None = None,
    ) -> tuple[PaymentEventRecord, bool]:
        """Record a provider's payment notification; returns it and whether it is new.

        The same (provider, transaction, status) again — a re-delivered webhook, a poll
        after a webhook — returns the first row with ``False``.
        """
        _check(provider, PAYMENT_PROVIDERS, "payment provider")
        transaction_id = _fit(str(transaction_id), 64, "transaction_id")
        status = _fit(status, 16, "status")
        stmt = (
            self._insert(_events)
            .values(
                provider=provider,
                transaction_id=transaction_id,
                status=status,
                purchase_id=purchase_id,
                amount_cop=None if amount_cop is None else int(amount_cop),
                currency=None if currency is None else _currency(currency),
                reference=_clip_or_none(reference, 64),
                link_id=_clip_or_none(link_id, 64),
                method=_clip_or_none(method, 32),
                received_at=self._now(),
                raw=raw if raw is not None else {},
            )
            .on_conflict_do_nothing(index_elements=["provider", "transaction_id", "status"])
        )
        async with self._write() as session:
            created = (await session.execute(stmt)).rowcount == 1
            row = (
                await session.execute(
                    select(_events).where(
                        _events.c.provider == provider,
                        _events.c.transaction_id == transaction_id,
                        _events.c.status == status,
                    )
                )
            ).one()
        return _event_record(row._mapping), created

    async def set_payment_event_outcome(self, event_id: int, outcome: str) -> PaymentEventRecord:
        """Record what was done with an event (``applied``, ``duplicate``, ``mismatch``...).

        Raises ``LookupError`` for an unknown event.
        """
        stmt = (
            update(_events)
            .where(_events.c.id == event_id)
            .values(outcome=_fit(outcome, 32, "outcome"))
        )
        async with self._write() as session:
            if (await session.execute(stmt)).rowcount != 1:
                raise LookupError(f"no payment event with id {event_id}")
            row = (await session.execute(select(_events).where(_events.c.id == event_id))).one()
        return _event_record(row._mapping)

    async def payment_events_for(self, purchase_id: int) -> list[PaymentEventRecord]:
        """Every payment event of a purchase, in the order received."""
        stmt = select(_events).where(_events.c.purchase_id == purchase_id).order_by(_events.c.id)
        async with self._read() as session:
            rows = (await session.execute(stmt)).all()
        return [_event_record(row._mapping) for row in rows]

    # ------------------------------------------------------------------- tickets

    async def add_ticket(
        self,
        *,
        purchase_id: int,
        attendee_public_id: str,
        attendee_id: int | None,
        holder_name: str,
        ticket_type: str,
        wa_id: str,
    ) -> TicketRecord:
        """Record an issued ticket; the same attendee again returns the existing row."""
        public_id = _fit(attendee_public_id, 16, "attendee_public_id")
        stmt = (
            self._insert(_tickets)
            .values(
                purchase_id=purchase_id,
                attendee_public_id=public_id,
                attendee_id=None if attendee_id is None else int(attendee_id),
                holder_name=_clip(holder_name, 128, "holder_name"),
                ticket_type=_clip(ticket_type, 64, "ticket_type"),
                wa_id=normalize_wa_id(wa_id),
                created_at=self._now(),
            )
            .on_conflict_do_nothing(index_elements=["attendee_public_id"])
        )
        async with self._write() as session:
            await session.execute(stmt)
            row = (await session.execute(_ticket_query(public_id))).one()
        return _ticket_record(row._mapping)

    async def tickets_for_purchase(self, purchase_id: int) -> list[TicketRecord]:
        """The tickets of one purchase, in the order issued."""
        stmt = select(_tickets).where(_tickets.c.purchase_id == purchase_id).order_by(_tickets.c.id)
        return await self._ticket_list(stmt)

    async def tickets_for(self, wa_id: str, limit: int = 50) -> list[TicketRecord]:
        """The tickets sent to one person, newest first."""
        stmt = (
            select(_tickets)
            .where(_tickets.c.wa_id == normalize_wa_id(wa_id))
            .order_by(_tickets.c.id.desc())
            .limit(limit)
        )
        return await self._ticket_list(stmt)

    async def ticket_by_public_id(self, public_id: str) -> TicketRecord | None:
        """The ticket whose QR carries this attendee public id, if any."""
        async with self._read() as session:
            row = (await session.execute(_ticket_query(public_id))).first()
        return None if row is None else _ticket_record(row._mapping)

    async def mark_ticket_sent(
        self, ticket_id: int, *, media_id: str | None, wamid: str | None
    ) -> TicketRecord:
        """Record that the QR went out (uploaded media, message id); ``LookupError`` if unknown."""
        stmt = (
            update(_tickets)
            .where(_tickets.c.id == ticket_id)
            .values(
                media_id=_fit_or_none(media_id, 128, "media_id"),
                wamid=_fit_or_none(wamid, 255, "wamid"),
                sent_at=self._now(),
            )
        )
        async with self._write() as session:
            if (await session.execute(stmt)).rowcount != 1:
                raise LookupError(f"no ticket with id {ticket_id}")
            row = (await session.execute(select(_tickets).where(_tickets.c.id == ticket_id))).one()
        return _ticket_record(row._mapping)

    async def record_check_in(
        self, public_id: str, at: datetime
    ) -> tuple[TicketRecord | None, bool]:
        """Check a ticket in at ``at``; returns it and whether this call checked it in.

        A second scan returns the ticket with its first check-in time and ``False``;
        an unknown QR returns ``(None, False)``.
        """
        stmt = (
            update(_tickets)
            .where(_tickets.c.attendee_public_id == public_id, _tickets.c.checked_in_at.is_(None))
            .values(checked_in_at=as_utc(at, "at"))
        )
        async with self._write() as session:
            first = (await session.execute(stmt)).rowcount == 1
            row = (await session.execute(_ticket_query(public_id))).first()
        return (None, False) if row is None else (_ticket_record(row._mapping), first)

    async def rename_ticket(self, public_id: str, holder_name: str) -> TicketRecord | None:
        """Put the holder's new name on a ticket (``attendee.updated``); ``None`` if unknown."""
        stmt = (
            update(_tickets)
            .where(_tickets.c.attendee_public_id == public_id)
            .values(holder_name=_clip(holder_name, 128, "holder_name"))
        )
        async with self._write() as session:
            await session.execute(stmt)
            row = (await session.execute(_ticket_query(public_id))).first()
        return None if row is None else _ticket_record(row._mapping)

    async def cancel_ticket(self, public_id: str) -> bool:
        """Record that Hi.Events cancelled this ticket; ``True`` the first time only."""
        stmt = (
            update(_tickets)
            .where(_tickets.c.attendee_public_id == public_id, _tickets.c.cancelled_at.is_(None))
            .values(cancelled_at=self._now())
        )
        async with self._write() as session:
            return (await session.execute(stmt)).rowcount == 1

    async def cancelled_tickets(self, public_ids: Iterable[str]) -> set[str]:
        """Which of these attendee public ids Hi.Events cancelled (see :meth:`cancel_ticket`)."""
        wanted = [str(p) for p in public_ids]
        if not wanted:
            return set()
        stmt = select(_tickets.c.attendee_public_id).where(
            _tickets.c.attendee_public_id.in_(wanted), _tickets.c.cancelled_at.is_not(None)
        )
        async with self._read() as session:
            return {str(key) for key in (await session.execute(stmt)).scalars()}

    async def claim_welcome(self, public_id: str) -> bool:
        """``True`` exactly once per ticket: the caller sends the welcome message."""
        stmt = (
            update(_tickets)
            .where(_tickets.c.attendee_public_id == public_id, _tickets.c.welcomed_at.is_(None))
            .values(welcomed_at=self._now())
        )
        async with self._write() as session:
            return (await session.execute(stmt)).rowcount == 1

    # ------------------------------------------------------------------- refunds

    async def create_refund_request(
        self,
        *,
        purchase_id: int,
        wa_id: str,
        reason: str | None,
        basis: str,
        eligible: bool,
        retracto_deadline: datetime | None,
        refund_due_by: datetime | None,
    ) -> tuple[RefundRecord, bool]:
        """File a refund request; returns it and whether it is new.

        While one is pending for the purchase, that one is returned with ``False`` (its
        reason and deadlines stay as first filed). Raises ``LookupError`` for an unknown
        purchase and ``ValueError`` for an unknown basis.
        """
        _check(basis, REFUND_BASES, "refund basis")
        stmt = (
            self._insert(_refunds)
            .values(
                purchase_id=purchase_id,
                wa_id=normalize_wa_id(wa_id),
                reason=reason or None,
                basis=basis,
                eligible=bool(eligible),
                retracto_deadline=_utc_or_none(retracto_deadline, "retracto_deadline"),
                refund_due_by=_utc_or_none(refund_due_by, "refund_due_by"),
                status="pending",
                requested_at=self._now(),
            )
            .on_conflict_do_nothing(
                index_elements=["purchase_id"], index_where=_refunds.c.status == _PENDING
            )
        )
        pending = select(_refunds).where(
            _refunds.c.purchase_id == purchase_id, _refunds.c.status == _PENDING
        )
        async with self._write() as session:
            known = await session.execute(
                select(_purchases.c.id).where(_purchases.c.id == purchase_id)
            )
            if known.first() is None:
                raise LookupError(f"no purchase with id {purchase_id}")
            # The pending request we collided with may be decided before we read it back
            # (PostgreSQL, READ COMMITTED): then there is room for ours, so try again.
            for _ in range(3):
                created = (await session.execute(stmt)).rowcount == 1
                row = (await session.execute(pending)).first()
                if row is not None:
                    return _refund_record(row._mapping), created
        raise RuntimeError(f"could not file a refund request for purchase {purchase_id}")

    async def refund_requests(
        self, *, status: str | None = None, limit: int = 100
    ) -> list[RefundRecord]:
        """Refund requests, newest first, optionally only those with ``status``."""
        stmt = select(_refunds).order_by(_refunds.c.id.desc()).limit(limit)
        if status is not None:
            _check(status, REFUND_STATUSES, "refund status")
            stmt = stmt.where(_refunds.c.status == status)
        return await self._refund_list(stmt)

    async def get_refund(self, request_id: int) -> RefundRecord | None:
        """The refund request with this id, if any."""
        async with self._read() as session:
            row = (await session.execute(_refund_query(request_id))).first()
        return None if row is None else _refund_record(row._mapping)

    async def refunds_for(self, wa_id: str) -> list[RefundRecord]:
        """One person's refund requests, newest first."""
        stmt = (
            select(_refunds)
            .where(_refunds.c.wa_id == normalize_wa_id(wa_id))
            .order_by(_refunds.c.id.desc())
        )
        return await self._refund_list(stmt)

    async def decide_refund(
        self, request_id: int, *, approved: bool, decided_by: str, note: str | None = None
    ) -> RefundRecord | None:
        """Approve or reject a pending request; ``None`` when unknown or already decided.

        Of two concurrent decisions exactly one is recorded.
        """
        if not decided_by:
            raise ValueError("decided_by is required")
        stmt = (
            update(_refunds)
            .where(_refunds.c.id == request_id, _refunds.c.status == _PENDING)
            .values(
                status="approved" if approved else "rejected",
                decided_at=self._now(),
                decided_by=decided_by[:64],
                decision_note=note or None,
            )
        )
        async with self._write() as session:
            if (await session.execute(stmt)).rowcount != 1:
                return None
            row = (await session.execute(_refund_query(request_id))).one()
        return _refund_record(row._mapping)

    async def mark_refund_notified(self, request_id: int) -> RefundRecord | None:
        """Record that the buyer was told the decision (the first time counts).

        ``None`` for an unknown request.
        """
        stmt = (
            update(_refunds)
            .where(_refunds.c.id == request_id, _refunds.c.notified_at.is_(None))
            .values(notified_at=self._now())
        )
        async with self._write() as session:
            await session.execute(stmt)
            row = (await session.execute(_refund_query(request_id))).first()
        return None if row is None else _refund_record(row._mapping)

    # ---------------------------------------------------------- webhook receipts

    async def remember_webhook(self, source: str, key: str) -> bool:
        """``True`` the first time this (source, key) is seen: handle it; ``False``: skip.

        Keys longer than the column are stored as their SHA-256, so they stay unique.
        """
        source = _fit(source, 32, "source")
        if not key:
            raise ValueError("key is required")
        if len(key) > 128:
            key = "sha256:" + hashlib.sha256(key.encode()).hexdigest()
        stmt = (
            self._insert(_receipts)
            .values(source=source, key=key, received_at=self._now())
            .on_conflict_do_nothing(index_elements=["source", "key"])
        )
        async with self._write() as session:
            return (await session.execute(stmt)).rowcount == 1

    # ------------------------------------------------------------------- helpers

    async def _transition(
        self, purchase_id: int, from_states: Iterable[str], values: Mapping[str, Any]
    ) -> PurchaseRecord | None:
        """One ``UPDATE .. WHERE id AND state IN (..)``; the row after it, or ``None``."""
        stmt = (
            update(_purchases)
            .where(_purchases.c.id == purchase_id, _purchases.c.state.in_(tuple(from_states)))
            .values(**values, updated_at=self._now())
        )
        async with self._write() as session:
            if (await session.execute(stmt)).rowcount != 1:
                return None
            return await _purchase_by_id(session, purchase_id)

    async def _purchase_where(self, *where: Any) -> PurchaseRecord | None:
        async with self._read() as session:
            row = (await session.execute(select(_purchases).where(*where))).first()
        return None if row is None else _purchase_record(row._mapping)

    async def _purchase_list(
        self, stmt: Any, states: tuple[str, ...] | None, limit: int
    ) -> list[PurchaseRecord]:
        if states is not None:
            for state in states:
                _check(state, PURCHASE_STATES, "purchase state")
            stmt = stmt.where(_purchases.c.state.in_(tuple(states)))
        stmt = stmt.order_by(_purchases.c.id.desc()).limit(limit)
        async with self._read() as session:
            rows = (await session.execute(stmt)).all()
        return [_purchase_record(row._mapping) for row in rows]

    async def _ticket_list(self, stmt: Any) -> list[TicketRecord]:
        async with self._read() as session:
            rows = (await session.execute(stmt)).all()
        return [_ticket_record(row._mapping) for row in rows]

    async def _refund_list(self, stmt: Any) -> list[RefundRecord]:
        async with self._read() as session:
            rows = (await session.execute(stmt)).all()
        return [_refund_record(row._mapping) for row in rows]


# ------------------------------------------------------------------------ helpers


async def _purchase_by_id(session: AsyncSession, purchase_id: int) -> PurchaseRecord:
    row = (await session.execute(select(_purchases).where(_purchases.c.id == purchase_id))).one()
    return _purchase_record(row._mapping)


def _ticket_query(public_id: str) -> Any:
    return select(_tickets).where(_tickets.c.attendee_public_id == public_id)


def _refund_query(request_id: int) -> Any:
    return select(_refunds).where(_refunds.c.id == request_id)


def _purchase_record(row: Mapping[str, Any]) -> PurchaseRecord:
    return PurchaseRecord(**{name: row[name] for name in PurchaseRecord.__slots__})


def _event_record(row: Mapping[str, Any]) -> PaymentEventRecord:
    return PaymentEventRecord(**{name: row[name] for name in PaymentEventRecord.__slots__})


def _ticket_record(row: Mapping[str, Any]) -> TicketRecord:
    return TicketRecord(**{name: row[name] for name in TicketRecord.__slots__})


def _refund_record(row: Mapping[str, Any]) -> RefundRecord:
    values = {name: row[name] for name in RefundRecord.__slots__}
    values["eligible"] = bool(values["eligible"])
    return RefundRecord(**values)


def _check(value: str, allowed: tuple[str, ...], what: str) -> None:
    if value not in allowed:
        raise ValueError(f"invalid {what} {value!r}; expected one of {', '.join(allowed)}")


def _fit(value: str, limit: int, what: str) -> str:
    """An identifier that must be stored whole: refused when empty or too long."""
    if not value:
        raise ValueError(f"{what} is required")
    if len(value) > limit:
        raise ValueError(f"{what} is longer than {limit} characters")
    return value


def _fit_or_none(value: str | None, limit: int, what: str) -> str | None:
    return None if not value else _fit(value, limit, what)


def _clip(value: str, limit: int, what: str) -> str:
    """Display text: stripped and cut to the column (a long name must not fail a sale)."""
    value = (value or "").strip()
    if not value:
        raise ValueError(f"{what} is required")
    return value[:limit]


def _clip_or_none(value: str | None, limit: int) -> str | None:
    value = (value or "").strip()
    return value[:limit] or None


def _currency(value: str) -> str:
    code = (value or "").strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise ValueError(f"invalid currency {value!r}; expected an ISO 4217 code like COP")
    return code


def _utc_or_none(value: datetime | None, name: str) -> datetime | None:
    return None if value is None else as_utc(value, name)
