"""Accept one webhook POST: check it, record it durably, say what is new.

Shared by the ingress process (the public webhook in ``make run``) and the Rasa
channel's own ``/webhook`` route, so both refuse the same bad input with the same
statuses and de-duplicate through the same inbox table.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field
from typing import Any

from bot.logging import event
from bot.storage.phones import normalize_wa_id
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


class Recorder:
    """Group commit for the webhook path: concurrent webhooks share one transaction.

    While one batch is being written, the next webhooks queue up and are written
    together as soon as it commits: no timer, so a lone webhook waits for nothing,
    and under load the cost of a commit is shared by everything that arrived.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._queue: list[tuple[list[dict], list[dict], asyncio.Future[list[bool]]]] = []
        self._flusher: asyncio.Task[None] | None = None

    async def record(self, inbound: list[dict], statuses: list[dict]) -> list[bool]:
        if not inbound and not statuses:
            return []
        future: asyncio.Future[list[bool]] = asyncio.get_running_loop().create_future()
        self._queue.append((inbound, statuses, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())
        return await future

    async def _flush(self) -> None:
        while self._queue:
            batch, self._queue = self._queue, []
            try:
                flags = await self.store.record_batch(
                    [i for inbound, _, _ in batch for i in inbound],
                    [s for _, statuses, _ in batch for s in statuses],
                )
            except Exception as exc:  # each waiting webhook answers with the failure
                for _, _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            offset = 0
            for inbound, _, future in batch:
                if not future.done():
                    future.set_result(flags[offset : offset + len(inbound)])
                offset += len(inbound)


async def ingest(
    recorder: Recorder,
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

    valid: list[InboundMessage] = []
    rejected = 0
    for message in batch.messages:
        try:
            normalize_wa_id(message.wa_id)
        except ValueError as exc:
            # e.g. a sender without a phone-number wa_id: keep the rest of the batch.
            rejected += 1
            event(log, "webhook.message_rejected", logging.WARNING, reason=str(exc)[:120])
            continue
        valid.append(message)
    try:
        flags = await _record(recorder, valid, batch)
    except Exception as exc:  # database unreachable: ask Wappbíz to retry later
        event(log, "webhook.store_failed", logging.ERROR, error=type(exc).__name__)
        return IngestResult(503, {"error": "temporarily unable to record, retry"})
    fresh = [m for m, is_new in zip(valid, flags, strict=True) if is_new]
    duplicates = len(valid) - len(fresh)
    for message in fresh:
        if message.silent:
            await recorder.store.mark_inbound(message.wamid, "skipped")
    new = [m for m in fresh if not m.silent]
    accepted = len(fresh)
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


async def _record(recorder: Recorder, valid: list[InboundMessage], batch: Any) -> list[bool]:
    return await recorder.record(
        [
            {
                "wamid": m.wamid,
                "wa_id": m.wa_id,
                "msg_type": m.msg_type,
                "text": m.user_text,
                "payload": m.stored_payload(),
                "wa_timestamp": m.timestamp,
            }
            for m in valid
        ],
        [
            {
                "wamid": st.wamid,
                "status": st.status,
                "recipient_id": st.recipient_id,
                "wa_timestamp": st.timestamp,
                "errors": st.errors,
                "conversation": st.conversation,
                "pricing": st.pricing,
                "callback_data": st.callback_data,
            }
            for st in batch.statuses
        ],
    )
