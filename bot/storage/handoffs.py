"""Store methods for hand-offs to a person and for incidents reported by staff.

A mixin of :class:`bot.storage.store.Store` (so ``ThreadedStore`` proxies these methods
too and callers keep one facade), kept in its own module because it is its own concept.
It relies on the Store's private helpers ``_read``, ``_write``, ``_insert`` and
``_now``. Like the rest of the Store, every concurrency-sensitive step is one
conditional statement: opening is ``INSERT .. ON CONFLICT DO NOTHING`` against the
partial unique index on open hand-offs, releasing is ``UPDATE .. WHERE released_at IS
NULL``, so two racing requests or two admins releasing at once cannot double up.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select, update

from bot.storage.models import HANDOFF_REASONS, HANDOFF_RELEASE_REASONS, Handoff, Incident
from bot.storage.phones import normalize_wa_id

if TYPE_CHECKING:
    from contextlib import AbstractAsyncContextManager

    from sqlalchemy.ext.asyncio import AsyncSession

__all__ = [
    "INCIDENT_TEXT_MAX",
    "LAST_USER_TEXT_MAX",
    "HandoffRecord",
    "HandoffStoreMixin",
    "IncidentRecord",
    "truncate",
]

#: Enough of the user's last message for the person answering to know the topic.
LAST_USER_TEXT_MAX = 500
#: WhatsApp text messages are at most 4096 characters; keep an incident whole.
INCIDENT_TEXT_MAX = 4096

_handoffs = Handoff.__table__
_incidents = Incident.__table__


@dataclass(frozen=True, slots=True)
class HandoffRecord:
    id: int
    wa_id: str
    reason: str
    last_user_text: str | None
    requested_at: datetime
    released_at: datetime | None
    released_by: str | None
    release_reason: str | None

    @property
    def is_open(self) -> bool:
        return self.released_at is None


@dataclass(frozen=True, slots=True)
class IncidentRecord:
    id: int
    wa_id: str
    text: str
    event: str | None
    created_at: datetime


def truncate(text: str | None, limit: int) -> str | None:
    """``text`` cut to ``limit`` characters with an ellipsis; ``None`` for empty text."""
    if text is None or not text.strip():
        return None
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


class HandoffStoreMixin:
    """Hand-off and incident methods; see the module docstring."""

    if TYPE_CHECKING:  # provided by Store

        def _read(self) -> AbstractAsyncContextManager[AsyncSession]: ...
        def _write(self) -> AbstractAsyncContextManager[AsyncSession]: ...
        def _insert(self, table: Any) -> Any: ...
        def _now(self) -> datetime: ...

    # ------------------------------------------------------------------ hand-offs

    async def open_handoff(
        self, wa_id: str, *, reason: str, last_user_text: str | None = None
    ) -> tuple[HandoffRecord, bool]:
        """Flag the conversation for a person; returns the open hand-off and whether it is new.

        Asking again while one is open keeps the first (its reason and time stay true).
        """
        _check(reason, HANDOFF_REASONS, "hand-off reason")
        wa_id = normalize_wa_id(wa_id)
        stmt = (
            self._insert(_handoffs)
            .values(
                wa_id=wa_id,
                reason=reason,
                last_user_text=truncate(last_user_text, LAST_USER_TEXT_MAX),
                requested_at=self._now(),
            )
            .on_conflict_do_nothing(
                index_elements=["wa_id"], index_where=_handoffs.c.released_at.is_(None)
            )
        )
        async with self._write() as session:
            created = (await session.execute(stmt)).rowcount == 1
            row = (await session.execute(_open_query(wa_id))).one()
        return _handoff_record(row._mapping), created

    async def get_open_handoff(self, wa_id: str) -> HandoffRecord | None:
        """The open hand-off of this person, if any (one indexed lookup per message)."""
        async with self._read() as session:
            row = (await session.execute(_open_query(normalize_wa_id(wa_id)))).first()
        return None if row is None else _handoff_record(row._mapping)

    async def list_open_handoffs(self, limit: int = 200) -> list[HandoffRecord]:
        """Open hand-offs, oldest first: the queue the team works through."""
        stmt = (
            select(_handoffs)
            .where(_handoffs.c.released_at.is_(None))
            .order_by(_handoffs.c.requested_at, _handoffs.c.id)
            .limit(limit)
        )
        async with self._read() as session:
            rows = (await session.execute(stmt)).all()
        return [_handoff_record(row._mapping) for row in rows]

    async def handoffs_for(self, wa_id: str) -> list[HandoffRecord]:
        """Every hand-off of one person, newest first (open and released)."""
        stmt = (
            select(_handoffs)
            .where(_handoffs.c.wa_id == normalize_wa_id(wa_id))
            .order_by(_handoffs.c.id.desc())
        )
        async with self._read() as session:
            rows = (await session.execute(stmt)).all()
        return [_handoff_record(row._mapping) for row in rows]

    async def release_handoff(
        self, wa_id: str, *, released_by: str, release_reason: str = "released"
    ) -> HandoffRecord | None:
        """Close the open hand-off of this person; ``None`` when none is open.

        Of two concurrent releases exactly one gets the record, the other ``None``.
        """
        _check(release_reason, HANDOFF_RELEASE_REASONS, "release reason")
        wa_id = normalize_wa_id(wa_id)
        async with self._write() as session:
            row = (await session.execute(_open_query(wa_id))).first()
            if row is None:
                return None
            handoff_id = row._mapping["id"]
            result = await session.execute(
                update(_handoffs)
                .where(_handoffs.c.id == handoff_id, _handoffs.c.released_at.is_(None))
                .values(
                    released_at=self._now(),
                    released_by=released_by[:64],
                    release_reason=release_reason,
                )
            )
            if result.rowcount != 1:
                return None
            released = (
                await session.execute(select(_handoffs).where(_handoffs.c.id == handoff_id))
            ).one()
        return _handoff_record(released._mapping)

    # ------------------------------------------------------------------ incidents

    async def record_incident(
        self, wa_id: str, *, text: str, event: str | None = None
    ) -> IncidentRecord:
        """Record an incident reported by staff; its id is the number told to the reporter."""
        body = truncate(text, INCIDENT_TEXT_MAX)
        if body is None:
            raise ValueError("an incident needs a text")
        values = {
            "wa_id": normalize_wa_id(wa_id),
            "text": body,
            "event": truncate(event, 256),
            "created_at": self._now(),
        }
        async with self._write() as session:
            result = await session.execute(insert(_incidents).values(**values))
            incident_id = int(result.inserted_primary_key[0])
        return IncidentRecord(id=incident_id, **values)

    async def list_incidents(self, limit: int = 100) -> list[IncidentRecord]:
        """Recorded incidents, newest first."""
        stmt = select(_incidents).order_by(_incidents.c.id.desc()).limit(limit)
        async with self._read() as session:
            rows = (await session.execute(stmt)).all()
        return [
            IncidentRecord(**{name: row._mapping[name] for name in IncidentRecord.__slots__})
            for row in rows
        ]


def _open_query(wa_id: str) -> Any:
    return select(_handoffs).where(_handoffs.c.wa_id == wa_id, _handoffs.c.released_at.is_(None))


def _handoff_record(row: Mapping[str, Any]) -> HandoffRecord:
    return HandoffRecord(**{name: row[name] for name in HandoffRecord.__slots__})


def _check(value: str, allowed: tuple[str, ...], what: str) -> None:
    if value not in allowed:
        raise ValueError(f"invalid {what} {value!r}; expected one of {', '.join(allowed)}")
