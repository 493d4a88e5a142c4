"""The public webhook: verify, record and acknowledge, then hand over to the rasa server.

Why a process of its own: the rasa server runs NLU and policies (TensorFlow) on its
event loop, so a webhook answered there waits behind whatever turn is running.
WhatsApp wants fast acknowledgements (median under 250 ms; ``make bench`` targets a
p99 under 20 ms at 200 webhooks/s). Here nothing else runs on the loop: the body is
checked, written to the inbox (the durable, de-duplicating record) and answered;
new messages are then handed to the channel's ``/webhooks/wappbiz/inbox`` route,
one conversation in order. A hand-off that fails stays ``pending`` in the inbox and
the channel's sweeper picks it up, so nothing acknowledged is lost.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import random
from typing import Any

import httpx
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.inbox import KeyedSerialExecutor
from bot.logging import configure, event
from bot.settings import Settings, get_settings
from bot.storage.store import Store
from bot.whatsapp.inbound import InboundMessage
from bot.whatsapp.ingest import Recorder, ingest

log = logging.getLogger(__name__)

HANDOFF_ATTEMPTS = 4


def build_app(settings: Settings, name: str = "fashionistas_ingress") -> Sanic:
    app = Sanic(name, configure_logging=False)
    app.config.REQUEST_MAX_SIZE = max(settings.webhook_max_body_bytes * 4, 4_194_304)
    app_secret = settings.secret("wappbiz_app_secret")
    verify_token = settings.secret("wappbiz_verify_token")
    ingress_token = settings.secret("ingress_token")
    inbox_url = f"{settings.rasa_url}/webhooks/wappbiz/inbox"

    @app.listener("before_server_start")
    async def _open(app: Sanic, loop: Any) -> None:
        app.ctx.store = Store.from_settings(settings)
        await app.ctx.store.start()
        app.ctx.recorder = Recorder(app.ctx.store)
        app.ctx.http = httpx.AsyncClient(timeout=5.0)

        async def hand_off(message: InboundMessage) -> None:
            payload = {"messages": [message.stored_payload()]}
            headers = {"Authorization": f"Bearer {ingress_token}"}
            for attempt in range(1, HANDOFF_ATTEMPTS + 1):
                try:
                    answer = await app.ctx.http.post(inbox_url, json=payload, headers=headers)
                    if answer.status_code < 300:
                        return
                    reason: Any = answer.status_code
                except httpx.HTTPError as exc:
                    reason = type(exc).__name__
                await asyncio.sleep(random.uniform(0.05, 0.2) * 2**attempt)
            # Still pending in the inbox: the channel's sweeper will take it.
            event(
                log, "ingress.handoff_deferred", logging.WARNING, wamid=message.wamid, reason=reason
            )

        app.ctx.handoff = KeyedSerialExecutor(hand_off, max_concurrency=32)

    @app.listener("after_server_stop")
    async def _close(app: Sanic, loop: Any) -> None:
        await app.ctx.handoff.drain(timeout=5)
        await app.ctx.http.aclose()
        await app.ctx.store.close()

    @app.get("/health")
    async def health(request: Request) -> HTTPResponse:
        return response.json({"status": "ok"})

    @app.get("/webhook")
    async def verify(request: Request) -> HTTPResponse:
        token = request.args.get("hub.verify_token") or ""
        if request.args.get("hub.mode") == "subscribe" and hmac.compare_digest(
            token.encode(), verify_token.encode()
        ):
            return response.text(request.args.get("hub.challenge") or "")
        event(log, "ingress.verify_refused", logging.WARNING)
        return response.json({"error": "verification failed"}, status=403)

    @app.post("/webhook")
    async def receive(request: Request) -> HTTPResponse:
        result = await ingest(
            app.ctx.recorder,
            app_secret=app_secret,
            max_body=settings.webhook_max_body_bytes,
            body=request.body or b"",
            content_type=request.headers.get("content-type"),
            signature_header=request.headers.get("x-hub-signature-256"),
        )
        for message in result.new_messages:
            app.ctx.handoff.submit(message.wa_id, message)
        return response.json(result.body, status=result.status)

    return app


def main() -> None:
    settings = get_settings()
    configure("ingress", settings.log_level, settings.log_format)
    app = build_app(settings)
    log.info("ingress on http://%s:%s/webhook", settings.bind_host, settings.ingress_port)
    app.run(settings.bind_host, settings.ingress_port, workers=1, access_log=False, motd=False)


if __name__ == "__main__":
    main()
