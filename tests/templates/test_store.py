"""TemplateStoreMixin on SQLite and PostgreSQL: one row per (name, language)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from bot.storage.store import Store


async def _save(store: Store, **changes: object) -> object:
    values: dict[str, object] = {
        "name": "event_reminder_1d",
        "language": "es_CO",
        "category": "UTILITY",
        "wappbiz_id": "1234567890123456",
        "status": "PENDING",
        "content_hash": "a" * 64,
    }
    values.update(changes)
    return await store.save_message_template(**values)


async def test_save_get_and_list(store: Store) -> None:
    saved = await _save(store)
    assert saved.status == "PENDING" and saved.rejected_reason is None
    assert await store.get_message_template("event_reminder_1d", "es_CO") == saved
    assert await store.get_message_template("event_reminder_1d", "en") is None
    await _save(store, language="en", wappbiz_id="2")
    await _save(store, name="checkin_welcome", wappbiz_id="3", status="APPROVED")
    listed = [(r.name, r.language) for r in await store.list_message_templates()]
    assert listed == [
        ("checkin_welcome", "es_CO"),
        ("event_reminder_1d", "en"),
        ("event_reminder_1d", "es_CO"),
    ]
    approved = await store.list_message_templates(status="APPROVED")
    assert [r.name for r in approved] == ["checkin_welcome"]


async def test_save_is_an_upsert_and_submitted_at_moves_only_on_submission(
    db_url: str,
) -> None:
    now = [datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)]
    async with Store(db_url, clock=lambda: now[0]) as store:
        first = await _save(store)
        now[0] += timedelta(minutes=5)
        seen = await _save(store, status="APPROVED", submitted=False)
        assert seen.id == first.id
        assert seen.submitted_at == first.submitted_at
        assert seen.updated_at == now[0]
        now[0] += timedelta(minutes=5)
        edited = await _save(store, content_hash="b" * 64, status="PENDING")
        assert edited.id == first.id
        assert edited.submitted_at == now[0]
        assert edited.content_hash == "b" * 64
        assert len(await store.list_message_templates()) == 1


async def test_status_by_id_or_by_name(store: Store) -> None:
    await _save(store)
    row = await store.set_message_template_status(
        wappbiz_id="1234567890123456", status="rejected", rejected_reason="INVALID_FORMAT"
    )
    assert row is not None and (row.status, row.rejected_reason) == ("REJECTED", "INVALID_FORMAT")
    row = await store.set_message_template_status(
        name="event_reminder_1d", language="es_CO", status="APPROVED", rejected_reason="NONE"
    )
    assert row is not None and (row.status, row.rejected_reason) == ("APPROVED", None)
    row = await store.set_message_template_status(
        wappbiz_id="1234567890123456", status="APPROVED", category="MARKETING"
    )
    assert row is not None and row.category == "MARKETING"
    assert await store.set_message_template_status(wappbiz_id="999", status="PAUSED") is None
    with pytest.raises(ValueError, match="give wappbiz_id"):
        await store.set_message_template_status(status="PAUSED")


async def test_invalid_values_are_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="category"):
        await _save(store, category="PROMO")
    with pytest.raises(ValueError, match="status"):
        await _save(store, status="")
    with pytest.raises(ValueError, match="name"):
        await _save(store, name="x" * 513)
    assert await store.list_message_templates() == []
