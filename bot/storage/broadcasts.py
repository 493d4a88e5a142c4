"""Store methods of organizer broadcasts (issue 5, item 6).

A mixin of :class:`bot.storage.store.Store`, like ``bot.storage.outbox``, relying on the
Store's private helpers ``_read``, ``_write``, ``_insert`` and ``_now``. The service
(:mod:`bot.broadcasts.service`) drives it; the messages themselves are outbox rows with
``outbox.broadcast_id = broadcasts.id``.

Life of a broadcast::

    draft ──send──▶ scheduled (first row due later) ──▶ sending ──▶ done
      │                │                                   │
      └────────────────┴──────────cancel───────────────────┴──▶ cancelled

``scheduled → sending → done`` is not a job of its own: :meth:`refresh_broadcast_status`
moves it when the progress is read (the rows are the truth; the status is a summary).
Every transition is one conditional ``UPDATE .. WHERE status IN (..)``, so two
organizers pressing "send" at once queue the audience once (the loser gets ``None``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, func, or_, select, update

from bot.storage.models import (
    BROADCAST_PURPOSES,
    BROADCAST_STATUSES,
    Broadcast,
    ConsentEvent,
    Contact,
    MessageStatus,
    OutboxMessage,
    Purchase,
    Ticket,
)
from bot.storage.phones import normalize_wa_id
from bot.storage.types import as_utc

if TYPE_CHECKING:
    from contextlib import AbstractAsyncContextManager

    from sqlalchemy.ext.asyncio import AsyncSession

__all__ = ["BroadcastRecord", "BroadcastStoreMixin", "Candidate"]

_broadcasts = Broadcast.__table__
_outbox = OutboxMessage.__table__
_consent = ConsentEvent.__table__
_contacts = Contact.__table__
_purchases = Purchase.__table__
_tickets = Ticket.__table__
_statuses = MessageStatus.__table__

#: Outbox purposes counted by the one-promotional-message-a-day rule (Ley 2300).
PROMOTIONAL_PURPOSES = ("marketing", "casting")
_CHUNK = 500


@dataclass(frozen=True, slots=True)
class BroadcastRecord:
    """One row of ``broadcasts``."""

    id: int
    name: str
    template: str
    variables: Any
    segment: Any
    purpose: str
    status: str
    scheduled_for: datetime | None
    created_by: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    counts: Any

    def as_json(self) -> dict[str, Any]:
        def iso(value: datetime | None) -> str | None:
            return None if value is None else value.isoformat()

        return {
            "id": self.id,
            "name": self.name,
            "template": self.template,
            "variables": self.variables,
            "segment": self.segment,
            "purpose": self.purpose,
            "status": self.status,
            "scheduled_for": iso(self.scheduled_for),
            "created_by": self.created_by,
            "created_at": iso(self.created_at),
            "started_at": iso(self.started_at),
            "finished_at": iso(self.finished_at),
            "counts": self.counts,
        }


@dataclass(frozen=True, slots=True)
class Candidate:
    """A person a segment selects, before consent and opt-out filtering."""

    wa_id: str
    language: str
    name: str | None
    role: str
    holder: bool
    last_inbound_at: datetime | None


class BroadcastStoreMixin:
    """Broadcast methods; see the module docstring."""

    if TYPE_CHECKING:  # provided by Store

        def _read(self) -> AbstractAsyncContextManager[AsyncSession]: ...
        def _write(self) -> AbstractAsyncContextManager[AsyncSession]: ...
        def _insert(self, table: Any) -> Any: ...
        def _now(self) -> datetime: ...

    # ------------------------------------------------------------------ broadcasts

    async def create_broadcast(
        self,
        *,
        name: str,
        template: str,
        variables: Mapping[str, Any],
        segment: Mapping[str, Any],
        purpose: str,
        created_by: str,
        scheduled_for: datetime | None = None,
    ) -> BroadcastRecord:
        """A new ``draft`` broadcast (validation of the template is the service's job)."""
        if purpose not in BROADCAST_PURPOSES:
            raise ValueError(f"purpose must be one of {BROADCAST_PURPOSES}, got {purpose!r}")
        if not name or len(name) > 128:
            raise ValueError("name must be 1..128 characters")
        if not created_by or len(created_by) > 64:
            raise ValueError("created_by must be 1..64 characters")
        values = {
            "name": name,
            "template": template,
            "variables": dict(variables),
            "segment": dict(segment),
            "purpose": purpose,
            "status": "draft",
            "scheduled_for": None
            if scheduled_for is None
            else as_utc(scheduled_for, "scheduled_for"),
            "created_by": created_by,
            "created_at": self._now(),
        }
        async with self._write() as session:
            result = await session.execute(_broadcasts.insert().values(**values))
            new_id = int(result.inserted_primary_key[0])
            row = (
                await session.execute(select(_broadcasts).where(_broadcasts.c.id == new_id))
            ).one()
        return _record(row._mapping)

    async def get_broadcast(self, broadcast_id: int) -> BroadcastRecord | None:
        async with self._read() as session:
            row = (
                await session.execute(
                    select(_broadcasts).where(_broadcasts.c.id == int(broadcast_id))
                )
            ).first()
        return None if row is None else _record(row._mapping)

    async def list_broadcasts(
        self, *, status: str | None = None, limit: int = 100
    ) -> list[BroadcastRecord]:
        """Newest first, optionally of one status."""
        stmt = select(_broadcasts).order_by(_broadcasts.c.id.desc()).limit(limit)
        if status is not None:
            stmt = stmt.where(_broadcasts.c.status == status)
        async with self._read() as session:
            rows = (await session.execute(stmt)).all()
        return [_record(row._mapping) for row in rows]

    async def update_broadcast_in(
        self,
        session: AsyncSession,
        broadcast_id: int,
        *,
        from_statuses: Sequence[str],
        **values: Any,
    ) -> bool:
        """``UPDATE broadcasts SET .. WHERE id = :id AND status IN (from_statuses)``.

        Inside the caller's transaction; ``True`` when the row moved.
        """
        if "status" in values and values["status"] not in BROADCAST_STATUSES:
            raise ValueError(f"unknown broadcast status {values['status']!r}")
        stmt = (
            update(_broadcasts)
            .where(_broadcasts.c.id == int(broadcast_id), _broadcasts.c.status.in_(from_statuses))
            .values(**values)
        )
        return (await session.execute(stmt)).rowcount == 1

    async def update_broadcast(
        self, broadcast_id: int, *, from_statuses: Sequence[str], **values: Any
    ) -> BroadcastRecord | None:
        """:meth:`update_broadcast_in` in its own transaction; the new row, or ``None``."""
        async with self._write() as session:
            moved = await self.update_broadcast_in(
                session, broadcast_id, from_statuses=from_statuses, **values
            )
        return await self.get_broadcast(broadcast_id) if moved else None

    # -------------------------------------------------------------------- audience

    async def broadcast_candidates(self, segment: Mapping[str, Any]) -> list[Candidate]:
        """Everyone ``segment`` selects (before consent): distinct people, oldest first.

        ``event_id`` / ``ticket_type``: holders of a ticket (``tickets.wa_id``) of that
        event / of that ticket type; without either, every known contact. ``role`` and
        ``language`` then filter on the contact (a holder without a contact row is an
        ``attendee`` in the language of their latest purchase). ``marketing_opt_in`` is
        applied by the service with the rest of the consent rules.
        """
        event_id = segment.get("event_id")
        ticket_type = segment.get("ticket_type")
        found: dict[str, Candidate] = {}
        async with self._read() as session:
            if event_id is not None or ticket_type is not None:
                stmt = (
                    select(
                        _tickets.c.wa_id,
                        _purchases.c.language,
                        _tickets.c.holder_name,
                        _contacts.c.language.label("contact_language"),
                        _contacts.c.language_source,
                        _contacts.c.profile_name,
                        _contacts.c.role,
                        _contacts.c.last_inbound_at,
                    )
                    .select_from(
                        _tickets.join(
                            _purchases, _purchases.c.id == _tickets.c.purchase_id
                        ).outerjoin(_contacts, _contacts.c.wa_id == _tickets.c.wa_id)
                    )
                    .order_by(_purchases.c.id, _tickets.c.id)
                )
                if event_id is not None:
                    stmt = stmt.where(_purchases.c.event_id == int(event_id))
                if ticket_type is not None:
                    stmt = stmt.where(_tickets.c.ticket_type == str(ticket_type))
                for row in (await session.execute(stmt)).all():
                    m = row._mapping
                    # an explicit language choice beats the purchase's; else the latest
                    # purchase's language (rows come oldest purchase first)
                    language = (
                        m["contact_language"]
                        if m["language_source"] == "explicit"
                        else m["language"]
                    )
                    found[m["wa_id"]] = Candidate(
                        wa_id=m["wa_id"],
                        language=language or "es",
                        name=m["profile_name"] or m["holder_name"],
                        role=m["role"] or "attendee",
                        holder=True,
                        last_inbound_at=m["last_inbound_at"],
                    )
            else:
                stmt = select(
                    _contacts.c.wa_id,
                    _contacts.c.language,
                    _contacts.c.profile_name,
                    _contacts.c.role,
                    _contacts.c.last_inbound_at,
                ).order_by(_contacts.c.id)
                for row in (await session.execute(stmt)).all():
                    m = row._mapping
                    found[m["wa_id"]] = Candidate(
                        wa_id=m["wa_id"],
                        language=m["language"] or "es",
                        name=m["profile_name"],
                        role=m["role"] or "attendee",
                        holder=False,
                        last_inbound_at=m["last_inbound_at"],
                    )
                holders = select(_tickets.c.wa_id).distinct()
                held = set((await session.execute(holders)).scalars())
                found = {k: (_with_holder(c) if k in held else c) for k, c in found.items()}
        role = segment.get("role")
        language = segment.get("language")
        return [
            c
            for c in found.values()
            if (role is None or c.role == role) and (language is None or c.language == language)
        ]

    async def consent_states(self, wa_ids: Iterable[str]) -> dict[str, dict[str, bool]]:
        """The latest decision per purpose of many people: ``{wa_id: {purpose: granted}}``."""
        people = [normalize_wa_id(w) for w in wa_ids]
        states: dict[str, dict[str, bool]] = {w: {} for w in people}
        async with self._read() as session:
            for start in range(0, len(people), _CHUNK):
                chunk = people[start : start + _CHUNK]
                latest = (
                    select(func.max(_consent.c.id))
                    .where(_consent.c.wa_id.in_(chunk))
                    .group_by(_consent.c.wa_id, _consent.c.purpose)
                )
                stmt = select(_consent.c.wa_id, _consent.c.purpose, _consent.c.granted).where(
                    _consent.c.id.in_(latest)
                )
                for wa_id, purpose, granted in (await session.execute(stmt)).all():
                    states.setdefault(wa_id, {})[purpose] = bool(granted)
        return states

    async def promotional_times(
        self,
        wa_ids: Iterable[str],
        *,
        since: datetime,
        exclude_broadcast_id: int | None = None,
    ) -> dict[str, list[datetime]]:
        """When each person's promotional rows went or are due (Ley 2300's daily cap).

        Marketing and casting outbox rows ``queued``, ``sending`` or ``sent`` at or
        after ``since``: the time is ``sent_at`` for a sent row, else its
        ``next_attempt_at`` (when it is due). Cancelled and dead rows did not reach
        anybody and do not count.
        """
        people = [normalize_wa_id(w) for w in wa_ids]
        found: dict[str, list[datetime]] = {}
        async with self._read() as session:
            for start in range(0, len(people), _CHUNK):
                chunk = people[start : start + _CHUNK]
                stmt = select(_outbox.c.wa_id, _outbox.c.sent_at, _outbox.c.next_attempt_at).where(
                    _outbox.c.wa_id.in_(chunk),
                    _outbox.c.purpose.in_(PROMOTIONAL_PURPOSES),
                    _outbox.c.status.in_(("queued", "sending", "sent")),
                    or_(
                        _outbox.c.sent_at >= since,
                        and_(_outbox.c.sent_at.is_(None), _outbox.c.next_attempt_at >= since),
                    ),
                )
                if exclude_broadcast_id is not None:
                    stmt = stmt.where(
                        or_(
                            _outbox.c.broadcast_id.is_(None),
                            _outbox.c.broadcast_id != int(exclude_broadcast_id),
                        )
                    )
                for wa_id, sent_at, due in (await session.execute(stmt)).all():
                    found.setdefault(wa_id, []).append(sent_at or due)
        return found

    async def cancel_queued_promotions(
        self, wa_id: str, purposes: Sequence[str] = PROMOTIONAL_PURPOSES
    ) -> int:
        """Cancel one person's ``queued`` rows of ``purposes``; returns how many."""
        stmt = (
            update(_outbox)
            .where(
                _outbox.c.wa_id == normalize_wa_id(wa_id),
                _outbox.c.purpose.in_(tuple(purposes)),
                _outbox.c.status == "queued",
            )
            .values(status="cancelled", claimed_by=None, updated_at=self._now())
        )
        async with self._write() as session:
            return int((await session.execute(stmt)).rowcount)

    async def broadcast_delivery(self, broadcast_id: int) -> dict[str, int]:
        """Rows of a broadcast that WhatsApp reported ``delivered``, ``read``, ``failed``.

        From ``message_statuses`` (the status webhooks) joined on the row's ``wamid``;
        a read message counts as delivered too.
        """
        sent = (
            select(_outbox.c.wamid)
            .where(_outbox.c.broadcast_id == int(broadcast_id), _outbox.c.wamid.isnot(None))
            .scalar_subquery()
        )
        stmt = (
            select(_statuses.c.status, func.count(func.distinct(_statuses.c.wamid)))
            .where(_statuses.c.wamid.in_(sent))
            .group_by(_statuses.c.status)
        )
        async with self._read() as session:
            by_status = {s: int(n) for s, n in (await session.execute(stmt)).all()}
            delivered_stmt = select(func.count(func.distinct(_statuses.c.wamid))).where(
                _statuses.c.wamid.in_(sent), _statuses.c.status.in_(("delivered", "read"))
            )
            delivered = int((await session.execute(delivered_stmt)).scalar_one())
        return {
            "delivered": delivered,
            "read": by_status.get("read", 0),
            "failed": by_status.get("failed", 0),
        }


def _with_holder(candidate: Candidate) -> Candidate:
    return Candidate(
        wa_id=candidate.wa_id,
        language=candidate.language,
        name=candidate.name,
        role=candidate.role,
        holder=True,
        last_inbound_at=candidate.last_inbound_at,
    )


def _record(row: Mapping[str, Any]) -> BroadcastRecord:
    fields = BroadcastRecord.__dataclass_fields__
    return BroadcastRecord(**{name: row[name] for name in fields})
