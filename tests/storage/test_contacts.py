"""Contacts: upsert, language, role, and the E.164 phone kept beside the wa_id."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest

from bot.storage.store import Store

WA_ID = "573001234567"
T0 = datetime(2025, 3, 1, 15, 0, tzinfo=timezone.utc)


async def test_upsert_creates_contact_with_defaults(store: Store) -> None:
    contact = await store.upsert_contact(WA_ID, profile_name="Valentina")
    assert contact.wa_id == WA_ID
    assert contact.phone_e164 == "+573001234567"
    assert contact.profile_name == "Valentina"
    assert (contact.language, contact.language_source, contact.role) == (
        "es",
        "default",
        "attendee",
    )
    assert contact.last_inbound_at is None
    assert contact.created_at.utcoffset() == timedelta(0)
    assert await store.get_contact(WA_ID) == contact


async def test_upsert_keeps_name_and_only_moves_inbound_time_forward(store: Store) -> None:
    await store.upsert_contact(WA_ID, profile_name="Valentina", touch_inbound_at=T0)
    later = T0 + timedelta(hours=2)
    contact = await store.upsert_contact(WA_ID, touch_inbound_at=later)
    assert contact.profile_name == "Valentina"  # None keeps the stored name
    assert contact.last_inbound_at == later
    # A late re-delivery of an older message must not shrink the 24-hour window.
    contact = await store.upsert_contact(WA_ID, touch_inbound_at=T0)
    assert contact.last_inbound_at == later
    contact = await store.upsert_contact(WA_ID, profile_name="Vale")
    assert (contact.profile_name, contact.last_inbound_at) == ("Vale", later)
    assert contact.updated_at >= contact.created_at


async def test_inbound_time_in_local_zone_is_stored_as_utc(store: Store) -> None:
    bogota = timezone(timedelta(hours=-5))
    contact = await store.upsert_contact(
        WA_ID, touch_inbound_at=datetime(2025, 3, 1, 10, 0, tzinfo=bogota)
    )
    assert contact.last_inbound_at == T0
    assert contact.last_inbound_at.utcoffset() == timedelta(0)
    with pytest.raises(ValueError, match="timezone-aware"):
        await store.upsert_contact(WA_ID, touch_inbound_at=datetime(2025, 3, 1, 10, 0))


async def test_wa_id_spellings_are_one_contact(store: Store) -> None:
    first = await store.upsert_contact("+57 300 123-4567")
    second = await store.upsert_contact(WA_ID)
    assert first.id == second.id
    assert first.wa_id == WA_ID
    assert await store.get_contact("+573001234567") == second
    with pytest.raises(ValueError):
        await store.upsert_contact("57-abc")


async def test_get_missing_contact(store: Store) -> None:
    assert await store.get_contact("573009999999") is None


async def test_set_language(store: Store) -> None:
    await store.upsert_contact(WA_ID, profile_name="John")
    await store.set_language(WA_ID, "en", "detected")
    contact = await store.get_contact(WA_ID)
    assert contact is not None
    assert (contact.language, contact.language_source) == ("en", "detected")
    assert contact.profile_name == "John"
    await store.set_language(WA_ID, "es", "explicit")
    contact = await store.get_contact(WA_ID)
    assert contact is not None
    assert (contact.language, contact.language_source) == ("es", "explicit")


async def test_set_language_creates_missing_contact_and_validates(store: Store) -> None:
    await store.set_language("14155550123", "en", "explicit")
    contact = await store.get_contact("14155550123")
    assert contact is not None
    assert (contact.language, contact.language_source, contact.role) == (
        "en",
        "explicit",
        "attendee",
    )
    assert contact.phone_e164 == "+14155550123"
    with pytest.raises(ValueError, match="language"):
        await store.set_language(WA_ID, "fr", "explicit")
    with pytest.raises(ValueError, match="language source"):
        await store.set_language(WA_ID, "en", "guessed")


async def test_set_role_creates_and_updates(store: Store) -> None:
    contact = await store.set_role("573112223344", "model", profile_name="Sara")
    assert (contact.role, contact.profile_name, contact.language) == ("model", "Sara", "es")
    assert contact.phone_e164 == "+573112223344"

    await store.set_language("573112223344", "en", "explicit")
    contact = await store.set_role("573112223344", "designer")
    assert contact.role == "designer"
    assert contact.profile_name == "Sara"  # not passed: kept
    assert contact.language == "en"  # other fields untouched


async def test_invalid_role_is_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="role"):
        await store.set_role(WA_ID, "vip")
    assert await store.get_contact(WA_ID) is None


async def test_concurrent_first_messages_create_one_contact(store: Store) -> None:
    contacts = await asyncio.gather(
        *(
            store.upsert_contact(WA_ID, touch_inbound_at=T0 + timedelta(seconds=i))
            for i in range(20)
        )
    )
    assert len({c.id for c in contacts}) == 1
    final = await store.get_contact(WA_ID)
    assert final is not None
    assert final.last_inbound_at == T0 + timedelta(seconds=19)
