"""Store methods for the consent log and data-subject (Habeas Data) requests.

A mixin of :class:`bot.storage.store.Store`, like ``bot.storage.handoffs``, so callers
keep one facade and ``ThreadedStore`` proxies these methods too. It relies on the
Store's private helpers ``_read``, ``_write``, ``_insert`` and ``_now``.

Why it looks like this:

* The consent log is **append-only** (Ley 1581 accountability: every decision must be
  provable later). This module only ever INSERTs into it, and database triggers
  (migration ``0002_consent``) refuse UPDATE and DELETE. The current state of a
  purpose is its latest row.
* WhatsApp turns run at least once (a crash mid-turn replays the message), so a
  decision is keyed by the wamid of the message that carried it:
  ``INSERT .. ON CONFLICT (inbound_wamid, purpose) DO NOTHING`` makes the replay a no-op.
* A request for erasure while another one is still open returns the open one instead
  of filing a second: one case per person, one deadline.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from bot.storage.models import (
    CONSENT_PURPOSES,
    CONSENT_SOURCES,
    DSR_KINDS,
    ConsentEvent,
    DataSubjectRequest,
)
from bot.storage.phones import normalize_wa_id
from bot.storage.types import as_utc

if TYPE_CHECKING:
    from contextlib import AbstractAsyncContextManager

    from sqlalchemy.ext.asyncio import AsyncSession

__all__ = [
    "OPEN_DSR_STATUSES",
    "ConsentRecord",
    "ConsentStoreMixin",
    "DataSubjectRequestRecord",
]

#: Requests still being worked on: a new request of the same kind joins them.
OPEN_DSR_STATUSES = ("received", "in_progress")

_consent = ConsentEvent.__table__
_requests = DataSubjectRequest.__table__


@dataclass(frozen=True, slots=True)
class ConsentRecord:
    """One row of the consent log."""

    id: int
    wa_id: str
    purpose: str
    granted: bool
    policy_version: str
    policy_hash: str | None
    source: str
    channel: str | None
    inbound_wamid: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class DataSubjectRequestRecord:
    """One data-subject request (erasure, access, rectification)."""

    id: int
    wa_id: str
    kind: str
    received_at: datetime
    due_at: datetime
    status: str
    inbound_wamid: str | None
    updated_at: datetime


class ConsentStoreMixin:
    """Consent log and data-subject request methods; see the module docstring."""

    if TYPE_CHECKING:  # provided by Store

        def _read(self) -> AbstractAsyncContextManager[AsyncSession]: ...
        def _write(self) -> AbstractAsyncContextManager[AsyncSession]: ...
        def _insert(self, table: Any) -> Any: ...
        def _now(self) -> datetime: ...

    # ---------------------------------------------------------------- consent log

    async def record_consent(
        self,
        wa_id: str,
        purposes: Iterable[str],
        *,
        granted: bool,
        policy_version: str,
        source: str,
        policy_hash: str | None = None,
        channel: str | None = None,
        inbound_wamid: str | None = None,
    ) -> list[ConsentRecord]:
        """Append one decision per purpose (same time, same message); returns the rows.

        A message already logged for a purpose (a replay) keeps its first row, which is
        returned instead of a new one. Raises ``ValueError`` for an unknown purpose or
        source, or no purpose at all.
        """
        wanted = list(dict.fromkeys(purposes))  # de-duplicated, order kept
        if not wanted:
            raise ValueError("record_consent needs at least one purpose")
        for purpose in wanted:
            _check(purpose, CONSENT_PURPOSES, "consent purpose")
        _check(source, CONSENT_SOURCES, "consent source")
        if not policy_version:
            raise ValueError("policy_version is required")
        wa_id = normalize_wa_id(wa_id)
        now = self._now()
        ids: list[int] = []
        async with self._write() as session:
            for purpose in wanted:
                stmt = (
                    self._insert(_consent)
                    .values(
                        wa_id=wa_id,
                        purpose=purpose,
                        granted=bool(granted),
                        policy_version=policy_version,
                        policy_hash=policy_hash,
                        source=source,
                        channel=(channel or None) and channel[:32],
                        inbound_wamid=inbound_wamid or None,
                        created_at=now,
                    )
                    .on_conflict_do_nothing(index_elements=["inbound_wamid", "purpose"])
                )
                result = await session.execute(stmt)
                if result.rowcount == 1:
                    ids.append(int(result.inserted_primary_key[0]))
                    continue
                existing = await session.execute(
                    select(_consent.c.id).where(
                        _consent.c.inbound_wamid == inbound_wamid, _consent.c.purpose == purpose
                    )
                )
                ids.append(int(existing.scalar_one()))
            rows = (
                await session.execute(
                    select(_consent).where(_consent.c.id.in_(ids)).order_by(_consent.c.id)
                )
            ).all()
        return [_consent_record(row._mapping) for row in rows]

    async def consent_state(self, wa_id: str) -> dict[str, ConsentRecord]:
        """The latest decision per purpose (``{}``: this person never decided anything)."""
        wa_id = normalize_wa_id(wa_id)
        latest = (
            select(func.max(_consent.c.id))
            .where(_consent.c.wa_id == wa_id)
            .group_by(_consent.c.purpose)
            .scalar_subquery()
        )
        stmt = select(_consent).where(_consent.c.id.in_(latest))
        async with self._read() as session:
            rows = (await session.execute(stmt)).all()
        return {row._mapping["purpose"]: _consent_record(row._mapping) for row in rows}

    async def consent_history(self, wa_id: str) -> list[ConsentRecord]:
        """Every decision of one person, oldest first (what a Habeas Data answer shows)."""
        stmt = (
            select(_consent)
            .where(_consent.c.wa_id == normalize_wa_id(wa_id))
            .order_by(_consent.c.id)
        )
        async with self._read() as session:
            rows = (await session.execute(stmt)).all()
        return [_consent_record(row._mapping) for row in rows]

    # ------------------------------------------------------- data-subject requests

    async def file_data_subject_request(
        self,
        wa_id: str,
        *,
        kind: str,
        received_at: datetime,
        due_at: datetime,
        inbound_wamid: str | None = None,
    ) -> tuple[DataSubjectRequestRecord, bool]:
        """File a request; returns it and whether it is new.

        Not new when this message was already filed (a replay) or when a request of the
        same kind is still open for this person: that one is returned, deadline unchanged.
        The deadline is the caller's (``bot.privacy`` computes it from ``received_at``).
        """
        _check(kind, DSR_KINDS, "data-subject request kind")
        wa_id = normalize_wa_id(wa_id)
        received_at = as_utc(received_at, "received_at")
        due_at = as_utc(due_at, "due_at")
        if due_at < received_at:
            raise ValueError("due_at must not be before received_at")
        async with self._write() as session:
            if inbound_wamid:
                same_message = await session.execute(
                    select(_requests).where(_requests.c.inbound_wamid == inbound_wamid)
                )
                row = same_message.first()
                if row is not None:
                    return _request_record(row._mapping), False
            still_open = await session.execute(
                select(_requests)
                .where(
                    _requests.c.wa_id == wa_id,
                    _requests.c.kind == kind,
                    _requests.c.status.in_(OPEN_DSR_STATUSES),
                )
                .order_by(_requests.c.id)
                .limit(1)
            )
            row = still_open.first()
            if row is not None:
                return _request_record(row._mapping), False
            stmt = (
                self._insert(_requests)
                .values(
                    wa_id=wa_id,
                    kind=kind,
                    received_at=received_at,
                    due_at=due_at,
                    status="received",
                    inbound_wamid=inbound_wamid or None,
                    updated_at=self._now(),
                )
                .on_conflict_do_nothing(index_elements=["inbound_wamid"])
            )
            result = await session.execute(stmt)
            if result.rowcount == 1:
                where = _requests.c.id == int(result.inserted_primary_key[0])
            else:  # the same message filed concurrently by another process
                where = _requests.c.inbound_wamid == inbound_wamid
            row = (await session.execute(select(_requests).where(where))).one()
        return _request_record(row._mapping), result.rowcount == 1

    async def get_data_subject_request(self, request_id: int) -> DataSubjectRequestRecord | None:
        """The request with this id, if any."""
        stmt = select(_requests).where(_requests.c.id == request_id)
        async with self._read() as session:
            row = (await session.execute(stmt)).first()
        return None if row is None else _request_record(row._mapping)

    async def data_subject_requests_for(self, wa_id: str) -> list[DataSubjectRequestRecord]:
        """Every request of one person, oldest first."""
        stmt = (
            select(_requests)
            .where(_requests.c.wa_id == normalize_wa_id(wa_id))
            .order_by(_requests.c.id)
        )
        async with self._read() as session:
            rows = (await session.execute(stmt)).all()
        return [_request_record(row._mapping) for row in rows]


def _check(value: str, allowed: tuple[str, ...], what: str) -> None:
    if value not in allowed:
        raise ValueError(f"invalid {what} {value!r}; expected one of {', '.join(allowed)}")


def _consent_record(row: Mapping[str, Any]) -> ConsentRecord:
    values = {name: row[name] for name in ConsentRecord.__dataclass_fields__}
    values["granted"] = bool(values["granted"])
    return ConsentRecord(**values)


def _request_record(row: Mapping[str, Any]) -> DataSubjectRequestRecord:
    return DataSubjectRequestRecord(
        **{name: row[name] for name in DataSubjectRequestRecord.__dataclass_fields__}
    )
