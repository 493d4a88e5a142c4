"""Admin routes for purchases and refund requests (staff side of issue 4).

Mounted on the authenticated admin blueprint:

* ``GET  /admin/purchases?state=paid`` — purchases, newest first; ``paid`` ones are
  paid but not yet fulfilled (the worker is retrying; ``last_error`` says why),
  ``flagged`` ones need a person (amount mismatch).
* ``GET  /admin/refunds?status=pending`` — refund requests with the order, the
  retracto term and the due date.
* ``POST /admin/refunds/<id>/decision`` ``{"approved": true, "decided_by": "laura",
  "note": "..."}`` — records the decision and sends it to the buyer on WhatsApp.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.http.auth import requires
from bot.http.handoffs import record_json
from bot.storage.purchases import PURCHASE_STATES
from bot.ticketing.refund_decisions import decide

__all__ = ["add_purchase_routes"]


def add_purchase_routes(bp: Blueprint, ticketing_of: Callable[[Request], Any]) -> None:
    @bp.get("/purchases")
    @requires("viewer")
    async def list_purchases(request: Request) -> HTTPResponse:
        state = request.args.get("state")
        if state and state not in PURCHASE_STATES:
            return response.json(
                {"error": f"state must be one of {', '.join(PURCHASE_STATES)}"}, status=400
            )
        store = ticketing_of(request).store
        rows = await store.list_purchases(states=(state,) if state else None)
        return response.json({"purchases": [record_json(p) for p in rows]})

    @bp.get("/refunds")
    @requires("viewer")
    async def list_refunds(request: Request) -> HTTPResponse:
        store = ticketing_of(request).store
        rows = await store.refund_requests(status=request.args.get("status"))
        return response.json({"refunds": [record_json(r) for r in rows]})

    @bp.post("/refunds/<request_id:int>/decision")
    @requires("admin")
    async def decision(request: Request, request_id: int) -> HTTPResponse:
        body = request.json if isinstance(request.json, dict) else None
        if body is None or not isinstance(body.get("approved"), bool):
            return response.json({"error": '{"approved": true|false} expected'}, status=400)
        record = await decide(
            ticketing_of(request),
            request_id,
            approved=body["approved"],
            decided_by=str(body.get("decided_by") or "admin")[:64],
            note=(str(body["note"])[:1000] if body.get("note") else None),
        )
        if record is None:
            return response.json({"error": "no pending refund request with that id"}, status=404)
        return response.json(record_json(record))
