"""Admin API for organizers and the sandbox: contacts (role, language) for now.

Behind ``ADMIN_TOKEN`` (bearer). The broadcast and report endpoints of later
issues mount on the same blueprint.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.http.auth import bearer_ok
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


def admin_blueprint(store_of: Any, token: str, rasa_of: Any = None) -> Blueprint:
    """``store_of(request)`` returns the started Store (kept on ``app.ctx``).

    ``rasa_of(request)`` returns the :class:`bot.clients.rasa.RasaClient` used to resume
    conversations after a hand-off (default: ``app.ctx.rasa``).
    """
    bp = Blueprint("admin", url_prefix="/admin")

    @bp.middleware("request")
    async def _auth(request: Request) -> HTTPResponse | None:
        if not bearer_ok(request, token):
            event(log, "admin.refused", logging.WARNING, path=request.path)
            return response.json({"error": "missing or invalid bearer token"}, status=401)
        return None

    @bp.get("/contacts/<wa_id:str>")
    async def get_contact(request: Request, wa_id: str) -> HTTPResponse:
        store: Store = store_of(request)
        contact = await store.get_contact(wa_id)
        if contact is None:
            return response.json({"error": "no such contact"}, status=404)
        return response.json(_contact_json(contact))

    @bp.put("/contacts/<wa_id:str>")
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
