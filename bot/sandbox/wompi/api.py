"""Wompi's REST API as the emulator serves it, under ``/wompi/v1``.

Successful answers are ``{"data": ...}``; errors use Wompi's envelope
``{"error": {"type": ..., "reason": "..."}}`` or, for 422, ``{"error": {"type":
"INPUT_VALIDATION_ERROR", "messages": {field: [...]}}}``. Injected faults are applied
in a blueprint middleware, so they hit every API route the same way and never the
hosted checkout or the sandbox's own control routes.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from sanic import Blueprint, Request
from sanic.response import HTTPResponse

from bot.sandbox.http import reply
from bot.sandbox.wompi.emulator import WompiApiError, WompiEmulator

log = logging.getLogger(__name__)

API_PREFIX = "/wompi/v1"

_FAULT_TYPES = {
    429: "TOO_MANY_REQUESTS",
    500: "INTERNAL_SERVER_ERROR",
    502: "BAD_GATEWAY",
    503: "SERVICE_UNAVAILABLE",
    504: "GATEWAY_TIMEOUT",
}


def json_body(request: Request) -> Any:
    """The JSON body, or a 422 in Wompi's shape (Sanic's own parser would answer 400)."""
    if not request.body:
        return {}
    try:
        return json.loads(request.body)
    except ValueError:
        raise WompiApiError.validation({"body": ["El cuerpo no es JSON válido"]}) from None


def api_blueprint(emulator: WompiEmulator, name: str = "wompi_api") -> Blueprint:
    bp = Blueprint(name, url_prefix=API_PREFIX)

    @bp.middleware("request")
    async def inject_fault(request: Request) -> HTTPResponse | None:
        fault = emulator.take_fault(request.method, request.path)
        if fault is None:
            return None
        if fault.status == "timeout":
            await asyncio.sleep(emulator.config.fault_timeout_s)
            status = 504
        else:
            status = int(fault.status)
        error_type = _FAULT_TYPES.get(status, "SANDBOX_INJECTED_FAULT")
        body = {"error": {"type": error_type, "reason": "Falla inyectada por el sandbox"}}
        return reply(body, status)

    @bp.exception(WompiApiError)
    async def api_error(_request: Request, error: WompiApiError) -> HTTPResponse:
        return reply(error.body(), error.status)

    @bp.post("/payment_links")
    async def create_link(request: Request) -> HTTPResponse:
        emulator.authenticate(request.headers.get("authorization"), "private")
        link = emulator.create_link(json_body(request))
        return reply({"data": link.to_api()}, 201)

    @bp.get("/payment_links/<link_id>")
    async def get_link(_request: Request, link_id: str) -> HTTPResponse:
        return reply({"data": emulator.get_link(link_id).to_api()})

    @bp.patch("/payment_links/<link_id>")
    async def update_link(request: Request, link_id: str) -> HTTPResponse:
        emulator.authenticate(request.headers.get("authorization"), "private")
        return reply({"data": emulator.update_link(link_id, json_body(request)).to_api()})

    @bp.get("/transactions/<transaction_id>")
    async def get_transaction(request: Request, transaction_id: str) -> HTTPResponse:
        emulator.authenticate(request.headers.get("authorization"), "public")
        return reply({"data": emulator.get_transaction(transaction_id).to_api()})

    @bp.get("/transactions")
    async def search(request: Request) -> HTTPResponse:
        emulator.authenticate(request.headers.get("authorization"), "private")
        reference = request.args.get("reference")
        if not reference:
            raise WompiApiError.validation({"reference": ['"reference" es requerido']})
        found = emulator.transactions_by_reference(reference)
        return reply({"data": [t.to_api() for t in found]})

    @bp.post("/transactions/<transaction_id>/void")
    async def void(request: Request, transaction_id: str) -> HTTPResponse:
        emulator.authenticate(request.headers.get("authorization"), "private")
        return reply({"data": emulator.void(transaction_id).to_api()})

    @bp.get("/merchants/<public_key>")
    async def merchant(_request: Request, public_key: str) -> HTTPResponse:
        return reply({"data": emulator.merchant(public_key)})

    @bp.get("/pse/financial_institutions")
    async def banks(request: Request) -> HTTPResponse:
        emulator.authenticate(request.headers.get("authorization"), "public")
        return reply({"data": emulator.financial_institutions()})

    @bp.exception(Exception)
    async def unexpected(_request: Request, error: Exception) -> HTTPResponse:
        """A bug in the emulator still answers in Wompi's envelope (clients parse it)."""
        status = getattr(error, "status_code", 500)
        if status >= 500:
            log.exception("wompi_sandbox.unhandled", exc_info=error)
        body = {"error": {"type": "INTERNAL_SERVER_ERROR", "reason": str(error) or "error"}}
        return reply(body, status)

    return bp
