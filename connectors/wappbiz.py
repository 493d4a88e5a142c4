"""Rasa input and output channel for Wappbíz, a WhatsApp Cloud API compatible provider.

Register in ``credentials.yml`` as ``connectors.wappbiz.WappbizInput``. Routes under
``/webhooks/wappbiz/``: ``GET /`` health, ``GET /webhook`` verification handshake,
``POST /webhook`` notifications.

Why it looks the way it does (see ``../shared/contracts/rasa36.md``):
- Rasa's webhook routes are never token-protected, so the ``X-Hub-Signature-256``
  check on the raw body is the only gate; it runs before parsing, in constant time.
- Rasa does not de-duplicate: the same wamid twice would give two replies. The
  inbox table's unique key on the wamid makes each message processed once, also
  across restarts, and doubles as the durable record written *before* the 200.
- WhatsApp wants a fast acknowledgement, so NLU runs in the background, serially
  per conversation (``bot.inbox``); unfinished messages are replayed at start-up.
- In ``make run`` Wappbíz posts to the ingress process (``bot/ingress.py``), which
  records and acknowledges, then hands messages over through ``POST /inbox``; the
  ``/webhook`` route here does the same job for one-process deployments.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.clients.wappbiz import WappbizClient
from bot.consent import OPT_OUT_PAYLOAD, is_stop_keyword
from bot.errors import ProviderError, ReEngagementRequired
from bot.http.auth import bearer_ok
from bot.i18n import t
from bot.inbox import KeyedSerialExecutor
from bot.language import detect_language
from bot.logging import event, mask_phone, protect_foreign_handlers
from bot.settings import Settings, get_settings
from bot.storage.store import Store
from bot.storage.threaded import ThreadedStore
from bot.whatsapp import outbound
from bot.whatsapp.inbound import INTENT_UNSUPPORTED, InboundMessage, InvalidWebhook
from bot.whatsapp.ingest import Recorder, ingest, message_from_payload
from connectors.handoff_gate import HandoffGate

log = logging.getLogger(__name__)

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]
INBOX_RETENTION = timedelta(days=8)  # WhatsApp re-delivers for up to 7 days
SWEEP_INTERVAL_S = 5.0


class ChannelRuntime:
    """What the channel needs at run time; built without I/O, started with the server."""

    def __init__(
        self, settings: Settings, *, app_secret: str, verify_token: str, access_token: str
    ) -> None:
        self.settings = settings
        self.app_secret = app_secret
        self.verify_token = verify_token
        self.access_token = access_token
        self.ingress_token = settings.secret("ingress_token")
        self.store: Store | None = None
        self.recorder: Recorder | None = None
        self.client: WappbizClient | None = None
        self.executor: KeyedSerialExecutor[InboundMessage] | None = None
        self.on_new_message: OnNewMessage | None = None
        self._background: set[asyncio.Task[Any]] = set()
        self._inflight: set[str] = set()
        self._sweeper: asyncio.Future[Any] | None = None
        # --- hand-off to a person (issue 3): quiet while a person has the conversation
        self.app: Any = None  # the rasa server's Sanic app (its ctx holds the Agent)
        self.handoff_gate = HandoffGate(
            lambda: self.store, lambda: getattr(getattr(self.app, "ctx", None), "agent", None)
        )

    async def start(self, on_new_message: OnNewMessage) -> None:
        if self.store is not None:
            return
        self.on_new_message = on_new_message
        protect_foreign_handlers()
        # Its own loop thread: see bot.storage.threaded for why.
        self.store = ThreadedStore(Store.from_settings(self.settings))  # type: ignore[assignment]
        await self.store.start()
        self.recorder = Recorder(self.store)  # type: ignore[arg-type]
        self.client = WappbizClient(
            graph_url=self.settings.wappbiz_graph_url,
            access_token=self.access_token,
            phone_number_id=self.settings.wappbiz_phone_number_id,
            timeout_s=self.settings.wappbiz_timeout_s,
            max_attempts=self.settings.wappbiz_max_attempts,
            backoff_base_s=self.settings.wappbiz_backoff_base_s,
        )
        self.executor = KeyedSerialExecutor(self._process)
        replayed = await self.submit_pending()
        if replayed:
            event(log, "wappbiz.replay", count=replayed)
        self.spawn(self.store.purge_inbound(INBOX_RETENTION))
        self._sweeper = asyncio.ensure_future(self._sweep())

    def submit(self, message: InboundMessage) -> bool:
        """Queue a message for its conversation unless it is already queued or running."""
        assert self.executor is not None
        if message.wamid in self._inflight:
            return False
        self._inflight.add(message.wamid)
        self.executor.submit(message.wa_id, message)
        return True

    async def submit_pending(self, older_than_s: float = 0.0) -> int:
        """Queue inbox rows still pending: after a crash, or when a hand-off was lost."""
        assert self.store is not None
        cutoff = datetime.now(timezone.utc) - timedelta(seconds=older_than_s)
        count = 0
        for record in await self.store.pending_inbound():
            if record.wamid in self._inflight or record.received_at > cutoff:
                continue
            try:
                message = message_from_payload(record.payload or {})
            except (KeyError, InvalidWebhook):
                await self.store.mark_inbound(record.wamid, "failed", "unparseable on replay")
                continue
            count += self.submit(message)
        return count

    async def _sweep(self) -> None:
        """The ingress hands messages over by HTTP; anything it could not is picked up here."""
        while True:
            await asyncio.sleep(SWEEP_INTERVAL_S)
            try:
                swept = await self.submit_pending(older_than_s=SWEEP_INTERVAL_S)
            except Exception:  # a database hiccup must not end the sweeper
                log.exception("wappbiz.sweep_failed")
                continue
            if swept:
                event(log, "wappbiz.swept", count=swept)

    async def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
        if self.executor is not None:
            await self.executor.drain(timeout=10)
        await asyncio.gather(*self._background, return_exceptions=True)
        if self.client is not None:
            await self.client.aclose()
        if self.store is not None:
            await self.store.close()
        self.store = None

    def spawn(self, coro: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # --- background processing -------------------------------------------------
    async def _process(self, message: InboundMessage) -> None:
        try:
            await self._process_once(message)
        finally:
            self._inflight.discard(message.wamid)

    async def _process_once(self, message: InboundMessage) -> None:
        assert self.store is not None and self.on_new_message is not None
        record = await self.store.get_inbound(message.wamid)
        if record is not None and record.state != "pending":
            return  # already handled (a late hand-off after a sweep, or a replay)
        contact = await self.store.upsert_contact(
            message.wa_id,
            profile_name=message.profile_name,
            touch_inbound_at=message.timestamp or datetime.now(timezone.utc),
        )
        language = contact.language
        # Detect on the sanitized text Rasa gets (no typed shortcut braces or HTML tags),
        # never on an intent payload such as "/opt_out" or a button tap.
        typed = (
            message.text if message.user_text and not (message.text or "").startswith("/") else None
        )
        if typed and contact.language_source != "explicit":
            current = None if contact.language_source == "default" else contact.language
            detected = detect_language(typed, current)
            if detected != contact.language or contact.language_source == "default":
                await self.store.set_language(message.wa_id, detected, "detected")
            language = detected
        if self.settings.wappbiz_mark_read:
            self.spawn(self._mark_read(message.wamid))
        if message.text == INTENT_UNSUPPORTED:
            if await self.handoff_gate.is_open(message.wa_id):  # a person answers (issue 3)
                await self.store.mark_inbound(message.wamid, "done")
                return
            # Nothing for the dialogue to act on (a poll, an order...): answer politely here.
            reply = t(language, "channel.unsupported")
            for body in outbound.text_bodies(message.wa_id, reply):
                await self.send(body, reply_to=message.wamid)
            await self.store.mark_inbound(message.wamid, "done")
            return
        metadata = {**message.metadata, "language": language, "role": contact.role}
        text = message.text
        if message.msg_type == "text" and is_stop_keyword(message.user_text):
            # consent (issue 3): a bare STOP/BAJA/PARAR always opts out, whatever the NLU
            # would make of it and also mid-form (bot/consent.py, data/rules/consent.yml)
            text, metadata["consent_source"] = OPT_OUT_PAYLOAD, "keyword"
        user_message = UserMessage(
            text=text,
            output_channel=WappbizOutput(self, reply_to=message.wamid),
            sender_id=message.wa_id,
            input_channel=WappbizInput.name(),
            message_id=message.wamid,
            metadata=metadata,
        )
        try:
            # hand-off (issue 3): a person has the conversation, the bot stays quiet
            if not await self.handoff_gate.intercept(user_message):
                await self.on_new_message(user_message)
        except Exception as exc:
            await self.store.mark_inbound(message.wamid, "failed", f"{type(exc).__name__}: {exc}")
            event(
                log,
                "wappbiz.process_failed",
                logging.ERROR,
                wamid=message.wamid,
                to=mask_phone(message.wa_id),
                error=type(exc).__name__,
            )
            return
        await self.store.mark_inbound(message.wamid, "done")

    async def _mark_read(self, wamid: str) -> None:
        assert self.client is not None
        try:
            await self.client.mark_read(wamid, typing=True)
        except ProviderError as exc:
            event(log, "wappbiz.mark_read_failed", logging.WARNING, code=exc.code)

    # --- sending ------------------------------------------------------------------
    async def send(self, body: dict[str, Any], reply_to: str | None = None) -> str | None:
        """Persist, then send one Cloud API body; the row keeps the outcome either way."""
        if self.store is None or self.client is None:
            raise RuntimeError("the Wappbíz channel has not started")
        to = str(body["to"])
        outbound_id = await self.store.create_outbound(
            wa_id=to, msg_type=str(body.get("type")), payload=body, reply_to_wamid=reply_to
        )
        try:
            result = await self.client.send(body)
        except ReEngagementRequired as exc:
            await self.store.outbound_result(
                outbound_id, status="window_closed", error_code=exc.code, error_detail=exc.details
            )
            event(
                log,
                "wappbiz.window_closed",
                logging.WARNING,
                to=mask_phone(to),
                outbound=outbound_id,
            )
            return None
        except ProviderError as exc:
            await self.store.outbound_result(
                outbound_id, status="failed", error_code=exc.code, error_detail=str(exc)[:500]
            )
            event(
                log,
                "wappbiz.send_failed",
                logging.ERROR,
                to=mask_phone(to),
                outbound=outbound_id,
                code=exc.code,
                http=exc.http_status,
            )
            return None
        await self.store.outbound_result(
            outbound_id, status="accepted", wamid=result.wamid, attempts=result.attempts
        )
        event(
            log,
            "wappbiz.sent",
            logging.DEBUG,
            to=mask_phone(to),
            type=body.get("type"),
            attempts=result.attempts,
        )
        return result.wamid


class WappbizOutput(OutputChannel):
    """Turns Rasa responses into WhatsApp messages; one instance per inbound message."""

    def __init__(self, runtime: ChannelRuntime, reply_to: str | None = None) -> None:
        self.runtime = runtime
        self.reply_to = reply_to

    @classmethod
    def name(cls) -> str:
        return WappbizInput.name()

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        """A custom payload (list, location...) replaces the text that comes with it.

        Actions put a plain-text version of a list in ``text`` for channels without
        lists; on WhatsApp the person would read it twice, so only the rich message goes.
        """
        if message.get("custom"):
            message = {k: v for k, v in message.items() if k not in ("text", "buttons")}
        await super().send_response(recipient_id, message)

    async def _send_all(self, bodies: list[dict[str, Any]]) -> None:
        for body in bodies:
            await self.runtime.send(body, reply_to=self.reply_to)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self._send_all(outbound.text_bodies(recipient_id, text))

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        await self._send_all(outbound.button_bodies(recipient_id, text, buttons))

    async def send_quick_replies(
        self, recipient_id: str, text: str, quick_replies: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        await self.send_text_with_buttons(recipient_id, text, quick_replies)

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        await self._send_all([outbound.media_body(recipient_id, "image", link=image)])

    async def send_attachment(self, recipient_id: str, attachment: Any, **kwargs: Any) -> None:
        if isinstance(attachment, dict):
            payload = {"type": attachment.get("type", "document"), **attachment}
            await self._send_all(outbound.custom_bodies(recipient_id, payload))
        else:
            await self._send_all(
                [outbound.media_body(recipient_id, "document", link=str(attachment))]
            )

    async def send_elements(self, recipient_id: str, elements: Any, **kwargs: Any) -> None:
        lines = [f"*{e.get('title', '')}*\n{e.get('subtitle', '')}".strip() for e in elements]
        await self.send_text_message(recipient_id, "\n\n".join(lines))

    async def send_custom_json(
        self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any
    ) -> None:
        await self._send_all(outbound.custom_bodies(recipient_id, json_message))


class WappbizInput(InputChannel):
    """Webhook endpoint for Wappbíz notifications (messages and statuses)."""

    def __init__(self, runtime: ChannelRuntime) -> None:
        self.runtime = runtime

    @classmethod
    def name(cls) -> str:
        return "wappbiz"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> WappbizInput:
        """Secrets come from the environment (Settings); credentials.yml may override them."""
        settings = get_settings()
        creds = credentials or {}

        def pick(key: str) -> str:
            value = creds.get(key)
            return str(value) if value else settings.secret(f"wappbiz_{key}")

        return cls(
            ChannelRuntime(
                settings,
                app_secret=pick("app_secret"),
                verify_token=pick("verify_token"),
                access_token=pick("access_token"),
            )
        )

    def get_output_channel(self) -> OutputChannel | None:
        """Used by ``trigger_intent``: cheap, no I/O (the runtime started with the server)."""
        return WappbizOutput(self.runtime)

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        runtime = self.runtime
        settings = runtime.settings
        bp = Blueprint(f"{self.name()}_webhook", __name__)

        @bp.listener("after_server_start")
        async def _start(app: Any, loop: Any) -> None:
            runtime.app = app  # hand-off gate (issue 3) reaches the Agent through it
            await runtime.start(on_new_message)

        @bp.listener("before_server_stop")
        async def _stop(app: Any, loop: Any) -> None:
            await runtime.stop()

        @bp.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok", "started": runtime.store is not None})

        @bp.route("/webhook", methods=["GET"])
        async def verify(request: Request) -> HTTPResponse:
            mode = request.args.get("hub.mode")
            token = request.args.get("hub.verify_token") or ""
            challenge = request.args.get("hub.challenge") or ""
            if mode == "subscribe" and hmac.compare_digest(
                token.encode(), runtime.verify_token.encode()
            ):
                return response.text(challenge)
            event(log, "wappbiz.verify_refused", logging.WARNING, mode=mode)
            return response.json({"error": "verification failed"}, status=403)

        @bp.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            """Direct delivery (one-process deployments); ``make run`` uses the ingress."""
            if runtime.store is None or runtime.executor is None:
                return response.json({"error": "starting up, retry"}, status=503)
            assert runtime.recorder is not None
            result = await ingest(
                runtime.recorder,
                app_secret=runtime.app_secret,
                max_body=settings.webhook_max_body_bytes,
                body=request.body or b"",
                content_type=request.headers.get("content-type"),
                signature_header=request.headers.get("x-hub-signature-256"),
            )
            for message in result.new_messages:
                runtime.submit(message)
            return response.json(result.body, status=result.status)

        @bp.route("/inbox", methods=["POST"])
        async def inbox(request: Request) -> HTTPResponse:
            """Hand-off from the ingress: messages it already recorded and acknowledged."""
            if not bearer_ok(request, runtime.ingress_token):
                return response.json({"error": "missing or invalid bearer token"}, status=401)
            if runtime.store is None or runtime.executor is None:
                return response.json({"error": "starting up, retry"}, status=503)
            body = request.json if isinstance(request.json, dict) else {}
            queued = 0
            try:
                for payload in body.get("messages") or []:
                    queued += runtime.submit(message_from_payload(payload))
            except (KeyError, TypeError, InvalidWebhook) as exc:
                return response.json({"error": f"invalid hand-off: {exc}"}, status=400)
            return response.json({"status": "ok", "queued": queued})

        return bp
