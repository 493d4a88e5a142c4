"""Cloud API webhook bodies built in code, for e2e tests and benchmarks."""

from __future__ import annotations

import time
import uuid
from typing import Any

PHONE_NUMBER_ID = "106540352242922"
WABA_ID = "102290129340398"


def envelope(
    messages: list[dict[str, Any]] | None = None,
    statuses: list[dict[str, Any]] | None = None,
    name: str = "Laura",
) -> dict[str, Any]:
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "573145550100", "phone_number_id": PHONE_NUMBER_ID},
    }
    if messages:
        value["contacts"] = [{"profile": {"name": name}, "wa_id": messages[0]["from"]}]
        value["messages"] = messages
    if statuses:
        value["statuses"] = statuses
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": WABA_ID, "changes": [{"field": "messages", "value": value}]}],
    }


def text_message(wa_id: str, text: str, wamid: str | None = None) -> dict[str, Any]:
    return {
        "from": wa_id,
        "id": wamid or f"wamid.test{uuid.uuid4().hex}",
        "timestamp": str(int(time.time())),
        "type": "text",
        "text": {"body": text},
    }


def status(wamid: str, state: str, recipient_id: str = "573000000000") -> dict[str, Any]:
    return {
        "id": wamid,
        "status": state,
        "timestamp": str(int(time.time())),
        "recipient_id": recipient_id,
    }
