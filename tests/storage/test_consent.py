"""The consent log and data-subject requests, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from bot.storage.engine import create_engine
from bot.storage.store import Store

WA = "573001234567"
OTHER = "573009876543"
T0 = datetime(2026, 12, 7, 15, 0, tzinfo=timezone.utc)


async def grant(store: Store, purposes: list[str], granted: bool = True, **kw: object) -> list:
    return await store.record_consent(
        WA,
        purposes,
        granted=granted,
        policy_version="2026-11",
        source=kw.pop("source", "button"),  # type: ignore[arg-type]
        **kw,  # type: ignore[arg-type]
    )


async def test_a_decision_is_one_row_per_purpose(store: Store) -> None:
    rows = await grant(
        store,
        ["transactional", "marketing"],
        policy_hash="a" * 64,
        channel="wappbiz",
        inbound_wamid="wamid.acepto",
    )
    assert [(r.purpose, r.granted) for r in rows] == [
        ("transactional", True),
        ("marketing", True),
    ]
    first = rows[0]
    assert first.wa_id == WA and first.policy_version == "2026-11"
    assert first.policy_hash == "a" * 64 and first.source == "button"
    assert first.channel == "wappbiz" and first.inbound_wamid == "wamid.acepto"
    assert first.created_at.tzinfo is not None


async def test_the_state_is_the_latest_row_per_purpose(store: Store) -> None:
    assert await store.consent_state(WA) == {}
    await grant(store, ["transactional", "marketing"], inbound_wamid="wamid.1")
    await grant(store, ["marketing", "casting"], granted=False, inbound_wamid="wamid.2")
    await grant(store, ["casting"], inbound_wamid="wamid.3", source="text")
    await store.record_consent(
        OTHER, ["marketing"], granted=False, policy_version="2026-11", source="keyword"
    )
    state = await store.consent_state(WA)
    assert {p: r.granted for p, r in state.items()} == {
        "transactional": True,
        "marketing": False,
        "casting": True,
    }
    assert state["casting"].inbound_wamid == "wamid.3"
    history = await store.consent_history(WA)
    assert [(r.purpose, r.granted) for r in history] == [
        ("transactional", True),
        ("marketing", True),
        ("marketing", False),
        ("casting", False),
        ("casting", True),
    ]
    assert {p: r.granted for p, r in (await store.consent_state(OTHER)).items()} == {
        "marketing": False
    }


async def test_a_replayed_message_is_logged_once(store: Store) -> None:
    first = await grant(store, ["marketing"], granted=False, inbound_wamid="wamid.stop")
    again = await grant(store, ["marketing"], granted=False, inbound_wamid="wamid.stop")
    assert [r.id for r in again] == [r.id for r in first]
    # the same message may still add a purpose it had not logged
    more = await grant(store, ["marketing", "casting"], granted=False, inbound_wamid="wamid.stop")
    assert [r.purpose for r in more] == ["marketing", "casting"]
    assert len(await store.consent_history(WA)) == 2
    # without a wamid (other channels) every call is a new row
    await grant(store, ["marketing"])
    await grant(store, ["marketing"])
    assert len(await store.consent_history(WA)) == 4


async def test_the_log_refuses_updates_and_deletes(store: Store, db_url: str) -> None:
    await grant(store, ["marketing"], inbound_wamid="wamid.keep")
    engine = create_engine(db_url, pool="null")
    try:
        for statement in (
            "UPDATE consent_log SET granted = false",
            "DELETE FROM consent_log",
        ):
            with pytest.raises((DBAPIError, IntegrityError), match="append-only"):
                async with engine.begin() as connection:
                    await connection.execute(text(statement))
    finally:
        await engine.dispose()
    [row] = await store.consent_history(WA)
    assert row.granted is True


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"purposes": []}, "at least one purpose"),
        ({"purposes": ["newsletter"]}, "consent purpose"),
        ({"source": "carrier-pigeon"}, "consent source"),
        ({"policy_version": ""}, "policy_version"),
    ],
)
async def test_invalid_decisions_are_refused(
    store: Store, kwargs: dict[str, object], message: str
) -> None:
    call: dict[str, object] = {
        "purposes": ["marketing"],
        "granted": True,
        "policy_version": "2026-11",
        "source": "text",
        **kwargs,
    }
    with pytest.raises(ValueError, match=message):
        await store.record_consent(WA, **call)  # type: ignore[arg-type]
    assert await store.consent_history(WA) == []


async def test_a_request_is_filed_with_its_deadline(store: Store) -> None:
    due = T0 + timedelta(days=23)
    request, created = await store.file_data_subject_request(
        WA, kind="erasure", received_at=T0, due_at=due, inbound_wamid="wamid.si"
    )
    assert created
    assert request.kind == "erasure" and request.status == "received"
    assert request.received_at == T0 and request.due_at == due
    assert request.inbound_wamid == "wamid.si"
    assert await store.get_data_subject_request(request.id) == request
    assert await store.data_subject_requests_for(WA) == [request]


async def test_an_open_request_is_not_filed_twice(store: Store) -> None:
    due = T0 + timedelta(days=23)
    first, _ = await store.file_data_subject_request(
        WA, kind="erasure", received_at=T0, due_at=due, inbound_wamid="wamid.1"
    )
    # the same message replayed, and a new message asking again: the open request
    replay, replay_new = await store.file_data_subject_request(
        WA, kind="erasure", received_at=T0, due_at=due, inbound_wamid="wamid.1"
    )
    later = T0 + timedelta(days=2)
    again, again_new = await store.file_data_subject_request(
        WA, kind="erasure", received_at=later, due_at=later + timedelta(days=23)
    )
    assert (replay, replay_new) == (first, False)
    assert (again, again_new) == (first, False)
    # another person, or another kind, is another request
    _, other_new = await store.file_data_subject_request(
        OTHER, kind="erasure", received_at=T0, due_at=due
    )
    _, access_new = await store.file_data_subject_request(
        WA, kind="access", received_at=T0, due_at=due
    )
    assert other_new and access_new
    assert [r.kind for r in await store.data_subject_requests_for(WA)] == ["erasure", "access"]


async def test_invalid_requests_are_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="kind"):
        await store.file_data_subject_request(WA, kind="forget", received_at=T0, due_at=T0)
    with pytest.raises(ValueError, match="due_at"):
        await store.file_data_subject_request(
            WA, kind="erasure", received_at=T0, due_at=T0 - timedelta(seconds=1)
        )
    with pytest.raises(ValueError, match="timezone-aware"):
        await store.file_data_subject_request(
            WA, kind="erasure", received_at=T0.replace(tzinfo=None), due_at=T0
        )
    assert await store.data_subject_requests_for(WA) == []
