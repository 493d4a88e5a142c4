"""Admin routes for emergency alerts (issue 5, item 7).

Mounted on the authenticated admin blueprint (bearer token; sending an alert needs role
*organizer*, reading its progress *viewer*, see :mod:`bot.http.auth`):

* ``POST /admin/events/<event_id>/emergency`` ``{"message_es": "...", "message_en":
  "...", "requested_by": "laura"}`` (optional ``alert_key``: the client's own key of
  this alert, to send the same words again as a new alert; optional ``event_title``)
  → ``202 {"alert_id", "queued", "recipients", "queued_in_ms", "warnings", ...}``:
  one emergency message per ticket holder and staff member is in the outbox, ahead of
  everything else, and the delivery worker was woken. The same alert again queues
  nothing new (``queued: 0``, same ``alert_id``).
* ``GET /admin/emergency/<alert_id>`` → rows of the alert per outbox status
  (``queued``, ``sending``, ``sent``, ``dead``, ``cancelled``) and their total.

See :mod:`bot.proactive.emergency` and ``docs/decisions/emergency.md``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.http.auth import requires
from bot.logging import event
from bot.proactive.emergency import AlertRequest, is_alert_id, queue_alert
from bot.storage.store import Store

__all__ = ["add_proactive_routes"]

log = logging.getLogger(__name__)


def _wake(request: Request) -> None:
    delivery = getattr(request.app.ctx, "outbox", None)
    if delivery is not None:
        delivery.wake()


def add_proactive_routes(
    bp: Blueprint,
    store_of: Callable[[Request], Store],
    wake: Callable[[Request], Any] = _wake,
) -> None:
    @bp.post("/events/<event_id:int>/emergency")
    @requires("organizer")
    async def emergency(request: Request, event_id: int) -> HTTPResponse:
        body = request.json if isinstance(request.json, dict) else None
        if body is None:
            return response.json({"error": "JSON object expected"}, status=400)
        texts = {k: body.get(k) for k in ("message_es", "message_en")}
        if not any(isinstance(t, str) and t.strip() for t in texts.values()):
            return response.json({"error": "message_es and message_en expected"}, status=400)
        if any(t is not None and not isinstance(t, str) for t in texts.values()):
            return response.json({"error": "messages must be strings"}, status=400)
        warnings = []
        for have, missing in (("message_es", "message_en"), ("message_en", "message_es")):
            if not (texts[missing] or "").strip():
                texts[missing] = texts[have]
                warnings.append(f"{missing} missing: {have} is sent in its place")
        requested_by = str(body.get("requested_by") or "").strip()[:64]
        if not requested_by:
            return response.json({"error": "requested_by expected"}, status=400)
        alert_key = body.get("alert_key")
        title = body.get("event_title")
        alert = AlertRequest(
            event_id=event_id,
            message_es=texts["message_es"],
            message_en=texts["message_en"],
            requested_by=requested_by,
            alert_key=str(alert_key)[:200] if alert_key else None,
            event_title=str(title)[:200] if title else None,
        )
        try:
            result = await queue_alert(store_of(request), alert)
        except ValueError as exc:
            return response.json({"error": str(exc)}, status=400)
        wake(request)
        result.warnings[:0] = warnings
        event(
            log,
            "emergency.queued",
            logging.WARNING,
            alert_id=result.alert_id,
            event_id=event_id,
            requested_by=requested_by,
            recipients=result.recipients,
            queued=result.queued,
            templates=result.templates,
            queued_in_ms=round(result.queued_in_ms, 1),
            warnings=len(result.warnings),
        )
        return response.json(result.as_json(), status=202)

    @bp.get("/events/<event_id:int>/feedback")
    @requires("viewer")
    async def feedback(request: Request, event_id: int) -> HTTPResponse:
        """What attendees said about a show (give_feedback): the summary and the latest."""
        try:
            limit = max(1, min(200, int(request.args.get("limit", 50))))
        except ValueError:
            return response.json({"error": "limit must be a number"}, status=400)
        store = store_of(request)
        summary = await store.feedback_summary(event_id)
        latest = await store.feedback_for_event(event_id, limit=limit)
        return response.json(
            {
                **summary,
                "latest": [
                    {
                        "id": r.id,
                        "rating": r.rating,
                        "comment": r.comment,
                        "source": r.source,
                        "language": r.language,
                        "created_at": r.created_at.isoformat(),
                    }
                    for r in latest
                ],
            }
        )

    @bp.get("/emergency/<alert_id:int>")
    @requires("viewer")
    async def emergency_status(request: Request, alert_id: int) -> HTTPResponse:
        if not is_alert_id(alert_id):
            return response.json({"error": "no such emergency alert"}, status=404)
        counts = await store_of(request).outbox_counts(broadcast_id=alert_id)
        total = sum(counts.values())
        if not total:
            return response.json({"error": "no such emergency alert"}, status=404)
        return response.json({"alert_id": alert_id, "total": total, "counts": counts})
