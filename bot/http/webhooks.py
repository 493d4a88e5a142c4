"""Incoming webhooks of the payment providers and Hi.Events (public, signed routes).

* ``POST /webhooks/wompi`` — events checksum (SHA-256 over the listed properties).
* ``POST /webhooks/mercadopago`` — ``x-signature`` HMAC over the manifest.
* ``POST /webhooks/hi-events`` — ``Signature`` HMAC-SHA256 over the raw body; the
  types in :data:`HI_EVENTS_HANDLERS` are acted on, any other is answered 200 and logged.

Each route checks the signature over the raw bytes (401 when wrong, nothing
recorded), records the statement idempotently and answers 200 once it is committed:
a database failure answers 500 so the provider delivers again, which is how a paid
order can never be lost between the provider and us. Messages to the buyer are sent
after the answer, and tickets by the fulfilment worker.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.hi_events_webhook import parse_hi_events_webhook, verify_hi_events_signature
from bot.logging import event
from bot.payments.base import IgnoredWebhook, InvalidWebhookSignature
from bot.ticketing.attendee_events import on_attendee_cancelled, on_attendee_updated
from bot.ticketing.context import Ticketing
from bot.ticketing.door import on_check_in
from bot.ticketing.order_events import on_order_cancelled, on_order_created
from bot.ticketing.payment_updates import apply_payment_update
from bot.ticketing.schedule_changes import on_event_updated

log = logging.getLogger(__name__)

__all__ = ["webhooks_blueprint"]

#: Bodies larger than this are not webhooks of ours.
MAX_BODY = 256 * 1024

HiEventsHandler = Callable[[Ticketing, dict[str, Any]], Awaitable[str]]
#: Hi.Events event types the bot acts on; every other type is acknowledged and logged.
HI_EVENTS_HANDLERS: dict[str, HiEventsHandler] = {
    "checkin.created": on_check_in,
    "order.created": on_order_created,
    # an order sold elsewhere and paid offline is confirmed when it is marked as paid
    "order.marked_as_paid": on_order_created,
    "order.cancelled": on_order_cancelled,
    "attendee.updated": on_attendee_updated,
    "attendee.cancelled": on_attendee_cancelled,
    "event.updated": on_event_updated,
}


def _too_big(request: Request) -> HTTPResponse | None:
    if len(request.body or b"") > MAX_BODY:
        return response.json({"error": "payload_too_large"}, status=413)
    return None


def webhooks_blueprint(ticketing_of: Callable[[Request], Ticketing], hi_secret: str) -> Blueprint:
    bp = Blueprint("provider_webhooks", url_prefix="/webhooks")

    async def _payment(request: Request, provider: str) -> HTTPResponse:
        if (refused := _too_big(request)) is not None:
            return refused
        ctx = ticketing_of(request)
        gateway = ctx.gateways[provider]
        headers = {k.lower(): v for k, v in request.headers.items()}
        query = {k: v[0] if isinstance(v, list) else v for k, v in request.args.items()}
        try:
            update = await gateway.parse_webhook(headers, query, request.body)
        except InvalidWebhookSignature as exc:
            event(log, "webhook.refused", logging.WARNING, provider=provider, reason=str(exc))
            return response.json({"error": "invalid_signature"}, status=401)
        except IgnoredWebhook:
            return response.json({"ok": True, "outcome": "ignored"})
        except ValueError as exc:
            return response.json({"error": "bad_request", "message": str(exc)[:200]}, status=400)
        outcome = await apply_payment_update(ctx, update)
        return response.json({"ok": True, "outcome": outcome})

    @bp.post("/wompi")
    async def wompi(request: Request) -> HTTPResponse:
        return await _payment(request, "wompi")

    @bp.post("/mercadopago")
    async def mercadopago(request: Request) -> HTTPResponse:
        return await _payment(request, "mercadopago")

    @bp.post("/hi-events")
    async def hi_events(request: Request) -> HTTPResponse:
        if (refused := _too_big(request)) is not None:
            return refused
        body = request.body or b""
        if not verify_hi_events_signature(hi_secret, body, request.headers.get("signature")):
            event(log, "webhook.refused", logging.WARNING, provider="hi_events")
            return response.json({"error": "invalid_signature"}, status=401)
        try:
            event_type, payload = parse_hi_events_webhook(body)
        except ValueError as exc:
            return response.json({"error": "bad_request", "message": str(exc)[:200]}, status=400)
        ctx = ticketing_of(request)
        key = hashlib.sha256(body).hexdigest()
        if not await ctx.store.remember_webhook("hi_events", key):
            return response.json({"ok": True, "outcome": "duplicate"})
        handler = HI_EVENTS_HANDLERS.get(event_type)
        outcome = "ignored" if handler is None else await handler(ctx, payload)
        event(log, "webhook.hi_events", type=event_type, outcome=outcome)
        return response.json({"ok": True, "outcome": outcome})

    return bp
