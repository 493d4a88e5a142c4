"""The one async facade over the application database.

Every method runs its own short transaction and returns plain records
(:mod:`bot.storage.records`), so callers never see sessions or ORM objects.
Concurrency-sensitive operations are single conditional statements
(``INSERT .. ON CONFLICT``, ``UPDATE .. WHERE status IN (...)``) rather than
read-modify-write sequences, so they stay correct across processes and replicas
without explicit locking.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import case, delete, func, insert, literal_column, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import sessionmaker

from bot.storage.broadcasts import BroadcastStoreMixin  # organizer broadcasts (issue 5)
from bot.storage.consent import ConsentStoreMixin  # consent log, Habeas Data (issue 3)
from bot.storage.engine import SQLITE_BEGIN, create_engine, parse_url, sqlite_file
from bot.storage.feedback import FeedbackStoreMixin  # opinions about events (issue 5)
from bot.storage.handoffs import HandoffStoreMixin
from bot.storage.models import (
    INBOUND_STATES,
    LANGUAGE_SOURCES,
    LANGUAGES,
    OUTBOUND_STATUSES,
    ROLES,
    Contact,
    InboundMessage,
    MessageStatus,
    OutboundMessage,
)
from bot.storage.outbox import OutboxStoreMixin  # proactive messages: bot/storage/outbox.py
from bot.storage.phones import normalize_wa_id, to_e164
from bot.storage.purchases import PurchaseStoreMixin  # ticket purchases: bot/storage/purchases.py
from bot.storage.records import ContactRecord, InboundRecord, OutboundRecord, StatusRecord
from bot.storage.templates import TemplateStoreMixin  # message templates (issue 5)
from bot.storage.types import as_utc, utcnow

#: WhatsApp re-delivers a webhook for up to 7 days; forgetting a message id sooner
#: would let a late re-delivery be processed twice.
INBOUND_RETENTION_MIN = timedelta(days=7)

#: Inbound states that end processing (``processed_at`` is set when entering them).
INBOUND_TERMINAL_STATES = frozenset({"done", "failed", "skipped"})

#: Progress order of an outbound message. Status webhooks arrive unordered, so the
#: status only ever moves up this ladder. ``failed`` outranks ``delivered`` (a failure
#: reported after delivery is the later truth) but not ``read``: a read message reached
#: the user whatever came afterwards. ``window_closed`` never gets a wamid, so webhooks
#: cannot touch it.
OUTBOUND_RANK: Mapping[str, int] = {
    "pending": 0,
    "accepted": 1,
    "sent": 2,
    "delivered": 3,
    "failed": 4,
    "read": 5,
}

#: Webhook status → outbound status it implies. ``played`` (voice notes) implies read;
#: statuses not listed (e.g. ``deleted``, ``warning``) are recorded but move nothing.
_WEBHOOK_TO_OUTBOUND: Mapping[str, str] = {
    "sent": "sent",
    "delivered": "delivered",
    "read": "read",
    "played": "read",
    "failed": "failed",
}


class _DatabaseSettings(Protocol):
    """What :meth:`Store.from_settings` needs (``bot.settings.Settings`` satisfies it)."""

    @property
    def resolved_database_url(self) -> str: ...


_PENDING = literal_column("'pending'")

_contacts = Contact.__table__
_inbound = InboundMessage.__table__
_outbound = OutboundMessage.__table__
_statuses = MessageStatus.__table__


class Store(  # the mixins keep one facade over modules of their own
    HandoffStoreMixin,  # hand-offs and incidents: bot/storage/handoffs.py
    ConsentStoreMixin,  # consent log and data-subject requests: bot/storage/consent.py
    PurchaseStoreMixin,  # ticket purchases, payments, tickets, refunds: bot/storage/purchases.py
    OutboxStoreMixin,  # outbox of proactive messages (issue 5): bot/storage/outbox.py
    TemplateStoreMixin,  # message templates, review status: bot/storage/templates.py
    BroadcastStoreMixin,  # organizer broadcasts (issue 5): bot/storage/broadcasts.py
    FeedbackStoreMixin,  # opinions about events (issue 5): bot/storage/feedback.py
):
    """Async access to contacts, the inbound inbox, outbound messages and statuses.

    Usage::

        store = Store.from_settings(get_settings())
        await store.start()
        try:
            if await store.record_inbound(...):
                ...
        finally:
            await store.close()

    ``clock`` exists for tests (purge, retention); production uses UTC wall time.
    """

    def __init__(
        self,
        url: str,
        *,
        clock: Callable[[], datetime] | None = None,
        pool_size: int = 5,
        max_overflow: int = 5,
    ) -> None:
        self._url = parse_url(url)  # fail fast on an unsupported URL, before start()
        if self._url.get_backend_name() == "sqlite" and sqlite_file(self._url) is None:
            # Every connection to ":memory:" is a separate, empty, unmigrated database.
            raise ValueError("in-memory SQLite is not supported; use a file (tmp_path in tests)")
        self._clock = clock or utcnow
        self._pool_size = pool_size
        self._max_overflow = max_overflow
        self._engine: AsyncEngine | None = None
        self._reader: sessionmaker | None = None
        self._writer: sessionmaker | None = None

    @classmethod
    def from_settings(cls, settings: _DatabaseSettings) -> Store:
        """Build a store for ``settings.resolved_database_url`` (not started yet)."""
        return cls(settings.resolved_database_url)

    def __repr__(self) -> str:
        return f"Store({self._url.render_as_string(hide_password=True)!r})"

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Create the engine and check the database answers (fail at boot, not on a webhook).

        Does not create or migrate the schema: run :func:`bot.storage.migrate.upgrade`
        first. Calling ``start`` twice is harmless.
        """
        if self._engine is not None:
            return
        engine = create_engine(
            self._url.render_as_string(hide_password=False),
            pool_size=self._pool_size,
            max_overflow=self._max_overflow,
        )
        try:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except BaseException:
            await engine.dispose()
            raise
        self._engine = engine
        self._reader = sessionmaker(
            bind=engine, class_=AsyncSession, expire_on_commit=False, future=True
        )
        # Write transactions take SQLite's write lock up front (see bot.storage.engine).
        self._writer = sessionmaker(
            bind=engine.execution_options(**{SQLITE_BEGIN: "IMMEDIATE"}),
            class_=AsyncSession,
            expire_on_commit=False,
            future=True,
        )

    async def close(self) -> None:
        """Dispose of the engine and its pooled connections (safe to call twice)."""
        engine, self._engine = self._engine, None
        self._reader = self._writer = None
        if engine is not None:
            await engine.dispose()

    async def __aenter__(self) -> Store:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    @property
    def dialect_name(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self._url.get_backend_name()

    def _read(self) -> AbstractAsyncContextManager[AsyncSession]:
        if self._reader is None:
            raise RuntimeError("Store.start() has not been awaited (or the store is closed)")
        return self._reader.begin()

    def _write(self) -> AbstractAsyncContextManager[AsyncSession]:
        if self._writer is None:
            raise RuntimeError("Store.start() has not been awaited (or the store is closed)")
        return self._writer.begin()

    def _insert(self, table: Any) -> Any:
        """Dialect-specific INSERT, which offers ``ON CONFLICT`` on SQLite and PostgreSQL."""
        if self.dialect_name == "postgresql":
            return postgresql.insert(table)
        return sqlite.insert(table)

    def _now(self) -> datetime:
        return as_utc(self._clock(), "clock()")

    # ------------------------------------------------------- inbound / de-duplication

    async def record_inbound(
        self,
        *,
        wamid: str,
        wa_id: str,
        msg_type: str,
        text: str | None,
        payload: dict,
        wa_timestamp: datetime | None,
    ) -> bool:
        """Record an inbound message as ``pending``; ``False`` if this wamid was seen before.

        This is on the webhook acknowledgement path: one ``INSERT .. ON CONFLICT DO
        NOTHING`` statement, atomic across concurrent deliveries and processes.
        """
        stmt = self._inbound_stmt(wamid, wa_id, msg_type, text, payload, wa_timestamp)
        async with self._write() as session:
            result = await session.execute(stmt)
        return result.rowcount == 1

    def _inbound_stmt(
        self,
        wamid: str,
        wa_id: str,
        msg_type: str,
        text: str | None,
        payload: dict,
        wa_timestamp: datetime | None,
    ) -> Any:
        if not wamid:
            raise ValueError("wamid is required")
        return (
            self._insert(_inbound)
            .values(
                wamid=wamid,
                wa_id=normalize_wa_id(wa_id),
                msg_type=msg_type,
                text=text,
                payload=payload,
                wa_timestamp=None if wa_timestamp is None else as_utc(wa_timestamp, "wa_timestamp"),
                received_at=self._now(),
                state="pending",
                attempts=0,
            )
            .on_conflict_do_nothing(index_elements=["wamid"])
        )

    async def record_batch(
        self, inbound: list[dict[str, Any]], statuses: list[dict[str, Any]]
    ) -> list[bool]:
        """Record many inbound messages and statuses in ONE transaction (group commit).

        The webhook path under load: a commit per webhook costs more than the rows, so
        concurrent webhooks are written together. Items take the keyword arguments of
        :meth:`record_inbound` / :meth:`record_status`; returns, per inbound item,
        whether it was new. A ``ValueError`` in an item fails the whole batch before
        anything is written (callers validate first, see ``check_inbound``).
        """
        inbound_stmts = [self._inbound_stmt(**item) for item in inbound]
        status_rows = [self._status_values(**item) for item in statuses]
        async with self._write() as session:
            new = [(await session.execute(stmt)).rowcount == 1 for stmt in inbound_stmts]
            for values in status_rows:
                await self._write_status(session, values)
        return new

    async def mark_inbound(self, wamid: str, state: str, error: str | None = None) -> None:
        """Record a processing attempt's outcome.

        Increments ``attempts``; sets ``processed_at`` when ``state`` is terminal
        (done/failed/skipped) and clears it for ``pending`` (a retry). Raises
        ``LookupError`` for an unknown wamid: marking a message that was never
        recorded means the ack path was skipped, which must not go unnoticed.
        """
        _check(state, INBOUND_STATES, "inbound state")
        processed_at = self._now() if state in INBOUND_TERMINAL_STATES else None
        stmt = (
            update(_inbound)
            .where(_inbound.c.wamid == wamid)
            .values(
                state=state,
                error=error,
                attempts=_inbound.c.attempts + 1,
                processed_at=processed_at,
            )
        )
        async with self._write() as session:
            result = await session.execute(stmt)
        if result.rowcount == 0:
            raise LookupError(f"no inbound message with wamid {wamid!r}")

    async def get_inbound(self, wamid: str) -> InboundRecord | None:
        """The inbound message with this wamid, if recorded (and not purged)."""
        async with self._read() as session:
            row = (await session.execute(select(_inbound).where(_inbound.c.wamid == wamid))).first()
        return None if row is None else _inbound_record(row._mapping)

    async def pending_inbound(self, limit: int = 500) -> list[InboundRecord]:
        """Messages still ``pending``, oldest first: what to replay after a crash."""
        stmt = (
            select(_inbound)
            # A literal, not a bound parameter: only ``state = 'pending'`` proves the partial
            # index ix_inbound_messages_pending applies (asyncpg's generic plans would not).
            .where(_inbound.c.state == _PENDING)
            .order_by(_inbound.c.received_at, _inbound.c.id)
            .limit(limit)
        )
        async with self._read() as session:
            rows = (await session.execute(stmt)).all()
        return [_inbound_record(row._mapping) for row in rows]

    async def purge_inbound(self, older_than: timedelta) -> int:
        """Delete processed inbound rows received more than ``older_than`` ago.

        ``older_than`` below 7 days raises ``ValueError``: the rows are also the
        de-duplication record and WhatsApp re-delivers for up to 7 days. ``pending``
        rows are never purged; they are undelivered work, not history.
        """
        if older_than < INBOUND_RETENTION_MIN:
            raise ValueError(
                f"inbound rows must be kept at least {INBOUND_RETENTION_MIN.days} days "
                "(WhatsApp re-delivers webhooks for up to 7 days)"
            )
        cutoff = self._now() - older_than
        stmt = delete(_inbound).where(
            _inbound.c.received_at < cutoff, _inbound.c.state != "pending"
        )
        async with self._write() as session:
            result = await session.execute(stmt)
        return int(result.rowcount)

    # -------------------------------------------------------------------- contacts

    async def upsert_contact(
        self,
        wa_id: str,
        *,
        profile_name: str | None = None,
        touch_inbound_at: datetime | None = None,
    ) -> ContactRecord:
        """Create or update a contact and return it.

        ``profile_name=None`` keeps the stored name. ``touch_inbound_at`` only moves
        ``last_inbound_at`` forward: webhooks arrive unordered and replays are late, and
        an older message must not shrink the 24-hour window.
        """
        wa_id = normalize_wa_id(wa_id)
        touched = None if touch_inbound_at is None else as_utc(touch_inbound_at, "touch_inbound_at")
        now = self._now()
        stmt = self._insert(_contacts).values(
            wa_id=wa_id,
            phone_e164=to_e164(wa_id),
            profile_name=profile_name,
            language="es",
            language_source="default",
            role="attendee",
            last_inbound_at=touched,
            created_at=now,
            updated_at=now,
        )
        current = _contacts.c.last_inbound_at
        incoming = stmt.excluded.last_inbound_at
        stmt = stmt.on_conflict_do_update(
            index_elements=["wa_id"],
            set_={
                "profile_name": func.coalesce(stmt.excluded.profile_name, _contacts.c.profile_name),
                "last_inbound_at": case(
                    (incoming.is_(None), current),
                    (current.is_(None), incoming),
                    (incoming > current, incoming),
                    else_=current,
                ),
                "updated_at": stmt.excluded.updated_at,
            },
        )
        async with self._write() as session:
            await session.execute(stmt)
            return await _contact_by_wa_id(session, wa_id)

    async def get_contact(self, wa_id: str) -> ContactRecord | None:
        """The contact for ``wa_id`` (any spelling :func:`normalize_wa_id` accepts)."""
        wa_id = normalize_wa_id(wa_id)
        async with self._read() as session:
            row = (
                await session.execute(select(_contacts).where(_contacts.c.wa_id == wa_id))
            ).first()
        return None if row is None else _contact_record(row._mapping)

    async def set_language(self, wa_id: str, language: str, source: str) -> None:
        """Set the contact's language and where it came from; creates the contact if missing.

        A plain setter: whether a detected language may replace an explicit choice is
        the caller's policy (compare ``language_source`` first).
        """
        _check(language, LANGUAGES, "language")
        _check(source, LANGUAGE_SOURCES, "language source")
        await self._upsert_fields(wa_id, {"language": language, "language_source": source})

    async def set_role(
        self, wa_id: str, role: str, profile_name: str | None = None
    ) -> ContactRecord:
        """Set the contact's role (creating the contact if missing) and return it.

        Raises ``ValueError`` for a role outside :data:`bot.storage.models.ROLES`.
        """
        _check(role, ROLES, "role")
        fields: dict[str, Any] = {"role": role}
        if profile_name is not None:
            fields["profile_name"] = profile_name
        return await self._upsert_fields(wa_id, fields)

    async def _upsert_fields(self, wa_id: str, fields: dict[str, Any]) -> ContactRecord:
        wa_id = normalize_wa_id(wa_id)
        now = self._now()
        values: dict[str, Any] = {
            "wa_id": wa_id,
            "phone_e164": to_e164(wa_id),
            "language": "es",
            "language_source": "default",
            "role": "attendee",
            "created_at": now,
            "updated_at": now,
            **fields,
        }
        stmt = self._insert(_contacts).values(**values)
        stmt = stmt.on_conflict_do_update(
            index_elements=["wa_id"], set_={**fields, "updated_at": now}
        )
        async with self._write() as session:
            await session.execute(stmt)
            return await _contact_by_wa_id(session, wa_id)

    # -------------------------------------------------------------------- outbound

    async def create_outbound(
        self,
        *,
        wa_id: str,
        msg_type: str,
        payload: dict,
        reply_to_wamid: str | None = None,
    ) -> int:
        """Record a message about to be sent (status ``pending``); returns its id."""
        now = self._now()
        stmt = insert(_outbound).values(
            wa_id=normalize_wa_id(wa_id),
            msg_type=msg_type,
            payload=payload,
            status="pending",
            attempts=0,
            reply_to_wamid=reply_to_wamid,
            created_at=now,
            updated_at=now,
        )
        async with self._write() as session:
            result = await session.execute(stmt)
        return int(result.inserted_primary_key[0])

    async def outbound_result(
        self,
        outbound_id: int,
        *,
        status: str,
        wamid: str | None = None,
        attempts: int | None = None,
        error_code: int | None = None,
        error_detail: str | None = None,
    ) -> None:
        """Store the sender's outcome for an outbound message.

        The sender is authoritative for its own result, so ``status`` is set as given;
        the error fields describe this outcome (``None`` clears them). When ``wamid`` is
        given, status webhooks that raced ahead of the API response (they can) are
        applied afterwards, so the row does not stay ``accepted`` behind a recorded
        ``delivered``. Raises ``LookupError`` for an unknown id.
        """
        _check(status, OUTBOUND_STATUSES, "outbound status")
        values: dict[str, Any] = {
            "status": status,
            "error_code": error_code,
            "error_detail": error_detail,
            "updated_at": self._now(),
        }
        if wamid is not None:
            values["wamid"] = wamid
        if attempts is not None:
            values["attempts"] = attempts
        stmt = update(_outbound).where(_outbound.c.id == outbound_id).values(**values)
        async with self._write() as session:
            result = await session.execute(stmt)
            if result.rowcount == 0:
                raise LookupError(f"no outbound message with id {outbound_id}")
            if wamid is not None:
                earlier = (
                    await session.execute(select(_statuses).where(_statuses.c.wamid == wamid))
                ).all()
                for row in sorted(earlier, key=lambda r: _status_rank(r.status)):
                    await self._advance_outbound(session, row._mapping)

    async def get_outbound(self, outbound_id: int) -> OutboundRecord | None:
        """The outbound message with this id, if any."""
        async with self._read() as session:
            row = (
                await session.execute(select(_outbound).where(_outbound.c.id == outbound_id))
            ).first()
        return None if row is None else _outbound_record(row._mapping)

    async def list_outbound(
        self, *, wa_id: str | None = None, status: str | None = None, limit: int = 100
    ) -> list[OutboundRecord]:
        """Outbound messages, newest first, optionally filtered by recipient and status."""
        stmt = select(_outbound).order_by(_outbound.c.id.desc()).limit(limit)
        if wa_id is not None:
            stmt = stmt.where(_outbound.c.wa_id == normalize_wa_id(wa_id))
        if status is not None:
            _check(status, OUTBOUND_STATUSES, "outbound status")
            stmt = stmt.where(_outbound.c.status == status)
        async with self._read() as session:
            rows = (await session.execute(stmt)).all()
        return [_outbound_record(row._mapping) for row in rows]

    # -------------------------------------------------------------------- statuses

    async def record_status(
        self,
        *,
        wamid: str,
        status: str,
        recipient_id: str | None,
        wa_timestamp: datetime | None,
        errors: list[dict] | None = None,
        conversation: dict | None = None,
        pricing: dict | None = None,
        callback_data: str | None = None,
    ) -> bool:
        """Record a status webhook; ``False`` if this (wamid, status) was already recorded.

        A new status also advances the matching outbound message, never backwards (see
        :data:`OUTBOUND_RANK`); a ``failed`` status copies its error onto it. The
        ``errors``/``conversation``/``pricing`` dicts are the webhook's own objects;
        ``callback_data`` is its ``biz_opaque_callback_data`` (an outbox row's key, which
        ``accepted_wamid`` looks up after a worker crash).
        """
        values = self._status_values(
            wamid=wamid,
            status=status,
            recipient_id=recipient_id,
            wa_timestamp=wa_timestamp,
            errors=errors,
            conversation=conversation,
            pricing=pricing,
            callback_data=callback_data,
        )
        async with self._write() as session:
            return await self._write_status(session, values)

    async def _write_status(self, session: AsyncSession, values: dict[str, Any]) -> bool:
        stmt = (
            self._insert(_statuses)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["wamid", "status"])
        )
        is_new = (await session.execute(stmt)).rowcount == 1
        if is_new:
            await self._advance_outbound(session, values)
        return is_new

    def _status_values(
        self,
        *,
        wamid: str,
        status: str,
        recipient_id: str | None,
        wa_timestamp: datetime | None,
        errors: list[dict] | None = None,
        conversation: dict | None = None,
        pricing: dict | None = None,
        callback_data: str | None = None,
    ) -> dict[str, Any]:
        if not wamid or not status:
            raise ValueError("wamid and status are required")
        error = (errors or [{}])[0] or {}
        error_data = error.get("error_data") or {}
        conversation = conversation or {}
        pricing = pricing or {}
        return {
            "wamid": wamid,
            "status": status,
            "recipient_id": recipient_id,
            "wa_timestamp": None if wa_timestamp is None else as_utc(wa_timestamp, "wa_timestamp"),
            "error_code": _int_or_none(error.get("code")),
            "error_title": error.get("title"),
            "error_detail": error_data.get("details") or error.get("message"),
            "conversation_id": conversation.get("id"),
            "conversation_category": (conversation.get("origin") or {}).get("type"),
            "pricing_category": pricing.get("category"),
            "pricing_type": pricing.get("type") or pricing.get("pricing_model"),
            "billable": pricing.get("billable"),
            "received_at": self._now(),
            # WhatsApp caps it at 512 characters; a longer echo is not one of our keys.
            "callback_data": callback_data[:512] if callback_data else None,
        }

    async def statuses_for(self, wamid: str) -> list[StatusRecord]:
        """Every recorded status of one message, in the order they were received."""
        stmt = select(_statuses).where(_statuses.c.wamid == wamid).order_by(_statuses.c.id)
        async with self._read() as session:
            rows = (await session.execute(stmt)).all()
        return [_status_record(row._mapping) for row in rows]

    async def status_counts(self, *, since: datetime | None = None) -> dict[str, int]:
        """How many messages reached each webhook status (the delivery funnel).

        Each (wamid, status) is stored once, so a count is a number of distinct
        messages. ``since`` limits to statuses received from that moment on.
        """
        stmt = select(_statuses.c.status, func.count()).group_by(_statuses.c.status)
        if since is not None:
            stmt = stmt.where(_statuses.c.received_at >= as_utc(since, "since"))
        async with self._read() as session:
            rows = (await session.execute(stmt)).all()
        return {status: int(count) for status, count in rows}

    async def _advance_outbound(self, session: AsyncSession, status_row: Mapping[str, Any]) -> None:
        """Move the outbound message with this wamid up to the status's rank, never down.

        One conditional UPDATE, so concurrent status webhooks cannot lower the status.
        """
        target = _WEBHOOK_TO_OUTBOUND.get(status_row["status"])
        if target is None:
            return
        lower = [name for name, rank in OUTBOUND_RANK.items() if rank < OUTBOUND_RANK[target]]
        values: dict[str, Any] = {"status": target, "updated_at": self._now()}
        if target == "failed":
            values["error_code"] = status_row["error_code"]
            values["error_detail"] = status_row["error_detail"] or status_row["error_title"]
        await session.execute(
            update(_outbound)
            .where(_outbound.c.wamid == status_row["wamid"], _outbound.c.status.in_(lower))
            .values(**values)
        )


# ------------------------------------------------------------------------ helpers


def _check(value: str, allowed: tuple[str, ...], what: str) -> None:
    if value not in allowed:
        raise ValueError(f"invalid {what} {value!r}; expected one of {', '.join(allowed)}")


def _int_or_none(value: Any) -> int | None:
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError):
        return None


def _status_rank(status: str) -> int:
    target = _WEBHOOK_TO_OUTBOUND.get(status)
    return -1 if target is None else OUTBOUND_RANK[target]


async def _contact_by_wa_id(session: AsyncSession, wa_id: str) -> ContactRecord:
    row = (await session.execute(select(_contacts).where(_contacts.c.wa_id == wa_id))).one()
    return _contact_record(row._mapping)


def _contact_record(row: Mapping[str, Any]) -> ContactRecord:
    return ContactRecord(**{name: row[name] for name in ContactRecord.__dataclass_fields__})


def _inbound_record(row: Mapping[str, Any]) -> InboundRecord:
    return InboundRecord(**{name: row[name] for name in InboundRecord.__dataclass_fields__})


def _outbound_record(row: Mapping[str, Any]) -> OutboundRecord:
    return OutboundRecord(**{name: row[name] for name in OutboundRecord.__dataclass_fields__})


def _status_record(row: Mapping[str, Any]) -> StatusRecord:
    return StatusRecord(**{name: row[name] for name in StatusRecord.__dataclass_fields__})
