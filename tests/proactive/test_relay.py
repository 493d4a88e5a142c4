"""Which rows go through the dialogue, and the body taken from Rasa's answer.

The round trip through a real Rasa is in tests/e2e/test_proactive.py.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from bot.proactive.relay import RasaRelay, relayed_body
from bot.storage.outbox import PRIORITY_EMERGENCY, PRIORITY_REMINDER, OutboxRecord

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=timezone.utc)


def row(**overrides: Any) -> OutboxRecord:
    values: dict[str, Any] = {
        "id": 1,
        "idempotency_key": "reminder:1d:ABC",
        "wa_id": "573001112233",
        "priority": PRIORITY_REMINDER,
        "purpose": "transactional",
        "kind": "message",
        "payload": {"type": "text", "text": {"body": "mañana"}},
        "template_fallback": None,
        "status": "sending",
        "attempts": 1,
        "max_attempts": None,
        "next_attempt_at": NOW,
        "claimed_by": "w",
        "claimed_until": NOW,
        "last_error": None,
        "last_error_code": None,
        "wamid": None,
        "broadcast_id": None,
        "created_at": NOW,
        "sent_at": None,
        "updated_at": NOW,
    }
    values.update(overrides)
    return OutboxRecord(**values)


class Contacts:
    """The two store methods the relay reads, over a dict (the store is tested elsewhere)."""

    def __init__(self, last_inbound: datetime | None) -> None:
        self.last_inbound = last_inbound

    async def get_contact(self, wa_id: str) -> Any:
        return type("Contact", (), {"last_inbound_at": self.last_inbound})()


def test_the_body_is_the_custom_message_with_this_rows_key() -> None:
    body = {"type": "text", "text": {"body": "mañana"}}
    messages = [
        {"recipient_id": "573001112233", "text": "hola"},
        {"custom": {"outbox": {"key": "reminder:1d:OTHER", "whatsapp": body}}},
        {"custom": {"outbox": {"key": "reminder:1d:ABC", "whatsapp": body}}},
    ]
    assert relayed_body(row(), messages) == {
        "to": "573001112233",
        **body,
        "biz_opaque_callback_data": "reminder:1d:ABC",
    }
    assert relayed_body(row(), messages[:2]) is None
    assert relayed_body(row(), [{"custom": {"outbox": {"key": "reminder:1d:ABC"}}}]) is None


async def test_only_free_text_to_one_person_inside_the_window_is_relayed() -> None:
    relay = RasaRelay(
        Contacts(NOW - timedelta(hours=2)), "http://127.0.0.1:9", None, clock=lambda: NOW
    )
    try:
        assert relay.eligible(row())
        assert not relay.eligible(row(kind="template"))
        assert not relay.eligible(row(broadcast_id=4))
        assert not relay.eligible(row(priority=PRIORITY_EMERGENCY))
        assert await relay.window_open("573001112233")
        relay.store = Contacts(NOW - timedelta(hours=23, minutes=58))
        assert not await relay.window_open("573001112233")  # the 5-minute margin
        relay.store = Contacts(None)
        assert not await relay.window_open("573001112233")
    finally:
        await relay.aclose()


async def test_rasa_unreachable_means_send_directly() -> None:
    # port 9 (discard) is closed on loopback: the connection is refused at once
    relay = RasaRelay(Contacts(NOW), "http://127.0.0.1:9", "t", clock=lambda: NOW, timeout_s=2)
    try:
        assert await relay.body_for(row()) is None
    finally:
        await relay.aclose()
