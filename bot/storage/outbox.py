"""Store methods of the outbox: durable proactive messages and their delivery states.

A mixin of :class:`bot.storage.store.Store`, like ``bot.storage.purchases``, relying on
the Store's private helpers ``_read``, ``_write``, ``_insert``, ``_now`` and
``dialect_name``. The delivery worker (:mod:`bot.outbox.worker`) drives it.

Life of a row::

    queued ──claim──▶ sending ──mark_sent(_many)──▶ sent
      ▲                 │ │ └──mark_dead─────────▶ dead ──redrive──▶ queued
      └──mark_retry─────┘ └──switch_to_template (stays sending, now a template)
      └──release (pacing, shutdown; the attempt is given back)
    queued / dead ──cancel──▶ cancelled

Every step that can race is one conditional statement:

* ``enqueue`` is ``INSERT .. ON CONFLICT (idempotency_key) DO NOTHING``: the same key
  twice (a re-delivered webhook, a retried trigger) keeps the first row.
* ``claim`` selects due rows ``ORDER BY priority, next_attempt_at, id .. FOR UPDATE SKIP
  LOCKED`` and moves them to ``sending`` with ``claimed_by``/``claimed_until`` (the
  lease) and ``attempts + 1``. On PostgreSQL concurrent workers skip each other's rows;
  SQLite ignores the locking clause and its write transaction (``BEGIN IMMEDIATE``)
  admits one writer at a time, so the same code is safe on both. A ``sending`` row whose
  lease ended (the worker crashed) is due again.
* Each worker transition (``mark_sent``, ``mark_retry``, ``mark_dead``,
  ``switch_to_template``, ``release``) is ``UPDATE .. WHERE id = :id AND status =
  'sending' AND claimed_by = :worker_id`` (``mark_sent_many``: the same condition for a
  batch of ids, in one transaction). After a lease expired and another worker
  claimed the row, the late worker's result is refused (the method returns ``None``);
  a late result with nobody else holding the row is still recorded (it is the truth).
  Worker ids must therefore be unique per running worker (``DeliveryWorker`` makes one).

Writing the outbox row in the same transaction as the business state that caused it::

    async with store.transaction() as session:
        await session.execute(update(purchases).where(...).values(state="fulfilled"))
        await store.enqueue_in(session, idempotency_key=f"ticket:{ref}", wa_id=wa_id,
                               payload={"type": "text", "text": {"body": "..."}})
    # committed together; an exception inside the block rolls both back

``transaction()`` yields the Store's write session (``BEGIN IMMEDIATE`` on SQLite); the
business statements in it must be SQLAlchemy Core statements on that session. It works
on a :class:`Store`, not through ``ThreadedStore`` (a session cannot cross event loops).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import case, func, literal_column, null, or_, select, update

from bot.storage.models import (
    OUTBOX_KEY_LEN,
    OUTBOX_KINDS,
    OUTBOX_PRIORITIES,
    OUTBOX_PURPOSES,
    OUTBOX_STATUSES,
    MessageStatus,
    OutboxMessage,
)
from bot.storage.phones import normalize_wa_id
from bot.storage.types import as_utc

if TYPE_CHECKING:
    from contextlib import AbstractAsyncContextManager

    from sqlalchemy.ext.asyncio import AsyncSession

__all__ = [
    "DEFAULT_MAX_ATTEMPTS",
    "PRIORITY_BY_PURPOSE",
    "PRIORITY_EMERGENCY",
    "PRIORITY_MARKETING",
    "PRIORITY_REMINDER",
    "PRIORITY_TRANSACTIONAL",
    "OutboxRecord",
    "OutboxStoreMixin",
]

PRIORITY_EMERGENCY = 0
PRIORITY_TRANSACTIONAL = 1
PRIORITY_REMINDER = 2
PRIORITY_MARKETING = 3
#: The priority a purpose gets when the caller gives none (reminders pass 2 themselves).
PRIORITY_BY_PURPOSE: Mapping[str, int] = {
    "emergency": PRIORITY_EMERGENCY,
    "transactional": PRIORITY_TRANSACTIONAL,
    "casting": PRIORITY_TRANSACTIONAL,
    "marketing": PRIORITY_MARKETING,
}
#: Attempts of a row whose ``max_attempts`` is NULL (the worker's default, too).
DEFAULT_MAX_ATTEMPTS = 6
#: SQLite allows 32,766 bound variables per statement; ~20 columns a row.
_INSERT_CHUNK = 500
_WORKER_ID_LEN = 64
#: Keys the worker adds to a message body itself.
_RESERVED_BODY_KEYS = ("to", "messaging_product")

_outbox = OutboxMessage.__table__
_statuses = MessageStatus.__table__

# Literals, not bound parameters: the statuses are part of the claim's plan.
_QUEUED = literal_column("'queued'")
_SENDING = literal_column("'sending'")
_DEAD = literal_column("'dead'")


@dataclass(frozen=True, slots=True)
class OutboxRecord:
    """One row of ``outbox``."""

    id: int
    idempotency_key: str
    wa_id: str
    priority: int
    purpose: str
    kind: str
    payload: Any
    template_fallback: Any
    status: str
    attempts: int
    max_attempts: int | None
    next_attempt_at: datetime
    claimed_by: str | None
    claimed_until: datetime | None
    last_error: str | None
    last_error_code: int | None
    wamid: str | None
    broadcast_id: int | None
    created_at: datetime
    sent_at: datetime | None
    updated_at: datetime

    @property
    def is_final(self) -> bool:
        """``sent``, ``dead`` or ``cancelled``: the worker will not touch it again."""
        return self.status in ("sent", "dead", "cancelled")

    def attempt_limit(self, default: int = DEFAULT_MAX_ATTEMPTS) -> int:
        """This row's ``max_attempts``, or ``default`` when it leaves it to the worker."""
        return default if self.max_attempts is None else self.max_attempts


class OutboxStoreMixin:
    """Outbox methods; see the module docstring."""

    if TYPE_CHECKING:  # provided by Store

        def _read(self) -> AbstractAsyncContextManager[AsyncSession]: ...
        def _write(self) -> AbstractAsyncContextManager[AsyncSession]: ...
        def _insert(self, table: Any) -> Any: ...
        def _now(self) -> datetime: ...

    # ----------------------------------------------------------------- transactions

    def transaction(self) -> AbstractAsyncContextManager[AsyncSession]:
        """``async with store.transaction() as session:`` one write transaction.

        Commits when the block ends, rolls back on an exception. Pass ``session`` to
        :meth:`enqueue_in` / :meth:`enqueue_many_in` so the outbox rows commit (or not)
        with the business state written in the same block.
        """
        return self._write()

    # ---------------------------------------------------------------------- enqueue

    async def enqueue(
        self,
        *,
        idempotency_key: str,
        wa_id: str,
        payload: Mapping[str, Any],
        kind: str = "message",
        purpose: str = "transactional",
        priority: int | None = None,
        template_fallback: Mapping[str, Any] | None = None,
        max_attempts: int | None = None,
        not_before: datetime | None = None,
        broadcast_id: int | None = None,
    ) -> tuple[OutboxRecord, bool]:
        """Queue one message in its own transaction; returns the row and whether it is new.

        The same ``idempotency_key`` again returns the first row untouched (``False``).
        ``payload`` is a Cloud API message body without ``to``/``messaging_product``
        (``{"type": "text", "text": {...}}``) for ``kind="message"``, or the template
        object (``{"name", "language": {"code"}, "components"}``) for ``kind="template"``.
        ``template_fallback`` (a template object) is sent instead when the provider says
        the 24-hour window is closed. ``priority`` defaults from ``purpose``
        (:data:`PRIORITY_BY_PURPOSE`); ``not_before`` delays the first attempt;
        ``max_attempts=None`` leaves the number of tries to the worker.
        """
        async with self._write() as session:
            return await self.enqueue_in(
                session,
                idempotency_key=idempotency_key,
                wa_id=wa_id,
                payload=payload,
                kind=kind,
                purpose=purpose,
                priority=priority,
                template_fallback=template_fallback,
                max_attempts=max_attempts,
                not_before=not_before,
                broadcast_id=broadcast_id,
            )

    async def enqueue_in(self, session: AsyncSession, **message: Any) -> tuple[OutboxRecord, bool]:
        """:meth:`enqueue` inside the caller's transaction (see :meth:`transaction`).

        Nothing is committed here: the row exists once the caller's block commits, and
        not at all if it rolls back.
        """
        values = self._outbox_values(**message)
        stmt = (
            self._insert(_outbox)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["idempotency_key"])
        )
        created = (await session.execute(stmt)).rowcount == 1
        row = (
            await session.execute(
                select(_outbox).where(_outbox.c.idempotency_key == values["idempotency_key"])
            )
        ).one()
        return _outbox_record(row._mapping), created

    async def enqueue_many(self, messages: Iterable[Mapping[str, Any]]) -> int:
        """Queue many messages in one transaction; returns how many were new.

        Each item takes :meth:`enqueue`'s keyword arguments. Items whose key is already
        queued are skipped (a broadcast re-run adds only the missing recipients). Every
        item is validated before anything is written.
        """
        async with self._write() as session:
            return await self.enqueue_many_in(session, messages)

    async def enqueue_many_in(
        self, session: AsyncSession, messages: Iterable[Mapping[str, Any]]
    ) -> int:
        """:meth:`enqueue_many` inside the caller's transaction."""
        rows = [self._outbox_values(**item) for item in messages]
        created = 0
        for start in range(0, len(rows), _INSERT_CHUNK):
            stmt = (
                self._insert(_outbox)
                .values(rows[start : start + _INSERT_CHUNK])
                .on_conflict_do_nothing(index_elements=["idempotency_key"])
            )
            created += int((await session.execute(stmt)).rowcount)
        return created

    def _outbox_values(
        self,
        *,
        idempotency_key: str,
        wa_id: str,
        payload: Mapping[str, Any],
        kind: str = "message",
        purpose: str = "transactional",
        priority: int | None = None,
        template_fallback: Mapping[str, Any] | None = None,
        max_attempts: int | None = None,
        not_before: datetime | None = None,
        broadcast_id: int | None = None,
    ) -> dict[str, Any]:
        if not idempotency_key:
            raise ValueError("idempotency_key is required")
        if len(idempotency_key) > OUTBOX_KEY_LEN:
            raise ValueError(f"idempotency_key is longer than {OUTBOX_KEY_LEN} characters")
        _check(purpose, OUTBOX_PURPOSES, "outbox purpose")
        _check(kind, OUTBOX_KINDS, "outbox kind")
        if priority is None:
            priority = PRIORITY_BY_PURPOSE[purpose]
        if priority not in OUTBOX_PRIORITIES:
            raise ValueError(f"priority must be one of {OUTBOX_PRIORITIES}, got {priority!r}")
        if max_attempts is not None and max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if kind == "message":
            body = _message_body(payload)
        else:
            body = _template_spec(payload, "payload")
        fallback = None
        if template_fallback is not None:
            if kind != "message":
                raise ValueError("template_fallback only applies to kind='message'")
            fallback = _template_spec(template_fallback, "template_fallback")
        now = self._now()
        return {
            "idempotency_key": idempotency_key,
            "wa_id": normalize_wa_id(wa_id),
            "priority": int(priority),
            "purpose": purpose,
            "kind": kind,
            "payload": body,
            # SQL NULL, not JSON 'null': switch_to_template tests ``IS NOT NULL``.
            "template_fallback": null() if fallback is None else fallback,
            "status": "queued",
            "attempts": 0,
            "max_attempts": max_attempts,
            "next_attempt_at": now if not_before is None else as_utc(not_before, "not_before"),
            "broadcast_id": None if broadcast_id is None else int(broadcast_id),
            "created_at": now,
            "updated_at": now,
        }

    # ------------------------------------------------------------------------ claim

    async def claim(
        self,
        worker_id: str,
        *,
        limit: int = 50,
        lease_s: float = 60.0,
        default_max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    ) -> list[OutboxRecord]:
        """Claim up to ``limit`` due rows for ``lease_s`` seconds, most urgent first.

        Due: ``queued`` with ``next_attempt_at <= now``, or ``sending`` whose lease ended
        (its worker died). Order: ``priority``, then ``next_attempt_at``, then ``id``.
        Claimed rows are ``sending``, ``claimed_by = worker_id``, ``claimed_until = now +
        lease_s``, ``attempts + 1``. A lapsed ``sending`` row that already used its last
        attempt goes ``dead`` instead (it may have been delivered; a person decides).
        """
        _check_worker(worker_id)
        if limit <= 0:
            return []
        if lease_s <= 0:
            raise ValueError("lease_s must be positive")
        now = self._now()
        limit_expr = func.coalesce(_outbox.c.max_attempts, int(default_max_attempts))
        lapsed = (_outbox.c.status == _SENDING, _outbox.c.claimed_until <= now)
        exhausted = (
            select(_outbox.c.id)
            .where(*lapsed, _outbox.c.attempts >= limit_expr)
            .limit(1000)
            .with_for_update(skip_locked=True)
        )
        due = (
            select(_outbox.c.id)
            .where(
                _outbox.c.status.in_((_QUEUED, _SENDING)),
                _outbox.c.next_attempt_at <= now,
                or_(_outbox.c.status == _QUEUED, _outbox.c.claimed_until <= now),
            )
            .order_by(_outbox.c.priority, _outbox.c.next_attempt_at, _outbox.c.id)
            .limit(limit)
            # PostgreSQL: rows another worker is claiming are skipped, not waited for.
            # SQLite: no such clause; BEGIN IMMEDIATE made this the only writer.
            .with_for_update(skip_locked=True)
        )
        async with self._write() as session:
            dead_ids = list((await session.execute(exhausted)).scalars())
            if dead_ids:
                await session.execute(
                    update(_outbox)
                    .where(_outbox.c.id.in_(dead_ids), *lapsed)
                    .values(
                        status="dead",
                        last_error="lease expired after the last attempt "
                        "(the worker stopped mid-send; the message may have been delivered)",
                        last_error_code=None,
                        claimed_until=None,
                        updated_at=now,
                    )
                )
            ids = list((await session.execute(due)).scalars())
            if not ids:
                return []
            await session.execute(
                update(_outbox)
                .where(_outbox.c.id.in_(ids))
                .values(
                    status="sending",
                    claimed_by=worker_id,
                    claimed_until=now + timedelta(seconds=lease_s),
                    attempts=_outbox.c.attempts + 1,
                    updated_at=now,
                )
            )
            rows = (
                await session.execute(
                    select(_outbox)
                    .where(_outbox.c.id.in_(ids))
                    .order_by(_outbox.c.priority, _outbox.c.next_attempt_at, _outbox.c.id)
                )
            ).all()
        return [_outbox_record(row._mapping) for row in rows]

    # ------------------------------------------------------------- worker results

    async def mark_sent(self, outbox_id: int, wamid: str, *, worker_id: str) -> OutboxRecord | None:
        """``sending`` → ``sent`` with the provider's message id; ``None`` if not ours."""
        if not wamid:
            raise ValueError("wamid is required")
        values = {"status": "sent", "wamid": wamid[:255], "sent_at": self._now()}
        return await self._worker_transition(outbox_id, worker_id, values)

    async def mark_sent_many(self, worker_id: str, results: Sequence[tuple[int, str]]) -> list[int]:
        """Many ``sending`` → ``sent`` in ONE transaction; returns the ids that applied.

        ``results`` are ``(outbox_id, wamid)`` pairs of rows this worker sent. The same
        guarantee as :meth:`mark_sent`, row by row: only rows still ``sending`` and
        ``claimed_by = worker_id`` change (the others, whose lease was lost to another
        worker, are left alone and missing from the answer). One commit per flush instead
        of one per message: on SQLite every commit queues behind the single writer.
        """
        _check_worker(worker_id)
        wamids: dict[int, str] = {}
        for outbox_id, wamid in results:
            if not wamid:
                raise ValueError("wamid is required")
            wamids[int(outbox_id)] = wamid[:255]
        if not wamids:
            return []
        now = self._now()
        done: list[int] = []
        ids = list(wamids)
        async with self._write() as session:
            for start in range(0, len(ids), _INSERT_CHUNK):
                chunk = ids[start : start + _INSERT_CHUNK]
                # Lock (PostgreSQL) the rows that are still ours; SQLite's BEGIN IMMEDIATE
                # already made this the only writer. The UPDATE then touches exactly them.
                ours = list(
                    (
                        await session.execute(
                            select(_outbox.c.id)
                            .where(
                                _outbox.c.id.in_(chunk),
                                _outbox.c.status == _SENDING,
                                _outbox.c.claimed_by == worker_id,
                            )
                            .with_for_update()
                        )
                    ).scalars()
                )
                if not ours:
                    continue
                await session.execute(
                    update(_outbox)
                    .where(
                        _outbox.c.id.in_(ours),
                        _outbox.c.status == _SENDING,
                        _outbox.c.claimed_by == worker_id,
                    )
                    .values(
                        status="sent",
                        wamid=case({i: wamids[i] for i in ours}, value=_outbox.c.id),
                        sent_at=now,
                        claimed_until=None,
                        updated_at=now,
                    )
                )
                done.extend(ours)
        return done

    async def mark_retry(
        self,
        outbox_id: int,
        error: str,
        code: int | None,
        retry_at: datetime,
        *,
        worker_id: str,
    ) -> OutboxRecord | None:
        """``sending`` → ``queued`` at ``retry_at``, keeping the error; ``None`` if not ours."""
        values = {
            "status": "queued",
            "next_attempt_at": as_utc(retry_at, "retry_at"),
            "last_error": error,
            "last_error_code": code,
            "claimed_by": None,
        }
        return await self._worker_transition(outbox_id, worker_id, values)

    async def mark_dead(
        self, outbox_id: int, error: str, code: int | None, *, worker_id: str
    ) -> OutboxRecord | None:
        """``sending`` → ``dead`` (a dead letter, see :meth:`redrive`); ``None`` if not ours."""
        values = {"status": "dead", "last_error": error, "last_error_code": code}
        return await self._worker_transition(outbox_id, worker_id, values)

    async def cancel_claimed(
        self, outbox_id: int, reason: str, *, worker_id: str
    ) -> OutboxRecord | None:
        """``sending`` → ``cancelled`` before any send (consent withdrawn since it was queued)."""
        values = {"status": "cancelled", "last_error": reason, "last_error_code": None}
        return await self._worker_transition(outbox_id, worker_id, values)

    async def switch_to_template(
        self, outbox_id: int, *, worker_id: str, error: str = "window_closed"
    ) -> OutboxRecord | None:
        """Turn a claimed message into its template fallback (the row stays ``sending``).

        ``payload := template_fallback``, ``kind := 'template'``, the fallback is cleared
        (a template is never switched again). ``None`` when the row is not this worker's,
        not a message, or has no fallback.
        """
        stmt = (
            update(_outbox)
            .where(
                _outbox.c.id == outbox_id,
                _outbox.c.status == _SENDING,
                _outbox.c.claimed_by == worker_id,
                _outbox.c.kind == "message",
                _outbox.c.template_fallback.isnot(None),
            )
            .values(
                kind="template",
                payload=_outbox.c.template_fallback,
                template_fallback=null(),
                last_error=error,
                last_error_code=131047,
                updated_at=self._now(),
            )
        )
        return await self._apply(outbox_id, stmt)

    async def release(
        self, outbox_id: int, *, worker_id: str, until: datetime | None = None
    ) -> OutboxRecord | None:
        """Give a claimed row back unsent, without counting the attempt.

        For pacing (the recipient's slot is later: ``until``) and for a worker that stops
        before sending what it claimed. ``None`` if not ours.
        """
        values = {
            "status": "queued",
            "attempts": case((_outbox.c.attempts > 0, _outbox.c.attempts - 1), else_=0),
            "next_attempt_at": self._now() if until is None else as_utc(until, "until"),
            "claimed_by": None,
        }
        return await self._worker_transition(outbox_id, worker_id, values)

    # ------------------------------------------------------------------- operators

    async def cancel(
        self, ids: Sequence[int] | None = None, *, broadcast_id: int | None = None
    ) -> int:
        """Cancel ``queued`` (and ``dead``) rows by id or by broadcast; returns how many.

        Rows being sent right now (``sending``) are left to their worker; sent rows stay.
        """
        if (ids is None) == (broadcast_id is None):
            raise ValueError("give ids or broadcast_id (one of them)")
        where = (
            _outbox.c.id.in_([int(i) for i in ids or ()])
            if broadcast_id is None
            else _outbox.c.broadcast_id == int(broadcast_id)
        )
        stmt = (
            update(_outbox)
            .where(where, _outbox.c.status.in_((_QUEUED, _DEAD)))
            .values(status="cancelled", claimed_by=None, updated_at=self._now())
        )
        async with self._write() as session:
            return int((await session.execute(stmt)).rowcount)

    async def cancel_queued_keys(
        self,
        keys: Sequence[str] = (),
        *,
        prefixes: Sequence[str] = (),
        keep: Sequence[str] = (),
    ) -> int:
        """Cancel ``queued`` rows by idempotency key or key prefix; returns how many.

        Planned messages that no longer apply (reminders of cancelled tickets, of a show
        that moved) are cancelled this way; rows in ``keep`` are left alone, so planning
        the same new schedule twice never cancels what the first call queued. Rows being
        sent, sent or dead stay as they are.
        """
        matches = [_outbox.c.idempotency_key.in_(list(keys))] if keys else []
        matches += [_outbox.c.idempotency_key.startswith(p, autoescape=True) for p in prefixes]
        if not matches:
            return 0
        stmt = update(_outbox).where(or_(*matches), _outbox.c.status == _QUEUED)
        if keep:
            stmt = stmt.where(_outbox.c.idempotency_key.not_in(list(keep)))
        stmt = stmt.values(status="cancelled", claimed_by=None, updated_at=self._now())
        async with self._write() as session:
            return int((await session.execute(stmt)).rowcount)

    async def requeue_cancelled(self, keys: Sequence[str]) -> int:
        """``cancelled`` rows with these keys → ``queued`` again (same content and time).

        For a plan that becomes valid again with the very same keys (a show moved away
        and back to the same time): ``enqueue`` keeps the cancelled row, this revives it.
        """
        if not keys:
            return 0
        stmt = (
            update(_outbox)
            .where(_outbox.c.idempotency_key.in_(list(keys)), _outbox.c.status == "cancelled")
            .values(status="queued", attempts=0, claimed_by=None, updated_at=self._now())
        )
        async with self._write() as session:
            return int((await session.execute(stmt)).rowcount)

    async def dead_letters(self, limit: int = 100) -> list[OutboxRecord]:
        """Dead rows, most recently failed first."""
        return await self.list_outbox(status="dead", limit=limit)

    async def redrive(self, ids: Sequence[int] | None = None) -> int:
        """Dead letters → ``queued`` now with ``attempts = 0``; ``ids=None`` = every one.

        Returns how many were queued again; ids that are not dead are left alone.
        """
        now = self._now()
        stmt = update(_outbox).where(_outbox.c.status == _DEAD)
        if ids is not None:
            stmt = stmt.where(_outbox.c.id.in_([int(i) for i in ids]))
        stmt = stmt.values(
            status="queued",
            attempts=0,
            next_attempt_at=now,
            claimed_by=None,
            claimed_until=None,
            updated_at=now,
        )
        async with self._write() as session:
            return int((await session.execute(stmt)).rowcount)

    async def outbox_counts(self, broadcast_id: int | None = None) -> dict[str, int]:
        """Rows per status (every status present, zeros included), optionally of a broadcast."""
        stmt = select(_outbox.c.status, func.count()).group_by(_outbox.c.status)
        if broadcast_id is not None:
            stmt = stmt.where(_outbox.c.broadcast_id == int(broadcast_id))
        async with self._read() as session:
            found = {row[0]: row[1] for row in (await session.execute(stmt)).all()}
        return {status: int(found.get(status, 0)) for status in OUTBOX_STATUSES}

    async def list_outbox(
        self,
        *,
        status: str | None = None,
        broadcast_id: int | None = None,
        wa_id: str | None = None,
        limit: int = 100,
    ) -> list[OutboxRecord]:
        """Rows newest change first, optionally filtered by status, broadcast or person."""
        stmt = select(_outbox).order_by(_outbox.c.updated_at.desc(), _outbox.c.id.desc())
        if status is not None:
            _check(status, OUTBOX_STATUSES, "outbox status")
            stmt = stmt.where(_outbox.c.status == status)
        if broadcast_id is not None:
            stmt = stmt.where(_outbox.c.broadcast_id == int(broadcast_id))
        if wa_id is not None:
            stmt = stmt.where(_outbox.c.wa_id == normalize_wa_id(wa_id))
        async with self._read() as session:
            rows = (await session.execute(stmt.limit(limit))).all()
        return [_outbox_record(row._mapping) for row in rows]

    async def get_outbox(self, outbox_id: int) -> OutboxRecord | None:
        """The row with this id, if any."""
        return await self._outbox_where(_outbox.c.id == outbox_id)

    async def outbox_by_key(self, idempotency_key: str) -> OutboxRecord | None:
        """The row enqueued under this idempotency key, if any."""
        return await self._outbox_where(_outbox.c.idempotency_key == idempotency_key)

    async def accepted_wamid(self, idempotency_key: str) -> str | None:
        """The wamid WhatsApp gave a send of this key, known from its status webhooks.

        Every outbox send carries its key as ``biz_opaque_callback_data`` and WhatsApp
        echoes it in each status (``message_statuses.callback_data``). Any status but
        ``failed`` (``sent``, ``delivered``, ``read``, ...) means a send was accepted: a
        worker restarted after a crash records the row ``sent`` with this wamid instead
        of sending it again. ``None`` when no such status arrived (yet): the send never
        reached WhatsApp, was refused, or its webhook is still on its way.
        """
        if not idempotency_key:
            return None
        stmt = (
            select(_statuses.c.wamid)
            .where(
                _statuses.c.callback_data == idempotency_key,
                _statuses.c.status != "failed",
            )
            .order_by(_statuses.c.id)
            .limit(1)
        )
        async with self._read() as session:
            return (await session.execute(stmt)).scalar()

    # --------------------------------------------------------------------- helpers

    async def _worker_transition(
        self, outbox_id: int, worker_id: str, values: Mapping[str, Any]
    ) -> OutboxRecord | None:
        """``UPDATE .. WHERE id AND status = 'sending' AND claimed_by = worker`` (one statement)."""
        _check_worker(worker_id)
        stmt = (
            update(_outbox)
            .where(
                _outbox.c.id == outbox_id,
                _outbox.c.status == _SENDING,
                _outbox.c.claimed_by == worker_id,
            )
            .values(**values, claimed_until=None, updated_at=self._now())
        )
        return await self._apply(outbox_id, stmt)

    async def _apply(self, outbox_id: int, stmt: Any) -> OutboxRecord | None:
        async with self._write() as session:
            if (await session.execute(stmt)).rowcount != 1:
                return None
            row = (await session.execute(select(_outbox).where(_outbox.c.id == outbox_id))).one()
        return _outbox_record(row._mapping)

    async def _outbox_where(self, *where: Any) -> OutboxRecord | None:
        async with self._read() as session:
            row = (await session.execute(select(_outbox).where(*where))).first()
        return None if row is None else _outbox_record(row._mapping)


# ------------------------------------------------------------------------ helpers


def _outbox_record(row: Mapping[str, Any]) -> OutboxRecord:
    return OutboxRecord(**{name: row[name] for name in OutboxRecord.__slots__})


def _message_body(payload: Mapping[str, Any]) -> dict[str, Any]:
    """A Cloud API message body as stored: a copy, with its type object present."""
    if not isinstance(payload, Mapping):
        raise ValueError("payload must be a JSON object")
    body = copy.deepcopy(dict(payload))
    reserved = [key for key in _RESERVED_BODY_KEYS if key in body]
    if reserved:
        raise ValueError(f"payload must not carry {', '.join(reserved)}: the worker adds them")
    msg_type = body.get("type")
    if not isinstance(msg_type, str) or not msg_type:
        raise ValueError("a message payload needs its 'type' (text, image, interactive, ...)")
    if msg_type == "template":
        raise ValueError("queue templates with kind='template' and the template object")
    if msg_type not in body:
        raise ValueError(f"a {msg_type!r} payload needs its {msg_type!r} object")
    return body


def _template_spec(spec: Mapping[str, Any], what: str) -> dict[str, Any]:
    """A Cloud API ``template`` object: ``name``, ``language.code``, optional components."""
    if not isinstance(spec, Mapping):
        raise ValueError(f"{what} must be a template object")
    template = copy.deepcopy(dict(spec))
    if not isinstance(template.get("name"), str) or not template["name"]:
        raise ValueError(f"{what} needs the template 'name'")
    language = template.get("language")
    if isinstance(language, str) and language:
        template["language"] = {"code": language}
    elif not (isinstance(language, Mapping) and isinstance(language.get("code"), str)):
        raise ValueError(f"{what} needs 'language': {{'code': 'es_CO'}}")
    components = template.get("components")
    if components is not None and not isinstance(components, list):
        raise ValueError(f"{what} 'components' must be a list")
    return template


def _check(value: str, allowed: tuple[str, ...], what: str) -> None:
    if value not in allowed:
        raise ValueError(f"invalid {what} {value!r}; expected one of {', '.join(allowed)}")


def _check_worker(worker_id: str) -> None:
    if not worker_id or len(worker_id) > _WORKER_ID_LEN:
        raise ValueError(f"worker_id must be 1-{_WORKER_ID_LEN} characters")
