"""Admin API for organizers and the sandbox: contacts (role, language) for now.

Behind bearer tokens with roles (``ADMIN_TOKEN`` is role *admin*; ``ADMIN_TOKENS``
adds ``viewer`` and ``organizer`` tokens, see :mod:`bot.http.auth`). The broadcast and
report endpoints of later issues mount on the same blueprint, and its one request
middleware checks the token and the role every route declares with ``@requires``:
401 without a known token, 403 when the token's role is too small. Handlers find
the caller's role and token label on ``request.ctx.admin_role`` and
``request.ctx.admin_token_label``.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable
from typing import Any

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.http.auth import TokenTable, required_role, requires, role_allows
from bot.http.broadcasts import add_broadcast_routes
from bot.http.handoffs import add_handoff_routes
from bot.http.proactive import add_proactive_routes
from bot.http.purchases import add_purchase_routes
from bot.logging import event, mask_phone
from bot.storage.store import Store

log = logging.getLogger(__name__)

ROLES = ("attendee", "model", "designer", "organizer", "staff")
LANGUAGES = ("es", "en")


def _contact_json(contact: Any) -> dict[str, Any]:
    data = dataclasses.asdict(contact)
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in data.items()}


def _route_pattern(request: Request) -> str:
    """The route's pattern (``/admin/contacts/<wa_id:str>``): paths hold phone numbers."""
    route = getattr(request, "route", None)
    return "/" + route.path.lstrip("/") if route is not None else "(unrouted)"


def admin_blueprint(
    store_of: Any,
    token: str | None,
    rasa_of: Any = None,
    tokens: str | Iterable[tuple[str, str]] | None = None,
) -> Blueprint:
    """``store_of(request)`` returns the started Store (kept on ``app.ctx``).

    ``token`` is ``ADMIN_TOKEN`` (role admin); ``tokens`` the ``ADMIN_TOKENS`` value
    (``role:token,...``) or its parsed pairs. ``rasa_of(request)`` returns the
    :class:`bot.clients.rasa.RasaClient` used to resume conversations after a
    hand-off (default: ``app.ctx.rasa``).
    """
    bp = Blueprint("admin", url_prefix="/admin")
    table = TokenTable(token, tokens or ())

    @bp.middleware("request")
    async def _auth(request: Request) -> HTTPResponse | None:
        # Routing ran before this middleware, so request.route is the matched route.
        route = getattr(request, "route", None)
        needs = required_role(request.method, route.handler if route is not None else None)
        caller = table.match(request)
        if caller is None:
            event(
                log,
                "admin.refused",
                logging.WARNING,
                method=request.method,
                route=_route_pattern(request),
            )
            offered = request.headers.get("authorization")
            challenge = 'Bearer realm="admin"' + (', error="invalid_token"' if offered else "")
            return response.json(
                {"error": "missing or invalid bearer token"},
                status=401,
                headers={"WWW-Authenticate": challenge},
            )
        request.ctx.admin_role = caller.role
        request.ctx.admin_token_label = caller.label
        if not role_allows(caller.role, needs):
            event(
                log,
                "admin.forbidden",
                logging.WARNING,
                method=request.method,
                route=_route_pattern(request),
                role=caller.role,
                needs=needs,
                caller=caller.label,
            )
            return response.json(
                {"error": "forbidden", "role": caller.role, "needs": needs}, status=403
            )
        if request.method not in ("GET", "HEAD", "OPTIONS"):  # an audit line for every write
            event(
                log,
                "admin.request",
                method=request.method,
                route=_route_pattern(request),
                role=caller.role,
                caller=caller.label,
            )
        return None

    @bp.get("/contacts/<wa_id:str>")
    @requires("viewer")
    async def get_contact(request: Request, wa_id: str) -> HTTPResponse:
        store: Store = store_of(request)
        contact = await store.get_contact(wa_id)
        if contact is None:
            return response.json({"error": "no such contact"}, status=404)
        return response.json(_contact_json(contact))

    @bp.put("/contacts/<wa_id:str>")
    @requires("admin")
    async def put_contact(request: Request, wa_id: str) -> HTTPResponse:
        store: Store = store_of(request)
        body = request.json if isinstance(request.json, dict) else None
        if body is None:
            return response.json({"error": "JSON object expected"}, status=400)
        if not wa_id.isdigit() or not 8 <= len(wa_id) <= 15:
            return response.json({"error": "wa_id must be 8-15 digits"}, status=400)
        role = body.get("role")
        language = body.get("language")
        if role is not None and role not in ROLES:
            return response.json({"error": f"role must be one of {', '.join(ROLES)}"}, status=400)
        if language is not None and language not in LANGUAGES:
            return response.json({"error": "language must be 'es' or 'en'"}, status=400)
        contact = (
            await store.set_role(wa_id, role or "attendee", body.get("profile_name"))
            if role
            else await store.upsert_contact(wa_id, profile_name=body.get("profile_name"))
        )
        if language:
            await store.set_language(wa_id, language, "explicit")
            contact = await store.get_contact(wa_id)
        event(log, "admin.contact_updated", wa_id=mask_phone(wa_id), role=role, language=language)
        return response.json(_contact_json(contact))

    # --- hand-offs and incidents (issue 3): bot/http/handoffs.py
    add_handoff_routes(bp, store_of, rasa_of or (lambda request: request.app.ctx.rasa))
    # --- purchases and refund requests (issue 4): bot/http/purchases.py
    add_purchase_routes(bp, lambda request: request.app.ctx.ticketing)
    # --- emergency alerts (issue 5): bot/http/proactive.py
    add_proactive_routes(bp, store_of)
    # --- broadcasts and the OpenAPI document (issue 5): bot/http/broadcasts.py
    add_broadcast_routes(bp, store_of)

    return bp
