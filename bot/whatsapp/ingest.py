"""Accept one webhook POST: check it, record it durably, say what is new.

Shared by the ingress process (the public webhook in ``make run``) and the Rasa
channel's own ``/webhook`` route, so both refuse the same bad input with the same
statuses and de-duplicate through the same inbox table.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

from bot.logging import event
from bot.storage.store import Store
from bot.whatsapp import signature
from bot.whatsapp.inbound import InboundMessage, InvalidWebhook, parse_message, parse_webhook

log = logging.getLogger(__name__)


@dataclass
class IngestResult:
    status: int
    body: dict[str, Any]
    new_messages: list[InboundMessage] = field(default_factory=list)


def message_from_payload(payload: dict[str, Any]) -> InboundMessage:
    """Rebuild a message from what the inbox stored (``InboundMessage.stored_payload``)."""
    return parse_message(
        payload["message"],
        profile_name=payload.get("profile_name"),
        phone_number_id=payload.get("phone_number_id"),
    )


def _refuse(status: int, reason: str, message: str, **fields: Any) -> IngestResult:
    event(log, "webhook.refused", logging.WARNING, reason=reason, **fields)
    return IngestResult(status, {"error": message})


async def ingest(
    store: Store,
    *,
    app_secret: str,
    max_body: int,
    body: bytes,
    content_type: str | None,
    signature_header: str | None,
) -> IngestResult:
    """Validate, then write inbox rows and statuses before the caller answers 200."""
    if len(body) > max_body:
        return _refuse(413, "too_large", "body too large", size=len(body))
    if (content_type or "").split(";")[0].strip().lower() != "application/json":
        return _refuse(415, "content_type", "content type must be application/json")
    if not signature_header:
        return _refuse(401, "signature_missing", "missing X-Hub-Signature-256")
    if not signature.verify(body, signature_header, app_secret):
        return _refuse(403, "signature_mismatch", "invalid signature", size=len(body))
    try:
        batch = parse_webhook(json.loads(body))
    except (ValueError, InvalidWebhook) as exc:
        reason = str(exc) if isinstance(exc, InvalidWebhook) else "malformed JSON"
        return _refuse(400, "invalid", f"invalid notification: {reason}", detail=reason)

    new: list[InboundMessage] = []
    accepted = duplicates = rejected = 0
    for message in batch.messages:
        try:
            is_new = await store.record_inbound(
                wamid=message.wamid,
                wa_id=message.wa_id,
                msg_type=message.msg_type,
                text=message.user_text,
                payload=message.stored_payload(),
                wa_timestamp=message.timestamp,
            )
        except ValueError as exc:
            # e.g. a sender without a phone-number wa_id: keep the rest of the batch.
            rejected += 1
            event(log, "webhook.message_rejected", logging.WARNING, reason=str(exc)[:120])
            continue
        if not is_new:
            duplicates += 1
            continue
        accepted += 1
        if message.silent:
            await store.mark_inbound(message.wamid, "skipped")
            continue
        new.append(message)
    for status in batch.statuses:
        await store.record_status(
            wamid=status.wamid,
            status=status.status,
            recipient_id=status.recipient_id,
            wa_timestamp=status.timestamp,
            errors=status.errors,
            conversation=status.conversation,
            pricing=status.pricing,
        )
    for error in batch.errors:
        event(
            log,
            "webhook.system_error",
            logging.WARNING,
            code=error.get("code"),
            title=error.get("title"),
        )
    if duplicates:
        event(log, "webhook.duplicates", duplicates=duplicates)
    body_out: dict[str, Any] = {
        "status": "ok",
        "accepted": accepted,
        "duplicates": duplicates,
        "statuses": len(batch.statuses),
    }
    if rejected:
        body_out["rejected"] = rejected
    return IngestResult(200, body_out, new)
