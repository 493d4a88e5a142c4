"""Checking and reading the webhooks Hi.Events sends to the bot.

Hi.Events (spatie/laravel-webhook-server) signs the exact body bytes it sends:
``Signature: <lowercase hex HMAC-SHA256(webhook secret, body)>``, no prefix, no
timestamp. The body is PHP ``json_encode`` output (``\\/``, ``\\uXXXX``), so the
signature must be checked over the raw bytes as received; re-serialising the parsed
JSON produces different bytes and a valid webhook would be refused.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

__all__ = ["parse_hi_events_webhook", "verify_hi_events_signature"]


def verify_hi_events_signature(secret: str, raw_body: bytes, signature: str | None) -> bool:
    """True when ``signature`` is the HMAC of ``raw_body`` under ``secret`` (constant time)."""
    if not secret or not signature:
        return False
    expected = hmac.new(secret.encode(), raw_body, hashlib.sha256).hexdigest()
    # Hex is case-insensitive; a ``sha256=`` prefix (other providers' habit) is tolerated.
    given = signature.strip().lower().removeprefix("sha256=")
    return hmac.compare_digest(expected.encode(), given.encode("ascii", "replace"))


def parse_hi_events_webhook(raw_body: bytes) -> tuple[str, dict[str, Any]]:
    """``(event_type, payload)`` of a webhook body; ``ValueError`` when it is not one."""
    try:
        body = json.loads(raw_body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError("webhook body is not JSON") from exc
    if not isinstance(body, dict):
        raise ValueError("webhook body is not a JSON object")
    event_type = body.get("event_type")
    payload = body.get("payload")
    if not isinstance(event_type, str) or not event_type:
        raise ValueError("webhook without event_type")
    if not isinstance(payload, dict):
        raise ValueError("webhook without a payload object")
    return event_type, payload
