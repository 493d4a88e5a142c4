"""Store methods of the message templates: what Wappbíz holds of the library, and its review.

A mixin of :class:`bot.storage.store.Store`, like ``bot.storage.purchases``, relying on
the Store's private helpers ``_read``, ``_write``, ``_insert`` and ``_now``. The sync
(:mod:`bot.templates.sync`) writes it; the sender reads it through
:func:`bot.templates.require_approved`.

One row per (name, language): ``save_message_template`` is ``INSERT .. ON CONFLICT
(name, language) DO UPDATE``, so two syncs racing leave one row with the later answer.
A status change (a refresh, a ``message_template_status_update`` webhook) is one
``UPDATE`` by Wappbíz id, or by name and language.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from bot.storage.models import TEMPLATE_CATEGORIES, TEMPLATE_NAME_LEN, MessageTemplate

if TYPE_CHECKING:
    from contextlib import AbstractAsyncContextManager

    from sqlalchemy.ext.asyncio import AsyncSession

__all__ = ["MessageTemplateRecord", "TemplateStoreMixin"]

_templates = MessageTemplate.__table__


@dataclass(frozen=True, slots=True)
class MessageTemplateRecord:
    """One row of ``message_templates``."""

    id: int
    name: str
    language: str
    category: str
    wappbiz_id: str
    status: str
    rejected_reason: str | None
    content_hash: str
    submitted_at: datetime
    updated_at: datetime


class TemplateStoreMixin:
    """Message-template rows; see the module docstring."""

    if TYPE_CHECKING:  # provided by Store

        def _read(self) -> AbstractAsyncContextManager[AsyncSession]: ...
        def _write(self) -> AbstractAsyncContextManager[AsyncSession]: ...
        def _insert(self, table: Any) -> Any: ...
        def _now(self) -> datetime: ...

    async def save_message_template(
        self,
        *,
        name: str,
        language: str,
        category: str,
        wappbiz_id: str,
        status: str,
        content_hash: str,
        rejected_reason: str | None = None,
        submitted: bool = True,
    ) -> MessageTemplateRecord:
        """Record what Wappbíz holds for (name, language) and return the row.

        ``submitted=True`` (we just created or edited it) moves ``submitted_at`` to now;
        ``False`` (we only learnt its state, e.g. adopted an existing template) keeps it,
        or sets it to now for a new row. Raises ``ValueError`` for an invalid value.
        """
        now = self._now()
        values = {
            "name": _fit(name, TEMPLATE_NAME_LEN, "name"),
            "language": _fit(language, 16, "language"),
            "category": _category(category),
            "wappbiz_id": _fit(str(wappbiz_id), 32, "wappbiz_id"),
            "status": _status(status),
            "rejected_reason": _reason(rejected_reason),
            "content_hash": _fit(content_hash, 64, "content_hash"),
            "submitted_at": now,
            "updated_at": now,
        }
        stmt = self._insert(_templates).values(**values)
        changes = {k: stmt.excluded[k] for k in values if k not in ("name", "language")}
        if not submitted:
            del changes["submitted_at"]
        stmt = stmt.on_conflict_do_update(index_elements=["name", "language"], set_=changes)
        async with self._write() as session:
            await session.execute(stmt)
            return await _by_key(session, values["name"], values["language"])

    async def set_message_template_status(
        self,
        *,
        status: str,
        rejected_reason: str | None = None,
        wappbiz_id: str | None = None,
        name: str | None = None,
        language: str | None = None,
        category: str | None = None,
    ) -> MessageTemplateRecord | None:
        """Set the review status of the row with this Wappbíz id (else this name+language).

        ``rejected_reason`` ``None`` or ``"NONE"`` clears it; ``category`` (Meta may
        re-categorise a template) is changed only when given. Returns the row, or
        ``None`` when no row matches (a webhook about a template we never recorded).
        """
        if wappbiz_id is not None:
            where = _templates.c.wappbiz_id == str(wappbiz_id)
        elif name is not None and language is not None:
            where = (_templates.c.name == name) & (_templates.c.language == language)
        else:
            raise ValueError("give wappbiz_id, or name and language")
        values: dict[str, Any] = {
            "status": _status(status),
            "rejected_reason": _reason(rejected_reason),
            "updated_at": self._now(),
        }
        if category is not None:
            values["category"] = _category(category)
        async with self._write() as session:
            found = (await session.execute(select(_templates.c.id).where(where))).first()
            if found is None:
                return None
            await session.execute(
                update(_templates).where(_templates.c.id == found.id).values(**values)
            )
            row = (
                await session.execute(select(_templates).where(_templates.c.id == found.id))
            ).one()
        return _record(row._mapping)

    async def get_message_template(self, name: str, language: str) -> MessageTemplateRecord | None:
        """The row of (name, language), if that template was ever recorded."""
        stmt = select(_templates).where(
            _templates.c.name == name, _templates.c.language == language
        )
        async with self._read() as session:
            row = (await session.execute(stmt)).first()
        return None if row is None else _record(row._mapping)

    async def list_message_templates(
        self, *, status: str | None = None
    ) -> list[MessageTemplateRecord]:
        """Every recorded template, by name then language, optionally only one status."""
        stmt = select(_templates).order_by(_templates.c.name, _templates.c.language)
        if status is not None:
            stmt = stmt.where(_templates.c.status == status)
        async with self._read() as session:
            rows = (await session.execute(stmt)).all()
        return [_record(row._mapping) for row in rows]


async def _by_key(session: AsyncSession, name: str, language: str) -> MessageTemplateRecord:
    stmt = select(_templates).where(_templates.c.name == name, _templates.c.language == language)
    return _record((await session.execute(stmt)).one()._mapping)


def _record(row: Mapping[str, Any]) -> MessageTemplateRecord:
    fields = MessageTemplateRecord.__dataclass_fields__
    return MessageTemplateRecord(**{name: row[name] for name in fields})


def _fit(value: str, limit: int, what: str) -> str:
    if not isinstance(value, str) or not value or len(value) > limit:
        raise ValueError(f"{what} must be 1..{limit} characters, got {value!r}")
    return value


def _category(value: str) -> str:
    if value not in TEMPLATE_CATEGORIES:
        raise ValueError(
            f"invalid template category {value!r}; expected one of {', '.join(TEMPLATE_CATEGORIES)}"
        )
    return value


def _status(value: str) -> str:
    """Statuses are Meta's upper-case words; unknown ones are kept (see the model)."""
    return _fit(str(value or "").strip().upper(), 32, "status")


def _reason(value: str | None) -> str | None:
    if value is None or str(value).strip().upper() in ("", "NONE"):
        return None
    return _fit(str(value).strip(), 64, "rejected_reason")
