"""The hosted checkout of payment links, under ``/wompi/checkout``.

``GET /l/{id}`` is what the bot shares with a buyer (``https://checkout.wompi.co/l/{id}``
in production). ``POST /l/{id}/pay`` is the page's own call: JSON from ``fetch`` (201
with the PENDING transaction, or Wompi's error envelope), or a plain form post that
is answered with a 303 to the result page, so the page works without JavaScript.
"""

from __future__ import annotations

import json
from typing import Any

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, html, redirect

from bot.sandbox.http import reply
from bot.sandbox.wompi.api import API_PREFIX
from bot.sandbox.wompi.emulator import WompiApiError, WompiEmulator
from bot.sandbox.wompi.page import checkout_page, new_nonce, notice_page, pick_lang, result_page

CHECKOUT_PREFIX = "/wompi/checkout"


def _security_headers(nonce: str) -> dict[str, str]:
    """A strict CSP: only this page's inline code runs, and it talks only to us."""
    return {
        "Content-Security-Policy": (
            f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; "
            "connect-src 'self'; img-src 'self' data: https:; form-action 'self'; "
            "base-uri 'none'; frame-ancestors 'none'"
        ),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
    }


def _wants_json(request: Request) -> bool:
    content_type = request.headers.get("content-type", "")
    return "application/json" in content_type or (
        "application/json" in request.headers.get("accept", "")
        and "text/html" not in request.headers.get("accept", "")
    )


def _pay_body(request: Request) -> dict[str, Any]:
    if "application/json" in request.headers.get("content-type", ""):
        try:
            data = json.loads(request.body or b"{}")
        except ValueError:
            raise WompiApiError.validation({"body": ["El cuerpo no es JSON válido"]}) from None
        if not isinstance(data, dict):
            raise WompiApiError.validation({"body": ["El cuerpo debe ser un objeto JSON"]})
        return data
    return {key: request.form.get(key) for key in request.form}


def checkout_blueprint(emulator: WompiEmulator, name: str = "wompi_checkout") -> Blueprint:
    bp = Blueprint(name, url_prefix=CHECKOUT_PREFIX)

    def page(body_html: str, nonce: str, status: int = 200) -> HTTPResponse:
        return html(body_html, status=status, headers=_security_headers(nonce))

    @bp.get("/l/<link_id>")
    async def show(request: Request, link_id: str) -> HTTPResponse:
        lang = pick_lang(request.args.get("lang"))
        nonce = new_nonce()
        merchant = emulator.config.merchant_name
        link = emulator.links.get(link_id)
        if link is None:
            return page(
                notice_page("NOT_FOUND_ERROR", lang=lang, merchant=merchant, nonce=nonce),
                nonce,
                404,
            )
        refusal = emulator.link_refusal(link)
        if refusal:
            status, error_type, _reason = refusal
            notice = notice_page(error_type, lang=lang, merchant=merchant, nonce=nonce, link=link)
            return page(notice, nonce, status)
        body = checkout_page(
            link,
            lang=lang,
            merchant=merchant,
            public_key=emulator.config.public_key,
            api_prefix=API_PREFIX,
            nonce=nonce,
        )
        return page(body, nonce)

    @bp.post("/l/<link_id>/pay")
    async def pay(request: Request, link_id: str) -> HTTPResponse:
        as_json = _wants_json(request)
        lang = pick_lang(request.args.get("lang"))
        try:
            transaction = await emulator.pay(link_id, _pay_body(request))
        except WompiApiError as error:
            if as_json:
                return reply(error.body(), error.status)
            nonce = new_nonce()
            details = None
            if error.messages:  # a form with bad fields: say what was wrong
                details = "; ".join(m for msgs in error.messages.values() for m in msgs)
            notice = notice_page(
                error.error_type,
                lang=lang,
                merchant=emulator.config.merchant_name,
                nonce=nonce,
                link=emulator.links.get(link_id),
                details=details,
            )
            return page(notice, nonce, error.status)
        if as_json:
            return reply({"data": transaction.to_api()}, 201)
        return redirect(f"{CHECKOUT_PREFIX}/t/{transaction.id}?lang={lang}", status=303)

    @bp.get("/t/<transaction_id>")
    async def result(request: Request, transaction_id: str) -> HTTPResponse:
        lang = pick_lang(request.args.get("lang"))
        nonce = new_nonce()
        merchant = emulator.config.merchant_name
        transaction = emulator.transactions.get(transaction_id)
        link = emulator.links.get(transaction.payment_link_id or "") if transaction else None
        if transaction is None or link is None:
            notice = notice_page("NOT_FOUND_ERROR", lang=lang, merchant=merchant, nonce=nonce)
            return page(notice, nonce, 404)
        body = result_page(link, transaction, lang=lang, merchant=merchant, nonce=nonce)
        return page(body, nonce)

    return bp
