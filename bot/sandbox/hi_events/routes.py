"""HTTP routes of the emulator: the Hi.Events API under ``/hi-events/api`` and the
sandbox controls under ``/hi-events/_sandbox``.

``/hi-events/api`` mirrors the nginx ``/api`` prefix of a self-hosted Hi.Events, so the
bot's ``HI_EVENTS_BASE_URL`` is the only thing that changes between the sandbox and
production. Every API route goes through one wrapper that applies injected faults,
the JWT guard, the optional throttle and the error envelope; responses are encoded
like Laravel's ``JsonResponse`` (``\\/`` and ``\\uXXXX``), so a client that depends on a
particular JSON spelling breaks here first.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Awaitable, Callable
from typing import Any

from sanic import Blueprint, Request
from sanic.response import HTTPResponse

from bot.sandbox.hi_events import edits, listing
from bot.sandbox.hi_events import resources as res
from bot.sandbox.hi_events.emulator import HiEventsEmulator
from bot.sandbox.hi_events.errors import ApiError
from bot.sandbox.hi_events.model import Order, php_json

API_PREFIX = "/hi-events/api"
SANDBOX_PREFIX = "/hi-events/_sandbox"
_numbers = itertools.count(1)

Handler = Callable[..., Awaitable[HTTPResponse]]

PUBLIC_EVENTS = listing.ListSpec(
    allowed_sorts=("start_date", "end_date", "title"),
    default_sort="start_date",
    default_sort_direction="asc",
)


def respond(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> HTTPResponse:
    """JSON as Laravel writes it; ``None`` = empty body (204, the 404 helper)."""
    if body is None:
        return HTTPResponse(b"", status=status, headers=headers)
    return HTTPResponse(
        php_json(body), status=status, headers=headers, content_type="application/json"
    )


def error_response(error: ApiError) -> HTTPResponse:
    return respond(error.body, error.status, error.headers)


def json_body(request: Request) -> dict[str, Any]:
    """The JSON object of the request; anything else counts as empty (→ 422 downstream)."""
    if not request.body:
        return {}
    try:
        data = json.loads(request.body)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def session_of(request: Request) -> str | None:
    """``CheckoutSessionManagementService``: query parameter first, then the cookie."""
    return request.args.get("session_identifier") or request.cookies.get("session_identifier")


def _wants_json(request: Request) -> bool:
    return "json" in (request.headers.get("accept") or "").lower()


def api_blueprint(emulator: HiEventsEmulator) -> Blueprint:
    """All contract routes; handlers are thin, the rules live in the emulator."""
    bp = Blueprint(f"hi_events_api_{next(_numbers)}", url_prefix=API_PREFIX)

    def route(method: str, path: str, *, auth: bool = False) -> Callable[[Handler], Handler]:
        def register(fn: Handler) -> Handler:
            async def handler(request: Request, **kwargs: Any) -> HTTPResponse:
                emulator.requests += 1
                try:
                    fault = emulator.take_fault(request.method, request.path)
                    if fault is not None:
                        await emulator.raise_fault(fault)
                    subject = request.ip or "unknown"
                    if auth:
                        try:
                            claims = emulator.authenticate(request.headers.get("authorization"))
                        except ApiError:
                            if not _wants_json(request):
                                # Laravel redirects browsers to the login page; only
                                # ``Accept: application/json`` gets the 401 (contract §1).
                                return HTTPResponse(
                                    b"", status=302, headers={"Location": "/auth/login"}
                                )
                            raise
                        subject = f"user:{claims.get('sub')}"
                    emulator.throttle(subject)
                    return await fn(request, **kwargs)
                except ApiError as error:
                    return error_response(error)

            handler.__name__ = fn.__name__
            bp.add_route(handler, path, methods=[method], name=fn.__name__)
            return fn

        return register

    # --- auth ------------------------------------------------------------------------------
    def _auth_answer(token: str, body: dict[str, Any]) -> HTTPResponse:
        response = respond(body, 200, {"X-Auth-Token": token})
        response.cookies["token"] = token
        response.cookies["token"]["httponly"] = True
        response.cookies["token"]["path"] = "/"
        return response

    @route("POST", "/auth/login")
    async def auth_login(request: Request) -> HTTPResponse:
        token, body = emulator.login(json_body(request))
        return _auth_answer(token, body)

    @route("POST", "/auth/refresh")
    async def auth_refresh(request: Request) -> HTTPResponse:
        token, body = emulator.refresh(request.headers.get("authorization"))
        return _auth_answer(token, body)

    @route("POST", "/auth/logout")
    async def auth_logout(request: Request) -> HTTPResponse:
        emulator.logout(request.headers.get("authorization"))
        return respond(None, 204)

    # --- events (§3) ----------------------------------------------------------------------
    def public_event_answer(event_id: int) -> HTTPResponse:
        event = emulator.public_event(event_id)
        return respond(
            {"data": res.event_resource(emulator.state, event, emulator.now(), public=True)}
        )

    @route("GET", "/public/events/<event_id:int>")
    async def public_event(_request: Request, event_id: int) -> HTTPResponse:
        return public_event_answer(event_id)

    @route("GET", "/public/events/<event_id:int>/products")
    async def public_event_products(_request: Request, event_id: int) -> HTTPResponse:
        return public_event_answer(event_id)

    @route("GET", "/public/organizers/<organizer_id:int>/events")
    async def public_organizer_events(request: Request, organizer_id: int) -> HTTPResponse:
        upcoming = request.args.get("eventsStatus") == "upcoming"
        now = emulator.now()
        events = emulator.organizer_events(organizer_id, upcoming=upcoming, live_only=True)
        items = [res.event_resource(emulator.state, e, now, public=True) for e in events]
        return respond(listing.paginate(request, items, PUBLIC_EVENTS))

    @route("GET", "/events", auth=True)
    async def events(request: Request) -> HTTPResponse:
        now = emulator.now()
        items = [
            res.event_resource(emulator.state, e, now, public=False)
            for e in emulator.state.events.values()
            if e.account_id == emulator.config.account_id
        ]
        return respond(listing.paginate(request, items, listing.EVENTS))

    @route("GET", "/organizers/<organizer_id:int>/events", auth=True)
    async def organizer_events(request: Request, organizer_id: int) -> HTTPResponse:
        now = emulator.now()
        events = emulator.organizer_events(organizer_id, upcoming=False, live_only=False)
        items = [res.event_resource(emulator.state, e, now, public=False) for e in events]
        return respond(listing.paginate(request, items, listing.EVENTS))

    @route("GET", "/events/<event_id:int>", auth=True)
    async def event(_request: Request, event_id: int) -> HTTPResponse:
        found = emulator.event(event_id)
        return respond(
            {"data": res.event_resource(emulator.state, found, emulator.now(), public=False)}
        )

    @route("PUT", "/events/<event_id:int>", auth=True)
    async def update_event(request: Request, event_id: int) -> HTTPResponse:
        found = edits.update_event(emulator, event_id, json_body(request))
        return respond(
            {"data": res.event_resource(emulator.state, found, emulator.now(), public=False)}
        )

    @route("PUT", "/events/<event_id:int>/status", auth=True)
    async def event_status(request: Request, event_id: int) -> HTTPResponse:
        found = emulator.update_status(event_id, json_body(request).get("status"))
        return respond(
            {"data": res.event_resource(emulator.state, found, emulator.now(), public=False)}
        )

    @route("GET", "/events/<event_id:int>/settings", auth=True)
    async def event_settings(_request: Request, event_id: int) -> HTTPResponse:
        return respond({"data": res.settings_resource(emulator.event(event_id), public=False)})

    async def _update_settings(request: Request, event_id: int) -> HTTPResponse:
        found = emulator.update_settings(event_id, json_body(request))
        return respond({"data": res.settings_resource(found, public=False)})

    @route("PATCH", "/events/<event_id:int>/settings", auth=True)
    async def event_settings_patch(request: Request, event_id: int) -> HTTPResponse:
        return await _update_settings(request, event_id)

    @route("PUT", "/events/<event_id:int>/settings", auth=True)
    async def event_settings_put(request: Request, event_id: int) -> HTTPResponse:
        return await _update_settings(request, event_id)

    @route("GET", "/events/<event_id:int>/products", auth=True)
    async def products(request: Request, event_id: int) -> HTTPResponse:
        now = emulator.now()
        items = [
            res.product_resource(emulator.state, p, now, public=False)
            for p in emulator.event(event_id).products
        ]
        return respond(listing.paginate(request, items))

    @route("GET", "/events/<event_id:int>/products/<product_id:int>", auth=True)
    async def product(_request: Request, event_id: int, product_id: int) -> HTTPResponse:
        found = next((p for p in emulator.event(event_id).products if p.id == product_id), None)
        if found is None:
            raise ApiError(404, {"message": "Product not found"})
        return respond(
            {"data": res.product_resource(emulator.state, found, emulator.now(), public=False)}
        )

    # --- public checkout (§5) -------------------------------------------------------------
    def public_order_answer(order: Order, status: int = 200) -> HTTPResponse:
        return respond(
            {"data": res.order_public_resource(emulator.state, order, emulator.now())}, status
        )

    @route("POST", "/public/events/<event_id:int>/order")
    async def reserve(request: Request, event_id: int) -> HTTPResponse:
        order = emulator.reserve(event_id, json_body(request))
        body = res.order_public_resource(emulator.state, order, emulator.now())
        body["session_identifier"] = order.session_id
        response = respond({"data": body}, 201)
        response.cookies["session_identifier"] = order.session_id
        response.cookies["session_identifier"]["path"] = "/"
        response.cookies["session_identifier"]["httponly"] = True
        response.cookies["session_identifier"]["samesite"] = "Lax"
        return response

    @route("GET", "/public/events/<event_id:int>/order/<order_short_id>")
    async def public_order(request: Request, event_id: int, order_short_id: str) -> HTTPResponse:
        order = emulator.public_order(event_id, order_short_id, session_of(request))
        body = res.order_public_resource(emulator.state, order, emulator.now())
        includes = {part.strip() for part in (request.args.get("include") or "").split(",")}
        if "event" in includes:
            body["event"] = res.event_resource(
                emulator.state, emulator.state.events[order.event_id], emulator.now(), public=True
            )
        return respond({"data": body})

    @route("PUT", "/public/events/<event_id:int>/order/<order_short_id>")
    async def complete_order(request: Request, event_id: int, order_short_id: str) -> HTTPResponse:
        order = emulator.complete(event_id, order_short_id, session_of(request), json_body(request))
        return public_order_answer(order)

    @route("POST", "/public/events/<event_id:int>/order/<order_short_id>/await-offline-payment")
    async def await_offline_payment(
        request: Request, event_id: int, order_short_id: str
    ) -> HTTPResponse:
        order = emulator.await_offline_payment(event_id, order_short_id, session_of(request))
        return public_order_answer(order)

    @route("POST", "/public/events/<event_id:int>/order/<order_short_id>/abandon")
    async def abandon_order(request: Request, event_id: int, order_short_id: str) -> HTTPResponse:
        order = emulator.abandon(event_id, order_short_id, session_of(request))
        return public_order_answer(order)

    @route("GET", "/public/events/<event_id:int>/attendees/<attendee_short_id>")
    async def public_ticket(
        _request: Request, event_id: int, attendee_short_id: str
    ) -> HTTPResponse:
        attendee = emulator.public_ticket(event_id, attendee_short_id)
        body = res.attendee_public_resource(attendee)
        product_ = emulator.state.product(attendee.product_id)
        if product_ is not None:
            body["product"] = {"id": product_.id, "title": product_.title}
        return respond({"data": body})

    # --- orders and attendees (§6, §7) --------------------------------------------------
    @route("GET", "/events/<event_id:int>/orders", auth=True)
    async def orders(request: Request, event_id: int) -> HTTPResponse:
        items = [res.order_resource(emulator.state, o) for o in emulator.listed_orders(event_id)]
        return respond(listing.paginate(request, items, listing.ORDERS))

    @route("GET", "/events/<event_id:int>/orders/<order_id:int>", auth=True)
    async def order(_request: Request, event_id: int, order_id: int) -> HTTPResponse:
        return respond(
            {"data": res.order_resource(emulator.state, emulator.order(event_id, order_id))}
        )

    @route("POST", "/events/<event_id:int>/orders/<order_id:int>/mark-as-paid", auth=True)
    async def mark_as_paid(_request: Request, event_id: int, order_id: int) -> HTTPResponse:
        found = emulator.mark_as_paid(event_id, order_id)
        return respond({"data": res.order_resource(emulator.state, found)})

    @route("POST", "/events/<event_id:int>/orders/<order_id:int>/cancel", auth=True)
    async def cancel_order(_request: Request, event_id: int, order_id: int) -> HTTPResponse:
        found = emulator.cancel(event_id, order_id)
        return respond({"data": res.order_resource(emulator.state, found)})

    @route("GET", "/events/<event_id:int>/attendees", auth=True)
    async def attendees(request: Request, event_id: int) -> HTTPResponse:
        items = [
            res.attendee_resource(emulator.state, a) for a in emulator.listed_attendees(event_id)
        ]
        return respond(listing.paginate(request, items, listing.ATTENDEES))

    @route("GET", "/events/<event_id:int>/attendees/<attendee_id:int>", auth=True)
    async def attendee(_request: Request, event_id: int, attendee_id: int) -> HTTPResponse:
        found = emulator.attendee(event_id, attendee_id)
        return respond({"data": res.attendee_resource(emulator.state, found)})

    @route("POST", "/events/<event_id:int>/attendees", auth=True)
    async def create_attendee(request: Request, event_id: int) -> HTTPResponse:
        found = edits.create_attendee(emulator, event_id, json_body(request))
        return respond({"data": res.attendee_resource(emulator.state, found)}, 201)

    @route("PUT", "/events/<event_id:int>/attendees/<attendee_id:int>", auth=True)
    async def update_attendee(request: Request, event_id: int, attendee_id: int) -> HTTPResponse:
        found = edits.update_attendee(emulator, event_id, attendee_id, json_body(request))
        return respond({"data": res.attendee_resource(emulator.state, found)})

    @route("PATCH", "/events/<event_id:int>/attendees/<attendee_id:int>", auth=True)
    async def patch_attendee(request: Request, event_id: int, attendee_id: int) -> HTTPResponse:
        found = edits.patch_attendee(emulator, event_id, attendee_id, json_body(request))
        return respond({"data": res.attendee_resource(emulator.state, found)})

    @route("POST", "/events/<event_id:int>/attendees/<attendee_public_id>/resend-ticket", auth=True)
    async def resend_ticket(
        _request: Request, event_id: int, attendee_public_id: str
    ) -> HTTPResponse:
        emulator.resend_ticket(event_id, attendee_public_id)
        return respond(None, 204)

    # --- check-in (§8) --------------------------------------------------------------------
    @route("GET", "/events/<event_id:int>/check-in-lists", auth=True)
    async def check_in_lists(request: Request, event_id: int) -> HTTPResponse:
        now = emulator.now()
        items = [
            res.check_in_list_resource(emulator.state, c, now, public=False)
            for c in emulator.check_in_lists(event_id)
        ]
        return respond(listing.paginate(request, items))

    @route("GET", "/events/<event_id:int>/check-in-lists/<list_id:int>", auth=True)
    async def check_in_list(_request: Request, event_id: int, list_id: int) -> HTTPResponse:
        found = emulator.check_in_list(event_id, list_id)
        return respond(
            {
                "data": res.check_in_list_resource(
                    emulator.state, found, emulator.now(), public=False
                )
            }
        )

    @route("GET", "/public/check-in-lists/<list_short_id>")
    async def public_check_in_list(_request: Request, list_short_id: str) -> HTTPResponse:
        found = emulator.public_check_in_list(list_short_id)
        return respond(
            {"data": res.check_in_list_resource(emulator.state, found, emulator.now(), public=True)}
        )

    @route("GET", "/public/check-in-lists/<list_short_id>/attendees")
    async def public_check_in_attendees(request: Request, list_short_id: str) -> HTTPResponse:
        found = emulator.public_check_in_list(list_short_id)
        items = [
            res.attendee_with_check_in_public(emulator.state, a, found)
            for a in emulator.listed_attendees(found.event_id)
            if a.product_id in found.product_ids
        ]
        return respond(listing.paginate(request, items, listing.ATTENDEES))

    @route("GET", "/public/check-in-lists/<list_short_id>/attendees/<attendee_public_id>")
    async def public_check_in_attendee(
        _request: Request, list_short_id: str, attendee_public_id: str
    ) -> HTTPResponse:
        found = emulator.public_list_attendee(list_short_id, attendee_public_id)
        check_in_list_ = emulator.public_check_in_list(list_short_id)
        return respond(
            {"data": res.attendee_with_check_in_public(emulator.state, found, check_in_list_)}
        )

    @route("POST", "/public/check-in-lists/<list_short_id>/check-ins")
    async def public_check_ins(request: Request, list_short_id: str) -> HTTPResponse:
        created, errors = emulator.check_in(list_short_id, json_body(request), request.ip)
        body: dict[str, Any] = {"data": [res.check_in_public_resource(c) for c in created]}
        if errors:
            body["errors"] = errors
        return respond(body)

    # --- webhooks (§10) -------------------------------------------------------------------
    for scope, prefix in (
        ("event", "/events/<scope_id:int>"),
        ("organizer", "/organizers/<scope_id:int>"),
    ):
        _webhook_routes(route, emulator, scope, prefix)

    return bp


def _webhook_routes(
    route: Callable[..., Callable[[Handler], Handler]],
    emulator: HiEventsEmulator,
    scope: str,
    prefix: str,
) -> None:
    """The same five routes for event-level and organizer-level hooks."""

    def ids(scope_id: int) -> dict[str, int | None]:
        if scope == "event":
            return {"event_id": scope_id, "organizer_id": None}
        return {"event_id": None, "organizer_id": scope_id}

    async def create(request: Request, scope_id: int) -> HTTPResponse:
        hook = emulator.create_webhook(json_body(request), **ids(scope_id))
        return respond({"data": res.webhook_resource(hook, with_secret=True)})

    async def index(_request: Request, scope_id: int) -> HTTPResponse:
        emulator.check_scope(**ids(scope_id))
        hooks = emulator.webhooks_of(**ids(scope_id))
        return respond({"data": [res.webhook_resource(h, with_secret=False) for h in hooks]})

    async def show(_request: Request, scope_id: int, webhook_id: int) -> HTTPResponse:
        hook = emulator.webhook(webhook_id, **ids(scope_id))
        return respond({"data": res.webhook_resource(hook, with_secret=False)})

    async def update(request: Request, scope_id: int, webhook_id: int) -> HTTPResponse:
        hook = emulator.update_webhook(webhook_id, json_body(request), **ids(scope_id))
        return respond({"data": res.webhook_resource(hook, with_secret=False)})

    async def delete(_request: Request, scope_id: int, webhook_id: int) -> HTTPResponse:
        emulator.delete_webhook(webhook_id, **ids(scope_id))
        return respond(None, 204)

    async def logs(request: Request, scope_id: int, webhook_id: int) -> HTTPResponse:
        entries = emulator.webhook_logs(webhook_id, **ids(scope_id))
        items = [res.webhook_log_resource(entry) for entry in entries]
        return respond(listing.paginate(request, items, listing.ListSpec(default_sort="id")))

    for method, path, fn in (
        ("POST", "/webhooks", create),
        ("GET", "/webhooks", index),
        ("GET", "/webhooks/<webhook_id:int>", show),
        ("PUT", "/webhooks/<webhook_id:int>", update),
        ("DELETE", "/webhooks/<webhook_id:int>", delete),
        ("GET", "/webhooks/<webhook_id:int>/logs", logs),
    ):
        fn.__name__ = f"{scope}_webhook_{fn.__name__}"
        route(method, prefix + path, auth=True)(fn)


def sandbox_blueprint(emulator: HiEventsEmulator) -> Blueprint:
    """Controls for tests, the bench and developers (not part of Hi.Events)."""
    bp = Blueprint(f"hi_events_sandbox_{next(_numbers)}", url_prefix=SANDBOX_PREFIX)

    def guard(fn: Handler) -> Handler:
        async def handler(request: Request, **kwargs: Any) -> HTTPResponse:
            try:
                return await fn(request, **kwargs)
            except ApiError as error:
                return error_response(error)

        handler.__name__ = fn.__name__
        return handler

    @bp.get("/faults")
    @guard
    async def list_faults(_request: Request) -> HTTPResponse:
        return respond({"faults": [f.to_api() for f in emulator.faults]})

    @bp.post("/faults")
    @guard
    async def add_fault(request: Request) -> HTTPResponse:
        emulator.add_fault(json_body(request))
        return respond({"faults": [f.to_api() for f in emulator.faults]}, 201)

    @bp.delete("/faults")
    @guard
    async def clear_faults(_request: Request) -> HTTPResponse:
        emulator.faults.clear()
        return respond({"faults": []})

    @bp.post("/orders/<order_short_id>/expire")
    @guard
    async def expire_order(_request: Request, order_short_id: str) -> HTTPResponse:
        order = emulator.expire_order(order_short_id)
        return respond({"data": res.order_public_resource(emulator.state, order, emulator.now())})

    @bp.post("/events/<event_id:int>/reschedule")
    @guard
    async def reschedule(request: Request, event_id: int) -> HTTPResponse:
        """Move a show without a JWT (bench, developers): same rules and webhook as PUT."""
        found = edits.update_event(emulator, event_id, json_body(request))
        return respond(
            {"data": res.event_resource(emulator.state, found, emulator.now(), public=False)}
        )

    @bp.post("/reset")
    @guard
    async def reset(_request: Request) -> HTTPResponse:
        await emulator.reset()
        return respond(emulator.counts())

    @bp.get("/state")
    @guard
    async def state(_request: Request) -> HTTPResponse:
        return respond(emulator.counts())

    @bp.post("/tokens/revoke")
    @guard
    async def revoke_tokens(_request: Request) -> HTTPResponse:
        emulator.revoke_tokens()
        return respond({"revoked": True})

    @bp.get("/webhook-logs")
    @guard
    async def webhook_logs(_request: Request) -> HTTPResponse:
        return respond({"data": [res.webhook_log_resource(e) for e in emulator.state.webhook_logs]})

    @bp.get("/emails")
    @guard
    async def emails(_request: Request) -> HTTPResponse:
        return respond({"data": list(emulator.state.emails)})

    return bp
