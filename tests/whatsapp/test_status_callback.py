"""``biz_opaque_callback_data`` in status webhooks: parsed, then recorded by the ingestion.

The outbox sends every message with its idempotency key as callback data; WhatsApp
echoes it in each status. Recorded, it lets a delivery worker restarted after a crash
see that a send it has no record of was accepted (``Store.accepted_wamid``).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.storage.migrate import upgrade
from bot.storage.store import Store
from bot.whatsapp import signature
from bot.whatsapp.inbound import parse_status, parse_webhook
from bot.whatsapp.ingest import Recorder, ingest

SECRET = "status-callback-test-secret"
KEY = "ticket:A-XY98ZT1"


def _status(wamid: str, state: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": wamid,
        "status": state,
        "timestamp": "1750000000",
        "recipient_id": "573001234567",
        **extra,
    }


def _envelope(*statuses: dict[str, Any]) -> dict[str, Any]:
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "573145550100", "phone_number_id": "1065"},
        "statuses": list(statuses),
    }
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "1022", "changes": [{"field": "messages", "value": value}]}],
    }


def test_a_status_carries_its_callback_data() -> None:
    batch = parse_webhook(
        _envelope(
            _status("wamid.1", "sent", biz_opaque_callback_data=KEY),
            _status("wamid.2", "delivered"),
        )
    )
    assert [(s.wamid, s.callback_data) for s in batch.statuses] == [
        ("wamid.1", KEY),
        ("wamid.2", None),
    ]


@pytest.mark.parametrize("odd", ["", 42, None, {"key": KEY}, ["x"]])
def test_odd_callback_data_is_ignored_not_refused(odd: Any) -> None:
    status = parse_status(_status("wamid.s", "read", biz_opaque_callback_data=odd))
    assert status.status == "read" and status.callback_data is None


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'app.db'}"
    upgrade(url)
    async with Store(url) as started:
        yield started


async def test_the_ingestion_records_the_callback_data(store: Store) -> None:
    body = json.dumps(
        _envelope(
            _status("wamid.ok", "sent", biz_opaque_callback_data=KEY),
            _status("wamid.ok", "delivered", biz_opaque_callback_data=KEY),
            _status("wamid.other", "failed", biz_opaque_callback_data="ticket:other"),
        )
    ).encode()
    result = await ingest(
        Recorder(store),
        app_secret=SECRET,
        max_body=1 << 20,
        body=body,
        content_type="application/json",
        signature_header=signature.sign(body, SECRET),
    )
    assert result.status == 200 and result.body["statuses"] == 3, result.body
    assert await store.accepted_wamid(KEY) == "wamid.ok"
    assert await store.accepted_wamid("ticket:other") is None  # failed: not accepted
