"""Hand-offs and incidents in the Store, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

import pytest

from bot.storage.handoffs import INCIDENT_TEXT_MAX, LAST_USER_TEXT_MAX, truncate
from bot.storage.store import Store
from bot.storage.threaded import ThreadedStore

WA = "573001112233"


async def test_open_records_the_request_and_is_found_open(store: Store) -> None:
    assert await store.get_open_handoff(WA) is None
    handoff, created = await store.open_handoff(
        "+57 300 111 2233", reason="user_request", last_user_text="  necesito ayuda  "
    )
    assert created
    assert handoff.wa_id == WA and handoff.reason == "user_request"
    assert handoff.last_user_text == "necesito ayuda"
    assert handoff.is_open and handoff.released_at is None
    assert handoff.requested_at.tzinfo is not None
    assert await store.get_open_handoff(WA) == handoff
    assert await store.list_open_handoffs() == [handoff]


async def test_asking_twice_keeps_the_first_open_hand_off(store: Store) -> None:
    first, created = await store.open_handoff(WA, reason="fallback", last_user_text="asdf")
    again, created_again = await store.open_handoff(WA, reason="user_request")
    assert created and not created_again
    assert again == first  # reason and time of the first request stay true
    assert len(await store.handoffs_for(WA)) == 1


async def test_concurrent_requests_open_one_hand_off(store: Store) -> None:
    results = await asyncio.gather(
        *(store.open_handoff(WA, reason="user_request") for _ in range(8))
    )
    assert sum(created for _, created in results) == 1
    assert len({handoff.id for handoff, _ in results}) == 1


async def test_release_closes_it_and_a_new_one_can_open(store: Store) -> None:
    opened, _ = await store.open_handoff(WA, reason="user_request")
    released = await store.release_handoff(WA, released_by="laura")
    assert released is not None and released.id == opened.id
    assert released.released_by == "laura" and released.release_reason == "released"
    assert released.released_at is not None and not released.is_open
    assert await store.get_open_handoff(WA) is None
    assert await store.list_open_handoffs() == []
    assert await store.release_handoff(WA, released_by="laura") is None
    again, created = await store.open_handoff(WA, reason="bot_challenge")
    assert created and again.id != opened.id
    assert [h.id for h in await store.handoffs_for(WA)] == [again.id, opened.id]


async def test_two_concurrent_releases_release_once(store: Store) -> None:
    await store.open_handoff(WA, reason="user_request")
    results = await asyncio.gather(
        *(store.release_handoff(WA, released_by=f"agent{i}") for i in range(5))
    )
    assert sum(r is not None for r in results) == 1


async def test_opt_out_is_recorded_as_the_release_reason(store: Store) -> None:
    await store.open_handoff(WA, reason="user_request")
    released = await store.release_handoff(WA, released_by="user", release_reason="opt_out")
    assert released is not None and released.release_reason == "opt_out"


async def test_open_hand_offs_are_listed_oldest_first(store: Store) -> None:
    for wa_id in ("573001110001", "573001110002", "573001110003"):
        await store.open_handoff(wa_id, reason="user_request")
    await store.release_handoff("573001110002", released_by="x")
    assert [h.wa_id for h in await store.list_open_handoffs()] == [
        "573001110001",
        "573001110003",
    ]


async def test_vocabularies_are_enforced(store: Store) -> None:
    with pytest.raises(ValueError, match="reason"):
        await store.open_handoff(WA, reason="boredom")
    await store.open_handoff(WA, reason="user_request")
    with pytest.raises(ValueError, match="release reason"):
        await store.release_handoff(WA, released_by="x", release_reason="whatever")
    with pytest.raises(ValueError):
        await store.open_handoff("not-a-phone", reason="user_request")


async def test_long_texts_are_truncated(store: Store) -> None:
    handoff, _ = await store.open_handoff(WA, reason="user_request", last_user_text="a" * 5000)
    assert handoff.last_user_text is not None
    assert len(handoff.last_user_text) == LAST_USER_TEXT_MAX
    assert handoff.last_user_text.endswith("…")
    incident = await store.record_incident(WA, text="b" * 9000)
    assert len(incident.text) == INCIDENT_TEXT_MAX


async def test_incidents_are_numbered_and_listed_newest_first(store: Store) -> None:
    first = await store.record_incident(WA, text="se cayó el lector de QR", event="MFN")
    second = await store.record_incident("573001110009", text="pelea en la fila")
    assert second.id > first.id
    assert first.event == "MFN" and second.event is None
    listed = await store.list_incidents()
    assert [i.id for i in listed] == [second.id, first.id]
    assert listed[1] == first
    with pytest.raises(ValueError, match="text"):
        await store.record_incident(WA, text="   ")


async def test_the_threaded_store_proxies_the_hand_off_methods(db_url: str) -> None:
    """The rasa server's channel uses a ThreadedStore: the mixin's methods must pass through."""
    threaded = ThreadedStore(Store(db_url))
    await threaded.start()
    try:
        handoff, created = await threaded.open_handoff(WA, reason="user_request")
        assert created
        assert (await threaded.get_open_handoff(WA)) == handoff
    finally:
        await threaded.close()


def test_truncate() -> None:
    assert truncate(None, 10) is None
    assert truncate("   ", 10) is None
    assert truncate(" hola ", 10) == "hola"
    assert truncate("abcdefghijk", 5) == "abcd…"
