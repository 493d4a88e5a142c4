"""Opinions about events (``give_feedback``, issue 5): stored once, a comment added later.

A rating tapped on the feedback request and the comment typed after it are one row:
:meth:`FeedbackStoreMixin.record_feedback` creates it (a replayed WhatsApp message with
the same ``inbound_wamid`` returns the row already stored), :meth:`add_feedback_comment`
fills the comment. Organizers read them per event (``feedback_summary``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from bot.storage.models import FEEDBACK_SOURCES, Feedback
from bot.storage.phones import normalize_wa_id

if TYPE_CHECKING:
    from contextlib import AbstractAsyncContextManager

    from sqlalchemy.ext.asyncio import AsyncSession

__all__ = ["COMMENT_MAX", "FeedbackRecord", "FeedbackStoreMixin"]

_feedback = Feedback.__table__
#: A WhatsApp text is at most 4096 characters; keep the comment whole.
COMMENT_MAX = 4096


@dataclass(frozen=True, slots=True)
class FeedbackRecord:
    id: int
    wa_id: str
    event_id: int | None
    event_title: str | None
    rating: int | None
    comment: str | None
    source: str
    language: str
    inbound_wamid: str | None
    created_at: datetime
    updated_at: datetime


def _record(row: Mapping[str, Any]) -> FeedbackRecord:
    return FeedbackRecord(**{name: row[name] for name in FeedbackRecord.__slots__})


class FeedbackStoreMixin:
    """Feedback methods; see the module docstring."""

    if TYPE_CHECKING:  # provided by Store

        def _read(self) -> AbstractAsyncContextManager[AsyncSession]: ...
        def _write(self) -> AbstractAsyncContextManager[AsyncSession]: ...
        def _now(self) -> datetime: ...

    async def record_feedback(
        self,
        wa_id: str,
        *,
        rating: int | None,
        comment: str | None,
        source: str,
        language: str,
        event_id: int | None = None,
        event_title: str | None = None,
        inbound_wamid: str | None = None,
    ) -> tuple[FeedbackRecord, bool]:
        """Store one opinion; ``(row, created)``. The same ``inbound_wamid`` twice: the first."""
        if rating is not None and not 1 <= int(rating) <= 5:
            raise ValueError("a rating is 1 to 5")
        if rating is None and not (comment or "").strip():
            raise ValueError("feedback needs a rating or a comment")
        if source not in FEEDBACK_SOURCES:
            raise ValueError(f"source must be one of {', '.join(FEEDBACK_SOURCES)}")
        now = self._now()
        values = {
            "wa_id": normalize_wa_id(wa_id),
            "event_id": event_id,
            "event_title": (event_title or None) and event_title[:256],
            "rating": None if rating is None else int(rating),
            "comment": (comment or "").strip()[:COMMENT_MAX] or None,
            "source": source,
            "language": language,
            "inbound_wamid": inbound_wamid or None,
            "created_at": now,
            "updated_at": now,
        }
        try:
            async with self._write() as session:
                result = await session.execute(_feedback.insert().values(**values))
                new_id = int(result.inserted_primary_key[0])
        except IntegrityError:
            if not inbound_wamid:
                raise
            async with self._read() as session:
                row = (
                    await session.execute(
                        select(_feedback).where(_feedback.c.inbound_wamid == inbound_wamid)
                    )
                ).one()
            return _record(row._mapping), False
        return FeedbackRecord(id=new_id, **values), True

    async def add_feedback_comment(self, feedback_id: int, comment: str) -> FeedbackRecord | None:
        """Fill (or extend) the comment of an opinion; ``None`` when there is no such row."""
        text = comment.strip()[:COMMENT_MAX]
        if not text:
            raise ValueError("an empty comment")
        async with self._write() as session:
            row = (
                await session.execute(select(_feedback).where(_feedback.c.id == int(feedback_id)))
            ).one_or_none()
            if row is None:
                return None
            old = row._mapping["comment"]
            merged = text if not old else f"{old}\n{text}"[:COMMENT_MAX]
            await session.execute(
                update(_feedback)
                .where(_feedback.c.id == int(feedback_id))
                .values(comment=merged, updated_at=self._now())
            )
            fresh = (
                await session.execute(select(_feedback).where(_feedback.c.id == int(feedback_id)))
            ).one()
        return _record(fresh._mapping)

    async def get_feedback(self, feedback_id: int) -> FeedbackRecord | None:
        async with self._read() as session:
            row = (
                await session.execute(select(_feedback).where(_feedback.c.id == int(feedback_id)))
            ).one_or_none()
        return None if row is None else _record(row._mapping)

    async def feedback_for_event(self, event_id: int, limit: int = 200) -> list[FeedbackRecord]:
        """An event's opinions, newest first."""
        stmt = (
            select(_feedback)
            .where(_feedback.c.event_id == int(event_id))
            .order_by(_feedback.c.id.desc())
            .limit(limit)
        )
        async with self._read() as session:
            rows = (await session.execute(stmt)).all()
        return [_record(row._mapping) for row in rows]

    async def feedback_summary(self, event_id: int) -> dict[str, Any]:
        """Count, average rating and ratings 1–5 of one event (what an organizer reads)."""
        stmt = (
            select(_feedback.c.rating, func.count())
            .where(_feedback.c.event_id == int(event_id))
            .group_by(_feedback.c.rating)
        )
        async with self._read() as session:
            rows = (await session.execute(stmt)).all()
        by_rating = {int(r): int(n) for r, n in rows if r is not None}
        total = sum(int(n) for _, n in rows)
        rated = sum(by_rating.values())
        average = round(sum(r * n for r, n in by_rating.items()) / rated, 2) if rated else None
        return {
            "event_id": int(event_id),
            "opinions": total,
            "rated": rated,
            "average": average,
            "ratings": {str(r): by_rating.get(r, 0) for r in range(1, 6)},
        }
