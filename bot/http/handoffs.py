"""Admin routes for hand-offs to a person (and the incidents staff reported).

Mounted on the admin blueprint (:mod:`bot.http.admin`), so the bearer-token check of
that blueprint covers them:

* ``GET  /admin/handoffs`` — open hand-offs, oldest first (the team's queue).
* ``POST /admin/handoffs/<wa_id>/release`` — the person of the team is done: resume the
  Rasa conversation, then mark the hand-off released. Body (optional):
  ``{"released_by": "laura"}``.
* ``GET  /admin/incidents`` — incidents reported by organizers and staff, newest first.

Release order matters: Rasa is resumed **first**. If Rasa cannot be reached the answer
is 502 and nothing changed, so the release can simply be retried. If the database
update failed after a successful resume, the hand-off still reads as open and the
channel keeps the bot quiet (re-pausing the tracker on the next message), so the two
never disagree in the direction where the bot talks over a person.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from typing import Any

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.clients.rasa import RasaClient
from bot.errors import ProviderError
from bot.http.auth import requires
from bot.logging import event, mask_phone
from bot.storage.phones import normalize_wa_id
from bot.storage.store import Store

log = logging.getLogger(__name__)

__all__ = ["add_handoff_routes", "record_json"]


def record_json(record: Any) -> dict[str, Any]:
    """A frozen record as JSON-ready dict (datetimes in ISO 8601)."""
    data = dataclasses.asdict(record)
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in data.items()}


def add_handoff_routes(
    bp: Blueprint,
    store_of: Callable[[Request], Store],
    rasa_of: Callable[[Request], RasaClient],
) -> None:
    """Register the hand-off and incident routes on the (authenticated) admin blueprint."""

    @bp.get("/handoffs")
    @requires("viewer")
    async def list_handoffs(request: Request) -> HTTPResponse:
        handoffs = await store_of(request).list_open_handoffs()
        return response.json({"handoffs": [record_json(h) for h in handoffs]})

    @bp.post("/handoffs/<wa_id:str>/release")
    @requires("admin")
    async def release_handoff(request: Request, wa_id: str) -> HTTPResponse:
        try:
            wa_id = normalize_wa_id(wa_id)
        except ValueError:
            return response.json({"error": "wa_id must be 7-15 digits"}, status=400)
        body = request.json if isinstance(request.json, dict) else {}
        released_by = str(body.get("released_by") or "admin-api").strip()[:64] or "admin-api"
        store = store_of(request)
        if await store.get_open_handoff(wa_id) is None:
            return response.json({"error": "no open hand-off for this wa_id"}, status=404)
        try:
            await rasa_of(request).resume(wa_id)
        except ProviderError as exc:
            event(
                log,
                "handoff.resume_failed",
                logging.ERROR,
                wa_id=mask_phone(wa_id),
                http=exc.http_status,
            )
            return response.json(
                {"error": "could not resume the conversation in Rasa; nothing changed, retry"},
                status=502,
            )
        released = await store.release_handoff(wa_id, released_by=released_by)
        if released is None:  # released by someone else in the meantime
            return response.json({"error": "no open hand-off for this wa_id"}, status=404)
        event(log, "handoff.released", wa_id=mask_phone(wa_id), by=released_by)
        return response.json(record_json(released))

    @bp.get("/incidents")
    @requires("viewer")
    async def list_incidents(request: Request) -> HTTPResponse:
        try:
            limit = max(1, min(int(request.args.get("limit", 100)), 500))
        except ValueError:
            return response.json({"error": "limit must be a number"}, status=400)
        incidents = await store_of(request).list_incidents(limit)
        return response.json({"incidents": [record_json(i) for i in incidents]})
