"""The sandbox's own control routes, under ``/wompi/_sandbox`` (no auth, loopback only).

They exist for tests, benchmarks and developers: see what webhooks were sent and what
the bot answered, send one again (duplicate delivery), make the API fail, pay a link
without a browser (the very code path the hosted page uses), and start over.
"""

from __future__ import annotations

from typing import Any

from sanic import Blueprint, Request
from sanic.response import HTTPResponse

from bot.sandbox.http import reply
from bot.sandbox.wompi.api import json_body
from bot.sandbox.wompi.emulator import WompiApiError, WompiEmulator

CONTROL_PREFIX = "/wompi/_sandbox"


def _object(request: Request) -> dict[str, Any]:
    body = json_body(request)
    if not isinstance(body, dict):
        raise WompiApiError.validation({"body": ["El cuerpo debe ser un objeto JSON"]})
    return body


def control_blueprint(emulator: WompiEmulator, name: str = "wompi_sandbox") -> Blueprint:
    bp = Blueprint(name, url_prefix=CONTROL_PREFIX)

    @bp.exception(WompiApiError)
    async def api_error(_request: Request, error: WompiApiError) -> HTTPResponse:
        return reply(error.body(), error.status)

    @bp.get("/deliveries")
    async def deliveries(request: Request) -> HTTPResponse:
        transaction_id = request.args.get("transaction_id")
        status = request.args.get("status")
        found = [
            d.to_api()
            for d in emulator.events.deliveries
            if (transaction_id is None or d.transaction_id == transaction_id)
            and (status is None or d.transaction_status == status)
        ]
        return reply({"data": found})

    @bp.post("/deliveries/<delivery_id:int>/redeliver")
    async def redeliver(_request: Request, delivery_id: int) -> HTTPResponse:
        return reply({"data": (await emulator.redeliver(delivery_id)).to_api()}, 201)

    @bp.get("/faults")
    async def faults(_request: Request) -> HTTPResponse:
        return reply({"data": [f.to_api() for f in emulator.faults]})

    @bp.post("/faults")
    async def add_fault(request: Request) -> HTTPResponse:
        return reply({"data": emulator.add_fault(_object(request))}, 201)

    @bp.delete("/faults")
    async def clear_faults(_request: Request) -> HTTPResponse:
        emulator.faults.clear()
        return reply({"data": []})

    @bp.get("/links/<link_id>")
    async def link(_request: Request, link_id: str) -> HTTPResponse:
        found = emulator.get_link(link_id)
        return reply(
            {
                "data": {
                    **found.to_api(),
                    "checkout_url": f"{emulator.config.checkout_base_url}/l/{found.id}",
                    "transactions": [t.to_api() for t in emulator.link_transactions(found.id)],
                }
            }
        )

    @bp.post("/links/<link_id>/pay")
    async def pay(request: Request, link_id: str) -> HTTPResponse:
        """``{"method": "NEQUI", "phone": ..., "wait": true?}``; wait = answer when final."""
        body = _object(request)
        wait = bool(body.pop("wait", False))
        transaction = await emulator.pay(link_id, body, wait=wait)
        return reply({"data": transaction.to_api()}, 201)

    @bp.post("/links/<link_id>/expire")
    async def expire(_request: Request, link_id: str) -> HTTPResponse:
        return reply({"data": emulator.expire_link(link_id).to_api()})

    @bp.get("/transactions")
    async def transactions(request: Request) -> HTTPResponse:
        link_id = request.args.get("payment_link_id")
        found = [
            t.to_api()
            for t in emulator.transactions.values()
            if link_id is None or t.payment_link_id == link_id
        ]
        return reply({"data": found})

    @bp.get("/config")
    async def get_config(_request: Request) -> HTTPResponse:
        return reply({"data": emulator.config.public_view()})

    @bp.post("/config")
    async def set_config(request: Request) -> HTTPResponse:
        return reply({"data": emulator.tune(_object(request))})

    @bp.post("/reset")
    async def reset(_request: Request) -> HTTPResponse:
        await emulator.reset()
        return reply({"data": {"ok": True}})

    return bp
