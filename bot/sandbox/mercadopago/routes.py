"""HTTP faces of the Mercado Pago emulator, all under ``/mercadopago``.

Three blueprints: the API the bot (and the official SDK) calls, with Bearer auth and
the error envelope; the hosted checkout a buyer opens from WhatsApp; and the sandbox's
own control routes (no auth: the sandbox binds to loopback and stands in for buyers,
banks and Efecty counters).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, html

from bot.sandbox.http import reply
from bot.sandbox.mercadopago.checkout_page import render_checkout
from bot.sandbox.mercadopago.emulator import (
    Delivery,
    MercadoPagoApiError,
    MercadoPagoEmulator,
)

PREFIX = "/mercadopago"
Handler = Callable[..., Awaitable[HTTPResponse]]


def _error_reply(error: MercadoPagoApiError) -> HTTPResponse:
    return reply(error.envelope(), error.status)


def _body(request: Request) -> Any:
    if not request.body:
        return {}
    try:
        return json.loads(request.body)
    except ValueError:
        raise MercadoPagoApiError(
            400, "bad_request", "the request body is not valid JSON"
        ) from None


def _object(request: Request) -> dict[str, Any]:
    data = _body(request)
    if not isinstance(data, dict):
        raise MercadoPagoApiError(400, "bad_request", "the request body must be a JSON object")
    return data


def _sync(request: Request) -> bool:
    return request.args.get("sync") in ("1", "true")


def _public_base(request: Request) -> str:
    return f"{request.scheme}://{request.host}"


def _payment_answer(
    emulator: MercadoPagoEmulator, payment: dict[str, Any], delivery: Delivery | None
) -> dict[str, Any]:
    return {
        "payment": payment,
        "delivery": delivery.to_api() if delivery else None,
        "redirect_url": emulator.redirect_url(payment),
        "auto_return": emulator.auto_return(payment),
        "auto_return_delay_s": emulator.config.auto_return_delay_s,
    }


def api_blueprint(emulator: MercadoPagoEmulator) -> Blueprint:
    """The public API: preferences, payments, merchant orders."""
    bp = Blueprint("mercadopago_api", url_prefix=PREFIX)

    @bp.exception(MercadoPagoApiError)
    async def api_error(_request: Request, error: MercadoPagoApiError) -> HTTPResponse:
        return _error_reply(error)

    def guarded(handler: Handler) -> Handler:
        """Faults first (a proxy in front of the API), then the Bearer token."""

        @wraps(handler)
        async def wrapper(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
            fault = emulator.take_fault(request.path)
            if fault is not None:
                return _error_reply(fault)
            emulator.check_token(request.headers.get("authorization"))
            return await handler(request, *args, **kwargs)

        return wrapper

    @bp.post("/checkout/preferences")
    @guarded
    async def create_preference(request: Request) -> HTTPResponse:
        key = request.headers.get("x-idempotency-key")
        cached = emulator.idempotent_answer("POST", request.path, key)
        if cached is not None:
            return reply(cached[1], cached[0])
        preference = emulator.create_preference(_body(request), _public_base(request))
        emulator.remember_answer("POST", request.path, key, 201, preference)
        return reply(preference, 201)

    @bp.get("/checkout/preferences/<pref_id>")
    @guarded
    async def get_preference(_request: Request, pref_id: str) -> HTTPResponse:
        return reply(emulator.get_preference(pref_id))

    @bp.put("/checkout/preferences/<pref_id>")
    @guarded
    async def update_preference(request: Request, pref_id: str) -> HTTPResponse:
        return reply(emulator.update_preference(pref_id, _body(request)))

    @bp.get("/v1/payments/search")
    @guarded
    async def search_payments(request: Request) -> HTTPResponse:
        args = {name: request.args.get(name) for name in request.args}
        return reply(emulator.search_payments({k: v for k, v in args.items() if v is not None}))

    @bp.get("/v1/payments/<payment_id>")
    @guarded
    async def get_payment(_request: Request, payment_id: str) -> HTTPResponse:
        return reply(emulator.get_payment(payment_id))

    @bp.get("/merchant_orders/<order_id>")
    @guarded
    async def get_merchant_order(_request: Request, order_id: str) -> HTTPResponse:
        return reply(emulator.get_merchant_order(order_id))

    return bp


def checkout_blueprint(emulator: MercadoPagoEmulator) -> Blueprint:
    """The hosted checkout (``init_point``): a page and the JSON call its button makes."""
    bp = Blueprint("mercadopago_checkout", url_prefix=PREFIX)

    @bp.exception(MercadoPagoApiError)
    async def api_error(_request: Request, error: MercadoPagoApiError) -> HTTPResponse:
        return _error_reply(error)

    @bp.get("/checkout/pay/<pref_id>")
    async def page(request: Request, pref_id: str) -> HTTPResponse:
        lang = "en" if request.args.get("lang") == "en" else "es"
        preference = emulator.preferences.get(pref_id)
        if preference is None:
            return html(render_checkout(emulator, None, lang), status=404)
        status = 410 if emulator.preference_expired(preference) else 200
        return html(render_checkout(emulator, pref_id, lang), status=status)

    @bp.post("/checkout/pay/<pref_id>")
    async def pay(request: Request, pref_id: str) -> HTTPResponse:
        return await _pay(emulator, request, pref_id)

    return bp


async def _pay(emulator: MercadoPagoEmulator, request: Request, pref_id: str) -> HTTPResponse:
    """Body ``{"outcome", "method"?, "status_detail"?, "payer_email"?}``; page and tests alike."""
    body = _object(request)
    payment, delivery = emulator.pay(
        pref_id,
        str(body.get("outcome") or ""),
        method=body.get("method") or None,
        status_detail=body.get("status_detail") or None,
        payer_email=body.get("payer_email") or None,
    )
    if _sync(request):
        await emulator.wait(delivery)
    return reply(_payment_answer(emulator, payment, delivery), 201)


def sandbox_blueprint(emulator: MercadoPagoEmulator) -> Blueprint:
    """``/mercadopago/_sandbox/…``: what buyers, banks and tests do to the emulator."""
    bp = Blueprint("mercadopago_sandbox", url_prefix=f"{PREFIX}/_sandbox")

    @bp.exception(MercadoPagoApiError)
    async def api_error(_request: Request, error: MercadoPagoApiError) -> HTTPResponse:
        return _error_reply(error)

    @bp.get("/config")
    async def config(_request: Request) -> HTTPResponse:
        return reply(emulator.config.public_view())

    @bp.get("/preferences")
    async def preferences(_request: Request) -> HTTPResponse:
        return reply({"preferences": list(emulator.preferences.values())})

    @bp.get("/payments")
    async def payments(_request: Request) -> HTTPResponse:
        return reply({"payments": list(emulator.payments.values())})

    @bp.post("/preferences/<pref_id>/pay")
    async def pay(request: Request, pref_id: str) -> HTTPResponse:
        return await _pay(emulator, request, pref_id)

    @bp.post("/payments/<payment_id>/approve")
    async def approve(request: Request, payment_id: str) -> HTTPResponse:
        payment, delivery = emulator.approve(payment_id)
        if _sync(request):
            await emulator.wait(delivery)
        return reply(_payment_answer(emulator, payment, delivery))

    @bp.post("/payments/<payment_id>/status")
    async def set_status(request: Request, payment_id: str) -> HTTPResponse:
        body = _object(request)
        payment, delivery = emulator.set_status(
            payment_id, str(body.get("status") or ""), body.get("status_detail") or None
        )
        if _sync(request):
            await emulator.wait(delivery)
        return reply(_payment_answer(emulator, payment, delivery))

    @bp.get("/deliveries")
    async def deliveries(request: Request) -> HTTPResponse:
        payment_id = request.args.get("payment_id")
        items = [
            d.to_api()
            for d in emulator.deliveries.values()
            if payment_id is None or d.payment_id == payment_id
        ]
        return reply({"deliveries": items})

    @bp.post("/deliveries/<delivery_id:int>/redeliver")
    async def redeliver(request: Request, delivery_id: int) -> HTTPResponse:
        delivery = emulator.redeliver(delivery_id)
        if _sync(request):
            await emulator.wait(delivery)
        return reply(delivery.to_api(), 201)

    @bp.get("/faults")
    async def faults(_request: Request) -> HTTPResponse:
        return reply({"faults": [f.to_api() for f in emulator.faults]})

    @bp.post("/faults")
    async def add_fault(request: Request) -> HTTPResponse:
        fault = emulator.add_fault(_object(request))
        return reply(fault.to_api(), 201)

    @bp.delete("/faults")
    async def clear_faults(_request: Request) -> HTTPResponse:
        emulator.faults.clear()
        return reply({"faults": []})

    @bp.post("/reset")
    async def reset(_request: Request) -> HTTPResponse:
        await emulator.reset()
        return reply({"reset": True})

    return bp
