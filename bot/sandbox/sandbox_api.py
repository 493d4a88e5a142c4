"""The sandbox's own API: what a WhatsApp user (web chat, CLI, tests) can do.

No authentication: the sandbox binds to loopback and stands in for people's phones.
Errors are ``{"error": "<key>", "message": "..."}`` with a 4xx/5xx status; the web
chat maps the key to a localised sentence.
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any
from urllib.parse import quote

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, raw

from bot.sandbox.emulator_state import FAULT_MODES
from bot.sandbox.http import reply
from bot.sandbox.wappbiz_emulator import SandboxApiError, WappbizEmulator

_WA_ID = re.compile(r"^\d{7,15}$")


def _body(request: Request) -> dict[str, Any]:
    if not request.body:
        return {}
    try:
        data = json.loads(request.body)
    except ValueError:
        raise SandboxApiError(400, "bad_json", "the request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise SandboxApiError(400, "bad_json", "the request body must be a JSON object")
    return data


def _int_arg(request: Request, name: str, default: int = 0) -> int:
    try:
        return int(request.args.get(name, default))
    except (TypeError, ValueError):
        raise SandboxApiError(400, "bad_request", f"{name} must be an integer") from None


def _wa_id(value: str) -> str:
    if not _WA_ID.match(value):
        raise SandboxApiError(400, "bad_wa_id", "wa_id must be 7-15 digits, e.g. 573001234567")
    return value


def sandbox_blueprint(emulator: WappbizEmulator) -> Blueprint:
    bp = Blueprint("sandbox_api")

    @bp.exception(SandboxApiError)
    async def api_error(_request: Request, error: SandboxApiError) -> HTTPResponse:
        return reply({"error": error.error, "message": error.message}, error.status)

    @bp.get("/health")
    async def health(_request: Request) -> HTTPResponse:
        return reply({"status": "ok"})

    @bp.get("/sandbox/api/config")
    async def get_config(_request: Request) -> HTTPResponse:
        return reply(emulator.config.public_view())

    @bp.post("/sandbox/api/config")
    async def set_config(request: Request) -> HTTPResponse:
        return reply(emulator.tune(_body(request)))

    @bp.post("/sandbox/api/inbound")
    async def inbound(request: Request) -> HTTPResponse:
        message, task = await emulator.inbound(_body(request))
        result: dict[str, Any] = {"id": message.id, "seq": message.seq}
        if request.args.get("sync") in ("1", "true"):
            delivery = await asyncio.shield(task)
            result["webhook_status"] = delivery.last_status
            result["webhook_attempts"] = len(delivery.attempts)
        return reply(result)

    @bp.get("/sandbox/api/conversations/<wa_id>/messages")
    async def conversation(request: Request, wa_id: str) -> HTTPResponse:
        try:
            wait = float(request.args.get("wait", 0))
        except ValueError:
            raise SandboxApiError(400, "bad_request", "wait must be a number") from None
        result = await emulator.poll(_wa_id(wa_id), _int_arg(request, "after"), wait)
        contact = emulator.state.contacts.get(wa_id)
        result["contact"] = {"name": contact.name, "role": contact.role} if contact else None
        return reply(result)

    @bp.post("/sandbox/api/conversations/<wa_id>/read")
    async def read(request: Request, wa_id: str) -> HTTPResponse:
        body = _body(request)
        up_to = body.get("up_to_seq")
        if not isinstance(up_to, int):
            raise SandboxApiError(400, "bad_request", "up_to_seq must be an integer")
        return reply({"marked": emulator.read_up_to(_wa_id(wa_id), up_to)})

    @bp.post("/sandbox/api/conversations/<wa_id>/window")
    async def window(request: Request, wa_id: str) -> HTTPResponse:
        is_open = _body(request).get("open")
        if not isinstance(is_open, bool):
            raise SandboxApiError(400, "bad_request", "open must be true or false")
        return reply(emulator.set_window(_wa_id(wa_id), is_open))

    @bp.get("/sandbox/api/messages")
    async def messages(request: Request) -> HTTPResponse:
        wa_id = request.args.get("to") or request.args.get("wa_id")
        direction = request.args.get("direction")
        if direction not in (None, "in", "out"):
            raise SandboxApiError(400, "bad_request", "direction must be 'in' or 'out'")
        found = emulator.state.query(wa_id, direction, _int_arg(request, "since_seq"))
        return reply({"messages": [m.to_api() for m in found], "last_seq": emulator.state.feed.rev})

    @bp.get("/sandbox/api/webhook-deliveries")
    async def deliveries(request: Request) -> HTTPResponse:
        kind, ref = request.args.get("kind"), request.args.get("ref")
        found = [
            d.to_api()
            for d in emulator.webhooks.deliveries
            if (kind is None or d.kind == kind) and (ref is None or d.ref == ref)
        ]
        return reply({"deliveries": found})

    @bp.delete("/sandbox/api/reset")
    async def reset(_request: Request) -> HTTPResponse:
        await emulator.reset()
        return reply({"ok": True})

    @bp.get("/sandbox/api/faults")
    async def get_faults(_request: Request) -> HTTPResponse:
        return reply(emulator.state.faults.to_api())

    @bp.post("/sandbox/api/faults")
    async def add_fault(request: Request) -> HTTPResponse:
        body = _body(request)
        mode, count = str(body.get("mode")), body.get("count", 1)
        if mode not in FAULT_MODES:
            raise SandboxApiError(
                400, "bad_mode", f"mode must be one of {', '.join(sorted(FAULT_MODES))}"
            )
        if not isinstance(count, int) or count < 0:
            raise SandboxApiError(400, "bad_request", "count must be a non-negative integer")
        emulator.state.faults.add(mode, count)
        return reply(emulator.state.faults.to_api())

    @bp.delete("/sandbox/api/faults")
    async def clear_faults(_request: Request) -> HTTPResponse:
        emulator.state.faults.clear()
        return reply(emulator.state.faults.to_api())

    @bp.post("/sandbox/api/verify")
    async def verify(request: Request) -> HTTPResponse:
        token = _body(request).get("verify_token")
        return reply(await emulator.verify_webhook(token if isinstance(token, str) else None))

    @bp.post("/sandbox/api/contacts/<wa_id>/role")
    async def role(request: Request, wa_id: str) -> HTTPResponse:
        body = _body(request)
        name = body.get("name") if isinstance(body.get("name"), str) else None
        return reply(await emulator.set_role(_wa_id(wa_id), str(body.get("role")), name))

    @bp.get("/sandbox/api/templates")
    async def templates(_request: Request) -> HTTPResponse:
        return reply({"data": [t.to_api() for t in emulator.templates.query()]})

    @bp.post("/sandbox/api/templates/<template_id>/status")
    async def template_status(request: Request, template_id: str) -> HTTPResponse:
        body = _body(request)
        reason = body.get("reason") if isinstance(body.get("reason"), str) else None
        template = emulator.set_template_status(template_id, str(body.get("status")), reason)
        return reply(template.to_api())

    @bp.get("/sandbox/media/<media_id>")
    async def media(_request: Request, media_id: str) -> HTTPResponse:
        item = emulator.get_media(media_id)
        if item is None:
            raise SandboxApiError(404, "not_found", f"media {media_id} not found")
        headers = {"Cache-Control": "private, max-age=3600"}
        if item.filename:
            headers["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(item.filename)}"
        return raw(item.data, content_type=item.mime_type, headers=headers)

    return bp
