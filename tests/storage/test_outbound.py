"""Outbound messages and status webhooks: lifecycle, dedupe, monotonic status."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from bot.storage.store import Store
from bot.storage.types import from_unix_seconds

WA_ID = "573001234567"
BODY = {
    "messaging_product": "whatsapp",
    "to": WA_ID,
    "type": "text",
    "text": {"body": "¡Tu boleta está lista! 🎟️"},
}
RE_ENGAGEMENT = [
    {
        "code": 131047,
        "title": "Re-engagement message",
        "message": "Re-engagement message",
        "error_data": {"details": "Message failed to send because more than 24 hours have passed"},
    }
]
CONVERSATION = {"id": "conv-1", "origin": {"type": "utility"}}
PRICING = {"billable": True, "pricing_model": "PMP", "category": "utility", "type": "regular"}


async def _sent(store: Store, wamid: str) -> int:
    """An outbound message the API accepted under ``wamid``."""
    outbound_id = await store.create_outbound(wa_id=WA_ID, msg_type="text", payload=BODY)
    await store.outbound_result(outbound_id, status="accepted", wamid=wamid, attempts=1)
    return outbound_id


async def _status(store: Store, wamid: str, status: str, **extra: object) -> bool:
    return await store.record_status(
        wamid=wamid,
        status=status,
        recipient_id=WA_ID,
        wa_timestamp=from_unix_seconds("1732530000"),
        **extra,  # type: ignore[arg-type]
    )


async def _outbound_status(store: Store, outbound_id: int) -> str:
    record = await store.get_outbound(outbound_id)
    assert record is not None
    return record.status


async def test_outbound_lifecycle(store: Store) -> None:
    outbound_id = await store.create_outbound(
        wa_id="+57 300 123 4567", msg_type="text", payload=BODY, reply_to_wamid="wamid.in"
    )
    created = await store.get_outbound(outbound_id)
    assert created is not None
    assert (created.wa_id, created.status, created.attempts, created.wamid) == (
        WA_ID,
        "pending",
        0,
        None,
    )
    assert created.payload == BODY
    assert created.reply_to_wamid == "wamid.in"
    assert created.created_at.utcoffset() == timedelta(0)

    await store.outbound_result(outbound_id, status="pending", attempts=1, error_code=130429)
    retried = await store.get_outbound(outbound_id)
    assert retried is not None
    assert (retried.status, retried.attempts, retried.error_code) == ("pending", 1, 130429)

    await store.outbound_result(outbound_id, status="accepted", wamid="wamid.out", attempts=2)
    accepted = await store.get_outbound(outbound_id)
    assert accepted is not None
    assert (accepted.status, accepted.wamid, accepted.attempts) == ("accepted", "wamid.out", 2)
    assert accepted.error_code is None  # the error fields describe the latest outcome
    assert accepted.updated_at >= accepted.created_at

    for status in ("sent", "delivered", "read"):
        assert await _status(store, "wamid.out", status)
        assert await _outbound_status(store, outbound_id) == status


async def test_window_closed_and_list_filters(store: Store) -> None:
    first = await _sent(store, "wamid.1")
    closed = await store.create_outbound(wa_id=WA_ID, msg_type="text", payload=BODY)
    await store.outbound_result(
        closed, status="window_closed", error_code=131047, error_detail="outside 24h window"
    )
    other = await store.create_outbound(wa_id="573119998877", msg_type="image", payload={})

    assert [r.id for r in await store.list_outbound()] == [other, closed, first]  # newest first
    assert [r.id for r in await store.list_outbound(wa_id=WA_ID)] == [closed, first]
    window = await store.list_outbound(status="window_closed")
    assert [(r.id, r.error_code, r.error_detail) for r in window] == [
        (closed, 131047, "outside 24h window")
    ]
    assert [r.id for r in await store.list_outbound(limit=1)] == [other]
    with pytest.raises(ValueError, match="outbound status"):
        await store.list_outbound(status="bounced")


async def test_outbound_result_validation(store: Store) -> None:
    with pytest.raises(LookupError):
        await store.outbound_result(424242, status="accepted", wamid="wamid.ghost")
    outbound_id = await store.create_outbound(wa_id=WA_ID, msg_type="text", payload=BODY)
    with pytest.raises(ValueError, match="outbound status"):
        await store.outbound_result(outbound_id, status="queued")
    assert await store.get_outbound(999_999) is None


async def test_status_webhook_is_stored_once(store: Store) -> None:
    await _sent(store, "wamid.dup")
    assert await _status(store, "wamid.dup", "sent", conversation=CONVERSATION, pricing=PRICING)
    assert not await _status(store, "wamid.dup", "sent", conversation=CONVERSATION)
    assert await _status(store, "wamid.dup", "delivered")
    statuses = await store.statuses_for("wamid.dup")
    assert [s.status for s in statuses] == ["sent", "delivered"]
    sent = statuses[0]
    assert sent.recipient_id == WA_ID
    assert sent.wa_timestamp == datetime(2024, 11, 25, 10, 20, tzinfo=timezone.utc)
    assert (sent.conversation_id, sent.conversation_category) == ("conv-1", "utility")
    assert (sent.pricing_category, sent.pricing_type, sent.billable) == (
        "utility",
        "regular",
        True,
    )
    assert await store.status_counts() == {"sent": 1, "delivered": 1}


async def test_status_never_moves_backwards(store: Store) -> None:
    outbound_id = await _sent(store, "wamid.unordered")
    assert await _status(store, "wamid.unordered", "read")
    assert await _status(store, "wamid.unordered", "delivered")
    assert await _status(store, "wamid.unordered", "sent")
    assert await _outbound_status(store, outbound_id) == "read"


async def test_failed_after_sent_records_the_error(store: Store) -> None:
    outbound_id = await _sent(store, "wamid.fail")
    assert await _status(store, "wamid.fail", "sent")
    assert await _status(store, "wamid.fail", "failed", errors=RE_ENGAGEMENT)
    record = await store.get_outbound(outbound_id)
    assert record is not None
    assert (record.status, record.error_code) == ("failed", 131047)
    assert record.error_detail == RE_ENGAGEMENT[0]["error_data"]["details"]
    failed = [s for s in await store.statuses_for("wamid.fail") if s.status == "failed"]
    assert len(failed) == 1
    assert (failed[0].error_code, failed[0].error_title) == (131047, "Re-engagement message")
    assert failed[0].error_detail == RE_ENGAGEMENT[0]["error_data"]["details"]
    # A late "delivered" for a failed message does not resurrect it.
    assert await _status(store, "wamid.fail", "delivered")
    assert await _outbound_status(store, outbound_id) == "failed"


async def test_failed_after_read_keeps_read(store: Store) -> None:
    outbound_id = await _sent(store, "wamid.readfail")
    assert await _status(store, "wamid.readfail", "read")
    assert await _status(store, "wamid.readfail", "failed", errors=RE_ENGAGEMENT)
    record = await store.get_outbound(outbound_id)
    assert record is not None
    assert (record.status, record.error_code) == ("read", None)


async def test_played_counts_as_read_and_unknown_statuses_move_nothing(store: Store) -> None:
    voice = await _sent(store, "wamid.voice")
    assert await _status(store, "wamid.voice", "played")
    assert await _outbound_status(store, voice) == "read"
    other = await _sent(store, "wamid.other")
    assert await _status(store, "wamid.other", "deleted")
    assert await _outbound_status(store, other) == "accepted"


async def test_status_webhook_racing_ahead_of_the_api_response(store: Store) -> None:
    """The status webhook can arrive before the send call returns the wamid."""
    outbound_id = await store.create_outbound(wa_id=WA_ID, msg_type="text", payload=BODY)
    assert await _status(store, "wamid.fast", "sent")
    assert await _status(store, "wamid.fast", "delivered")
    await store.outbound_result(outbound_id, status="accepted", wamid="wamid.fast", attempts=1)
    assert await _outbound_status(store, outbound_id) == "delivered"


async def test_status_for_unknown_message_is_still_recorded(store: Store) -> None:
    """Messages sent from the WhatsApp Business app or another tool still count."""
    assert await _status(store, "wamid.elsewhere", "delivered")
    assert await store.list_outbound() == []
    assert await store.status_counts() == {"delivered": 1}


async def test_status_counts_since(store: Store, db_url: str) -> None:
    now = datetime.now(timezone.utc)
    async with Store(db_url, clock=lambda: now - timedelta(days=3)) as past:
        await _status(past, "wamid.a", "sent")
        await _status(past, "wamid.a", "delivered")
    await _status(store, "wamid.b", "sent")
    assert await store.status_counts() == {"sent": 2, "delivered": 1}
    assert await store.status_counts(since=now - timedelta(days=1)) == {"sent": 1}
    with pytest.raises(ValueError, match="timezone-aware"):
        await store.status_counts(since=datetime(2025, 1, 1))


async def test_record_status_requires_ids(store: Store) -> None:
    with pytest.raises(ValueError):
        await store.record_status(wamid="", status="sent", recipient_id=None, wa_timestamp=None)
