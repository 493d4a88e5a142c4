"""The Wappbíz emulator: WhatsApp Cloud API behaviour without the network.

``WappbizEmulator`` holds the behaviour (sends, statuses, the 24 h window, limits,
templates, media, inbound messages and signed webhooks); ``graph_routes`` and
``sandbox_api`` only translate HTTP to these methods. Keeping the two apart lets
the same behaviour be driven by the web chat, the CLI, tests and benchmarks.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Coroutine
from typing import Any

import httpx

from bot.logging import event, mask_phone
from bot.sandbox.config import RUNTIME_TUNABLE, SandboxConfig
from bot.sandbox.emulator_state import (
    FAULT_MODES,
    MediaItem,
    PricingConversation,
    SandboxState,
    StoredMessage,
    new_numeric_id,
    new_wamid,
)
from bot.sandbox.graph_errors import GraphError, required, webhook_error
from bot.sandbox.inbound import InboundContext, InboundError, build_message
from bot.sandbox.send_validation import normalize_wa_id, validate_send
from bot.sandbox.templates import ReviewOutcome, Template, TemplateRegistry
from bot.sandbox.webhook_sender import Delivery, WebhookSender

log = logging.getLogger(__name__)

ROLES = ("attendee", "model", "designer", "organizer", "staff")
TEMPLATE_STATUSES = (
    "APPROVED",
    "PENDING",
    "REJECTED",
    "PAUSED",
    "DISABLED",
    "IN_APPEAL",
    "FLAGGED",
    "REINSTATED",
)
TYPING_S = 25.0


class SandboxApiError(Exception):
    """An error of the sandbox's own API (not the Graph API): ``{"error","message"}``."""

    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message


class WappbizEmulator:
    """One emulated business phone number, its WABA and the users who write to it."""

    def __init__(self, config: SandboxConfig) -> None:
        self._initial = config
        self.config = config
        self.state = SandboxState(config.max_messages)
        self.templates = TemplateRegistry()
        self.webhooks = WebhookSender(config.max_deliveries)
        self._tasks: set[asyncio.Task[Any]] = set()
        #: Inbound webhooks of one user are delivered one after another, so the bot
        #: sees a person's messages in the order they were typed.
        self._inbound_locks: dict[str, asyncio.Lock] = {}
        #: Statuses waiting for the batch window (``status_batch_window_s`` > 0).
        self._status_batch: list[tuple[dict[str, Any], str, str]] = []
        self._status_flush: asyncio.TimerHandle | None = None

    # --- lifecycle ------------------------------------------------------------------
    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run work after the response (webhooks, statuses) and keep a handle to cancel it."""
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            event(log, "sandbox.task_failed", logging.ERROR, error=repr(task.exception()))

    async def _cancel_tasks(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    async def close(self) -> None:
        await self._cancel_tasks()
        await self.webhooks.close()

    async def reset(self) -> None:
        """Forget everything (tests): background work too, so nothing leaks into the next."""
        await self._cancel_tasks()
        self.config = self._initial
        self.state.reset()
        self.templates.reset()
        self.webhooks.clear()
        self._inbound_locks.clear()
        event(log, "sandbox.reset")

    def tune(self, changes: dict[str, Any]) -> dict[str, Any]:
        """Change runtime-tunable config fields; unknown fields are refused."""
        unknown = set(changes) - RUNTIME_TUNABLE
        if unknown:
            raise SandboxApiError(
                400, "unknown_setting", f"not tunable: {', '.join(sorted(unknown))}"
            )
        for key, value in changes.items():
            if not _same_kind(getattr(self.config, key), value):
                raise SandboxApiError(400, "bad_setting", f"{key} has the wrong type")
        self.config = self.config.replace(**changes)
        return self.config.public_view()

    # --- authentication and ids -----------------------------------------------------------
    def check_token(self, authorization: str | None) -> None:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            token.strip().encode(), self.config.access_token.encode()
        ):
            raise GraphError(190, "Invalid OAuth access token - Cannot parse access token")

    def check_object(self, object_id: str, expected: str, operation: str) -> None:
        if object_id != expected:
            raise self.unknown_object(object_id, operation)

    def describe(self, object_id: str) -> dict[str, Any] | None:
        """``GET /{phone_number_id}`` and ``GET /{waba_id}``, as health checks use them."""
        if object_id == self.config.phone_number_id:
            return {
                "verified_name": self.config.business_name,
                "code_verification_status": "VERIFIED",
                "display_phone_number": self.config.display_phone_number,
                "quality_rating": "GREEN",
                "platform_type": "CLOUD_API",
                "throughput": {"level": "STANDARD"},
                "id": object_id,
            }
        if object_id == self.config.waba_id:
            return {
                "id": object_id,
                "name": self.config.business_name,
                "currency": "COP",
                "timezone_id": "60",
                "message_template_namespace": "sandbox_" + object_id,
            }
        return None

    @staticmethod
    def unknown_object(object_id: str, operation: str) -> GraphError:
        """Meta's answer for an id that is not ours (wrong phone number id, deleted media)."""
        return GraphError(
            100,
            f"Unsupported {operation} request. Object with ID '{object_id}' does not exist, "
            "cannot be loaded due to missing permissions, or does not support this operation.",
        )

    # --- webhook envelopes ------------------------------------------------------------------
    def _envelope(
        self, field: str, value: dict[str, Any], with_time: bool = False
    ) -> dict[str, Any]:
        entry: dict[str, Any] = {"id": self.config.waba_id}
        if with_time:
            entry["time"] = int(time.time())
        entry["changes"] = [{"value": value, "field": field}]
        return {"object": "whatsapp_business_account", "entry": [entry]}

    def _metadata(self) -> dict[str, str]:
        return {
            "display_phone_number": self.config.display_phone_number,
            "phone_number_id": self.config.phone_number_id,
        }

    def _deliver(self, payload: dict[str, Any], kind: str, ref: str, wa_id: str | None) -> Delivery:
        """Sign now, deliver in the background."""
        delivery = self.webhooks.prepare(
            payload,
            app_secret=self.config.app_secret,
            url=self.config.webhook_url,
            kind=kind,
            ref=ref,
            wa_id=wa_id,
        )
        self.spawn(self._send_delivery(delivery))
        return delivery

    async def _send_delivery(self, delivery: Delivery) -> Delivery:
        return await self.webhooks.deliver(
            delivery,
            max_attempts=self.config.webhook_max_attempts,
            backoff_s=self.config.webhook_backoff_s,
            timeout_s=self.config.webhook_timeout_s,
        )

    # --- sending (POST /{phone_number_id}/messages) ------------------------------------------
    async def send(self, payload: Any) -> dict[str, Any]:
        """The send endpoint: mark-as-read, or a message through faults, limits and checks."""
        if isinstance(payload, dict) and payload.get("status") == "read":
            return self.mark_read(payload)
        fault = self.state.faults.take()
        if fault:
            await self._raise_fault(fault)
        rate = max(1.0, float(self.config.rate_limit_per_s))
        if not self.state.take_token(f"number:{self.config.phone_number_id}", rate, rate):
            event(log, "send.throttled", logging.WARNING, code=130429)
            raise GraphError(130429)
        request = validate_send(payload, self.templates, self.get_media)
        failure = self._window_failure(request.type, request.wa_id, fault)
        if failure is None and fault == "undeliverable":
            failure = webhook_error(131026)
        if self.config.pair_rate_limit and not self.state.take_token(
            f"pair:{request.wa_id}", 1.0 / self.config.pair_interval_s, self.config.pair_burst
        ):
            raise GraphError(131056)
        contact = self.state.contact(request.wa_id)
        contact.typing_until = 0.0
        message = self.state.add_message(
            id=new_wamid(request.wa_id),
            wa_id=request.wa_id,
            direction="out",
            type=request.type,
            timestamp=int(time.time()),
            status="accepted",
            body=request.body,
            template_rendered=request.template_rendered,
            context_id=request.context_id,
            category=request.category,
            biz_opaque_callback_data=request.biz_opaque_callback_data,
        )
        self.spawn(self._status_pipeline(message, failure))
        event(
            log,
            "send.accepted",
            type=request.type,
            wa_id=mask_phone(request.wa_id),
            async_failure=failure["code"] if failure else None,
        )
        return {
            "messaging_product": "whatsapp",
            "contacts": [{"input": request.to, "wa_id": request.wa_id}],
            "messages": [{"id": message.id, "message_status": "accepted"}],
        }

    def _window_failure(
        self, msg_type: str, wa_id: str, fault: str | None
    ) -> dict[str, Any] | None:
        """131047 outside the 24 h window: raised now, or returned for a later ``failed``."""
        closed = fault == "window_closed" or (
            msg_type != "template" and not self.state.window_open(wa_id, self.config.window_s)
        )
        if not closed:
            return None
        event(
            log,
            "send.window_closed",
            logging.WARNING,
            wa_id=mask_phone(wa_id),
            sync=self.config.sync_window_error,
        )
        if self.config.sync_window_error:
            raise GraphError(131047)
        return webhook_error(131047)

    async def _raise_fault(self, mode: str) -> None:
        """Injected failures (``POST /sandbox/api/faults``)."""
        event(log, "send.fault_injected", logging.WARNING, mode=mode)
        if mode == "429":
            raise GraphError(4, "Application request limit reached (injected).", http_status=429)
        if mode == "500":
            raise GraphError(131000, "Internal server error (injected).", http_status=500)
        if mode == "503":
            raise GraphError(131016, "Service temporarily unavailable (injected).", http_status=503)
        if mode == "token":
            raise GraphError(190, "Error validating access token: Session has expired (injected).")
        if mode == "timeout":
            await asyncio.sleep(self.config.fault_timeout_s)
            raise GraphError(131000, "Gateway timeout (injected).", http_status=504)
        # "window_closed" and "undeliverable" act after validation.

    async def _status_pipeline(
        self, message: StoredMessage, failure: dict[str, Any] | None
    ) -> None:
        """sent -> delivered (-> read), or a single ``failed``, each after ``status_delay_s``."""
        delay = self.config.status_delay_s
        await asyncio.sleep(delay)
        if failure:
            self.emit_status(message, "failed", failure)
            return
        self.emit_status(message, "sent")
        await asyncio.sleep(delay)
        self.emit_status(message, "delivered")
        if self.config.auto_read or message.read_requested:
            await asyncio.sleep(delay)
            self.emit_status(message, "read")

    def emit_status(
        self, message: StoredMessage, status: str, error: dict[str, Any] | None = None
    ) -> None:
        """Advance an outbound status and send its webhook (only when it really changed)."""
        if not self.state.set_status(message, status, error):
            return
        obj = self._status_object(message, status, error)
        if self.config.status_batch_window_s <= 0:
            self._deliver_statuses([(obj, message.id, message.wa_id)])
            return
        self._status_batch.append((obj, message.id, message.wa_id))
        if len(self._status_batch) >= max(1, self.config.status_batch_max):
            self._flush_statuses()
        elif self._status_flush is None:
            self._status_flush = asyncio.get_running_loop().call_later(
                self.config.status_batch_window_s, self._flush_statuses
            )

    def _flush_statuses(self) -> None:
        if self._status_flush is not None:
            self._status_flush.cancel()
            self._status_flush = None
        batch, self._status_batch = self._status_batch, []
        if batch:
            self._deliver_statuses(batch)

    def _deliver_statuses(self, batch: list[tuple[dict[str, Any], str, str]]) -> None:
        """One signed webhook carrying ``statuses[]`` (one, or a batch)."""
        value = {
            "messaging_product": "whatsapp",
            "metadata": self._metadata(),
            "statuses": [obj for obj, _, _ in batch],
        }
        _, ref, wa_id = batch[0]
        self._deliver(self._envelope("messages", value), "status", ref, wa_id)

    def _status_object(
        self, message: StoredMessage, status: str, error: dict[str, Any] | None
    ) -> dict[str, Any]:
        """A §3.1 status; ``failed`` carries ``errors`` and no pricing."""
        obj: dict[str, Any] = {
            "id": message.id,
            "status": status,
            "timestamp": str(int(time.time())),
            "recipient_id": message.wa_id,
        }
        if message.biz_opaque_callback_data:
            obj["biz_opaque_callback_data"] = message.biz_opaque_callback_data
        if status == "failed":
            obj["errors"] = [error or webhook_error(131000)]
            return obj
        conversation = self._pricing_conversation(message.wa_id, message.category)
        conv: dict[str, Any] = {"id": conversation.id}
        if status == "sent" and not conversation.announced:
            conv["expiration_timestamp"] = str(conversation.expires_at)
            conversation.announced = True
        conv["origin"] = {"type": message.category}
        obj["conversation"] = conv
        free = message.category == "service"
        obj["pricing"] = {
            "billable": not free,
            "pricing_model": "PMP",
            "category": message.category,
            "type": "free_customer_service" if free else "regular",
        }
        return obj

    def _pricing_conversation(self, wa_id: str, category: str) -> PricingConversation:
        key = (wa_id, category)
        current = self.state.pricing.get(key)
        if current is None or current.expires_at <= time.time():
            current = PricingConversation(
                id=secrets.token_hex(16), expires_at=int(time.time() + 24 * 3600)
            )
            self.state.pricing[key] = current
        return current

    def mark_read(self, payload: dict[str, Any]) -> dict[str, Any]:
        """§4.4: mark an inbound message (and the earlier ones) read; optional typing."""
        if payload.get("messaging_product") != "whatsapp":
            raise GraphError(100, "The parameter messaging_product is required.")
        message_id = payload.get("message_id")
        if not isinstance(message_id, str) or not message_id:
            raise required("message_id")
        target = self.state.messages.get(message_id)
        if target is None or target.direction != "in":
            raise GraphError(
                100, f"Invalid parameter message_id: {message_id} is not an inbound message."
            )
        for message in self.state.by_wa.get(target.wa_id, []):
            if message.direction == "in" and message.seq <= target.seq:
                self.state.set_status(message, "read")
        typing = payload.get("typing_indicator")
        if isinstance(typing, dict) and typing.get("type") == "text":
            self.state.contact(target.wa_id).typing_until = time.time() + TYPING_S
            self.state.touch(target)
        return {"success": True}

    # --- media ------------------------------------------------------------------------------
    def get_media(self, media_id: str) -> MediaItem | None:
        return self.state.media.get(media_id)

    def store_media(self, data: bytes, mime_type: str, filename: str | None) -> MediaItem:
        item = MediaItem(id=new_numeric_id(), data=data, mime_type=mime_type, filename=filename)
        self.state.media[item.id] = item
        return item

    def media_signature(self, media_id: str, expires: int) -> str:
        """Download URLs are signed so they cannot be forged or extended."""
        message = f"{media_id}:{expires}".encode()
        return hmac.new(self.config.app_secret.encode(), message, hashlib.sha256).hexdigest()[:32]

    def media_url(self, item: MediaItem, base_url: str) -> str:
        expires = int(time.time() + self.config.media_url_ttl_s)
        return (
            f"{base_url}/lookaside/whatsapp_business/attachments/?mid={item.id}"
            f"&ext={expires}&hash={self.media_signature(item.id, expires)}"
        )

    def media_for_download(self, media_id: str, expires: str, signature: str) -> MediaItem:
        try:
            expires_at = int(expires)
        except ValueError:
            raise GraphError(100, "Invalid media URL.", http_status=404) from None
        expected = self.media_signature(media_id, expires_at)
        if not hmac.compare_digest(expected, signature):
            raise GraphError(100, "Invalid media URL signature.", http_status=404)
        if expires_at < time.time():
            raise GraphError(
                100, "URL signature expired; fetch the media URL again.", http_status=404
            )
        item = self.get_media(media_id)
        if item is None:
            raise GraphError(100, "Media not found.", http_status=404)
        return item

    # --- templates ----------------------------------------------------------------------------
    def create_template(self, payload: Any) -> Template:
        template = self.templates.create(payload)
        self.spawn(self._review_later(template))
        event(log, "template.created", name=template.name, language=template.language)
        return template

    def edit_template(self, template: Template, payload: Any) -> None:
        self.templates.edit(template, payload)
        self.spawn(self._review_later(template))

    async def _review_later(self, template: Template) -> None:
        await asyncio.sleep(self.config.template_review_delay_s)
        if self.templates.get(template.id) is not template or template.status != "PENDING":
            return
        outcome = self.templates.review(template)
        self.templates.apply(template, outcome)
        event(
            log,
            "template.reviewed",
            name=template.name,
            status=outcome.status,
            reason=outcome.reason,
        )
        self.emit_template_status(template, outcome)

    def set_template_status(self, template_id: str, status: str, reason: str | None) -> Template:
        """Sandbox-only: force PAUSED/DISABLED/... to exercise 132015/132016."""
        template = self.templates.get(template_id)
        if template is None:
            raise SandboxApiError(404, "not_found", f"template {template_id} not found")
        if status not in TEMPLATE_STATUSES:
            raise SandboxApiError(
                400, "bad_status", f"status must be one of {', '.join(TEMPLATE_STATUSES)}"
            )
        outcome = ReviewOutcome(status, reason or "NONE")
        self.templates.apply(template, outcome)
        self.emit_template_status(template, outcome)
        return template

    def emit_template_status(self, template: Template, outcome: ReviewOutcome) -> None:
        value: dict[str, Any] = {
            "event": outcome.status,
            "message_template_id": int(template.id),
            "message_template_name": template.name,
            "message_template_language": template.language,
            "reason": outcome.reason,
            "message_template_category": template.category,
        }
        if outcome.rejection_info:
            value["rejection_info"] = outcome.rejection_info
        if outcome.status == "PAUSED":
            value["other_info"] = {
                "title": "FIRST_PAUSE",
                "description": "Your template has been paused for 3 hours due to low quality.",
            }
        if outcome.status == "DISABLED":
            value["disable_info"] = {"disable_date": int(time.time())}
        payload = self._envelope("message_template_status_update", value, with_time=True)
        self._deliver(payload, "template", template.id, None)

    # --- inbound (user -> bot) -------------------------------------------------------------------
    async def inbound(self, spec: dict[str, Any]) -> tuple[StoredMessage, asyncio.Task[Any]]:
        """Create a user message, open the window and deliver the signed webhook."""
        try:
            wa_id = normalize_wa_id(spec.get("from"))
        except GraphError:
            raise SandboxApiError(
                400, "bad_request", "'from' must be a phone number like 573001234567"
            ) from None
        contact = self.state.contact(wa_id)
        if isinstance(spec.get("name"), str) and spec["name"].strip():
            contact.name = spec["name"].strip()[:100]
        forced_id = spec.get("id")
        message = self.state.messages.get(forced_id) if isinstance(forced_id, str) else None
        if message is not None and message.direction != "in":
            raise SandboxApiError(409, "conflict", f"{forced_id} is an outbound message id")
        if message is None:
            message = self._new_inbound(spec, wa_id, forced_id)
        contact.last_inbound_at = time.time()
        value = {
            "messaging_product": "whatsapp",
            "metadata": self._metadata(),
            "contacts": [{"profile": {"name": contact.name or "Usuario"}, "wa_id": wa_id}],
            "messages": [message.body],
        }
        delivery = self.webhooks.prepare(
            self._envelope("messages", value),
            app_secret=self.config.app_secret,
            url=self.config.webhook_url,
            kind="message",
            ref=message.id,
            wa_id=wa_id,
        )
        task = self.spawn(self._deliver_inbound(message, delivery, bool(spec.get("deliver_twice"))))
        event(log, "inbound.created", type=message.type, wa_id=mask_phone(wa_id))
        return message, task

    def _new_inbound(self, spec: dict[str, Any], wa_id: str, forced_id: Any) -> StoredMessage:
        wamid = forced_id if isinstance(forced_id, str) and forced_id else new_wamid(wa_id)
        timestamp = int(time.time())
        ctx = InboundContext(
            business_number=self.config.display_phone_number,
            store_media=self.store_media,
            get_media=self.get_media,
            find_context=lambda kind, value: self._offered_by(wa_id, kind, value),
        )
        try:
            body = build_message(spec, wamid=wamid, wa_id=wa_id, timestamp=timestamp, ctx=ctx)
        except InboundError as exc:
            raise SandboxApiError(400, "bad_request", str(exc)) from None
        return self.state.add_message(
            id=body.get("id", wamid),
            wa_id=wa_id,
            direction="in",
            type=str(body.get("type", "unknown")),
            timestamp=timestamp,
            status="accepted",
            body=body,
            context_id=(body.get("context") or {}).get("id"),
        )

    async def _deliver_inbound(
        self, message: StoredMessage, delivery: Delivery, twice: bool
    ) -> Delivery:
        lock = self._inbound_locks.setdefault(message.wa_id, asyncio.Lock())
        async with lock:
            result = await self._send_delivery(delivery)
        if result.state == "delivered":
            self.state.set_status(message, "sent")
        else:
            self.state.set_status(
                message,
                "failed",
                {
                    "code": "webhook_failed",
                    "title": "Webhook delivery failed",
                    "details": _delivery_failure(result),
                    "attempts": len(result.attempts),
                    "http_status": result.last_status,
                },
            )
        if twice:
            await self._send_delivery(self.webhooks.duplicate(delivery))
        return result

    def _offered_by(self, wa_id: str, kind: str, value: str) -> str | None:
        """The latest outbound message that offered this button id / row id / payload."""
        for message in reversed(self.state.by_wa.get(wa_id, [])):
            if message.direction == "out" and value in _offered_values(message, kind):
                return message.id
        return None

    # --- web chat support -------------------------------------------------------------------------
    def read_up_to(self, wa_id: str, up_to_seq: int) -> int:
        """The user saw the bot's messages up to ``up_to_seq``: send ``read`` statuses."""
        count = 0
        for message in self.state.by_wa.get(wa_id, []):
            if message.direction != "out" or message.seq > up_to_seq:
                continue
            if message.status in ("sent", "delivered"):
                self.emit_status(message, "read")
                count += 1
            elif message.status == "accepted":
                message.read_requested = True  # the status pipeline emits it after delivered
                count += 1
        return count

    def set_window(self, wa_id: str, is_open: bool) -> dict[str, Any]:
        contact = self.state.contact(wa_id)
        contact.last_inbound_at = time.time() if is_open else None
        self.state.feed.notify()
        return self.state.window_view(wa_id, self.config.window_s)

    async def poll(self, wa_id: str, after: int, wait: float) -> dict[str, Any]:
        """Long-poll: messages changed after ``after``, waiting up to ``wait`` seconds."""
        deadline = time.monotonic() + max(0.0, min(wait, self.config.max_poll_wait_s))
        while True:
            changed = self.state.changed_since(wa_id, after)
            remaining = deadline - time.monotonic()
            if changed or remaining <= 0:
                break
            await self.state.feed.wait(remaining)
        contact = self.state.contacts.get(wa_id)
        return {
            "messages": [m.to_api() for m in sorted(changed, key=lambda m: m.seq)],
            "last_seq": self.state.feed.rev,
            "typing": bool(contact and contact.typing_until > time.time()),
            "window": self.state.window_view(wa_id, self.config.window_s),
        }

    async def verify_webhook(self, verify_token: str | None = None) -> dict[str, Any]:
        """Run the §1.1 GET handshake against the bot and report whether it echoed."""
        challenge = str(1_000_000_000 + secrets.randbelow(9 * 10**9))
        params = {
            "hub.mode": "subscribe",
            "hub.challenge": challenge,
            "hub.verify_token": verify_token
            if verify_token is not None
            else self.config.verify_token,
        }
        try:
            response = await self.webhooks.client.get(
                self.config.webhook_url, params=params, timeout=self.config.webhook_timeout_s
            )
        except httpx.HTTPError as exc:
            return {
                "ok": False,
                "status": None,
                "challenge": challenge,
                "error": type(exc).__name__,
            }
        echoed = response.text.strip()
        ok = response.status_code == 200 and echoed == challenge
        event(log, "webhook.verify", ok=ok, status=response.status_code)
        return {
            "ok": ok,
            "status": response.status_code,
            "challenge": challenge,
            "echo": echoed[:200],
        }

    async def set_role(self, wa_id: str, role: str, name: str | None) -> dict[str, Any]:
        """Forward a role change to the bot's admin API; 502 when the bot cannot take it."""
        if role not in ROLES:
            raise SandboxApiError(400, "bad_role", f"role must be one of {', '.join(ROLES)}")
        contact = self.state.contact(wa_id)
        profile_name = (name or contact.name or "").strip() or None
        url = f"{self.config.bot_admin_url.rstrip('/')}/admin/contacts/{wa_id}"
        try:
            response = await self.webhooks.client.put(
                url,
                json={"role": role, "profile_name": profile_name},
                headers={"Authorization": f"Bearer {self.config.admin_token}"},
                timeout=self.config.admin_timeout_s,
            )
        except httpx.HTTPError as exc:
            event(log, "role.unreachable", logging.WARNING, wa_id=mask_phone(wa_id))
            raise SandboxApiError(
                502,
                "bot_unreachable",
                f"The bot admin API at {self.config.bot_admin_url} did not answer "
                f"({type(exc).__name__}).",
            ) from None
        if not 200 <= response.status_code < 300:
            event(
                log,
                "role.rejected",
                logging.WARNING,
                wa_id=mask_phone(wa_id),
                status=response.status_code,
            )
            raise SandboxApiError(
                502,
                "bot_rejected",
                f"The bot admin API answered HTTP {response.status_code}: {response.text[:300]}",
            )
        contact.role = role
        if profile_name:
            contact.name = profile_name
        event(log, "role.set", wa_id=mask_phone(wa_id), role=role)
        try:
            bot_response: Any = response.json()
        except ValueError:
            bot_response = response.text[:300]
        return {
            "ok": True,
            "wa_id": wa_id,
            "role": role,
            "bot_status": response.status_code,
            "bot_response": bot_response,
        }


def _same_kind(current: Any, value: Any) -> bool:
    """JSON gives ints for floats; booleans are not numbers here."""
    if isinstance(current, bool) or isinstance(value, bool):
        return isinstance(current, bool) and isinstance(value, bool)
    if isinstance(current, (int, float)):
        return isinstance(value, (int, float)) and value >= 0
    return isinstance(value, type(current))


def _delivery_failure(delivery: Delivery) -> str:
    last = delivery.attempts[-1] if delivery.attempts else None
    reason = f"HTTP {last.status_code}" if last and last.status_code else (last and last.error)
    return f"{len(delivery.attempts)} attempt(s) to {delivery.url}; last: {reason or 'no answer'}"


def _offered_values(message: StoredMessage, kind: str) -> set[str]:
    """Button ids, row ids or quick-reply payloads an outbound message offered."""
    if kind == "payload" and message.template_rendered:
        return {str(b.get("payload")) for b in message.template_rendered.get("buttons", [])}
    interactive = message.body.get("interactive") if message.type == "interactive" else None
    if not isinstance(interactive, dict):
        return set()
    action = interactive.get("action") or {}
    if kind == "button_id":
        return {str((b.get("reply") or {}).get("id")) for b in action.get("buttons") or []}
    if kind == "row_id":
        return {
            str(row.get("id"))
            for section in action.get("sections") or []
            for row in section.get("rows") or []
        }
    return set()


__all__ = ["FAULT_MODES", "ROLES", "SandboxApiError", "WappbizEmulator"]
