"""Admin routes for broadcasts (issue 5, item 6), and the OpenAPI document.

Mounted on the authenticated admin blueprint (bearer token; the GETs, preview included,
need role *viewer*; create/dry-run/send/cancel *organizer*, see :mod:`bot.http.auth`):

* ``POST /admin/broadcasts`` ``{"name", "template", "variables", "segment",
  "created_by", "scheduled_for"?, "purpose"?}`` → ``201`` the draft;
* ``GET /admin/broadcasts`` → the latest broadcasts (``?status=``);
* ``GET /admin/broadcasts/<id>`` → the broadcast and its progress;
* ``GET /admin/broadcasts/<id>/preview`` (``?wa_id=``) → the text per language;
* ``POST /admin/broadcasts/<id>/dry-run`` → the audience after consent, by language
  and by reason excluded;
* ``POST /admin/broadcasts/<id>/send`` → ``202``: rows queued (409 when the template
  is not APPROVED or the broadcast is not a draft);
* ``POST /admin/broadcasts/<id>/cancel`` → queued rows cancelled;
* ``GET /admin/openapi.json`` → the OpenAPI 3 document (``bot/http/openapi.py``).

The moment every operation acts at is ``app.ctx.broadcast_clock()`` when a test set
one, else the wall clock (there is no ``?now=`` on the wire).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.broadcasts import service
from bot.http.auth import requires
from bot.http.openapi import add_openapi_route
from bot.logging import event
from bot.storage.models import BROADCAST_STATUSES
from bot.storage.store import Store
from bot.storage.types import utcnow

__all__ = ["ROUTES", "add_broadcast_routes"]

log = logging.getLogger(__name__)

#: (method, OpenAPI path) of every route served here: the OpenAPI test checks them all.
ROUTES: Sequence[tuple[str, str]] = (
    ("post", "/admin/broadcasts"),
    ("get", "/admin/broadcasts"),
    ("get", "/admin/broadcasts/{id}"),
    ("get", "/admin/broadcasts/{id}/preview"),
    ("post", "/admin/broadcasts/{id}/dry-run"),
    ("post", "/admin/broadcasts/{id}/send"),
    ("post", "/admin/broadcasts/{id}/cancel"),
    ("get", "/admin/openapi.json"),
)


def _clock(request: Request) -> datetime:
    clock = getattr(request.app.ctx, "broadcast_clock", None)
    return clock() if clock is not None else utcnow()


def _wake(request: Request) -> None:
    delivery = getattr(request.app.ctx, "outbox", None)
    if delivery is not None:
        delivery.wake()


def _error(exc: service.BroadcastError) -> HTTPResponse:
    return response.json({"error": str(exc)}, status=exc.status)


def _parse_time(value: Any, what: str) -> datetime | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise service.BroadcastError(f"{what} must be an ISO 8601 date-time with an offset")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise service.BroadcastError(f"{what} is not an ISO 8601 date-time: {value!r}") from None
    if moment.tzinfo is None:
        raise service.BroadcastError(
            f"{what} needs a UTC offset (e.g. 2026-11-28T10:00:00-05:00 for Bogotá)"
        )
    return moment


def add_broadcast_routes(
    bp: Blueprint,
    store_of: Callable[[Request], Store],
    wake: Callable[[Request], Any] = _wake,
) -> None:
    add_openapi_route(bp)

    @bp.post("/broadcasts")
    @requires("organizer")
    async def create(request: Request) -> HTTPResponse:
        body = request.json if isinstance(request.json, dict) else None
        if body is None:
            return response.json({"error": "JSON object expected"}, status=400)
        try:
            record = await service.create(
                store_of(request),
                name=body.get("name"),
                template=body.get("template"),
                variables=body.get("variables"),
                segment=body.get("segment"),
                created_by=body.get("created_by"),
                purpose=body.get("purpose"),
                scheduled_for=_parse_time(body.get("scheduled_for"), "scheduled_for"),
            )
        except service.BroadcastError as exc:
            return _error(exc)
        event(
            log,
            "broadcast.created",
            broadcast_id=record.id,
            template=record.template,
            purpose=record.purpose,
            created_by=record.created_by,
        )
        return response.json(record.as_json(), status=201)

    @bp.get("/broadcasts")
    @requires("viewer")
    async def listing(request: Request) -> HTTPResponse:
        status = request.args.get("status")
        if status is not None and status not in BROADCAST_STATUSES:
            return response.json(
                {"error": f"status must be one of {', '.join(BROADCAST_STATUSES)}"}, status=400
            )
        records = await store_of(request).list_broadcasts(status=status)
        return response.json({"broadcasts": [r.as_json() for r in records]})

    @bp.get("/broadcasts/<broadcast_id:int>")
    @requires("viewer")
    async def status(request: Request, broadcast_id: int) -> HTTPResponse:
        try:
            answer = await service.progress(store_of(request), broadcast_id, now=_clock(request))
        except service.BroadcastError as exc:
            return _error(exc)
        return response.json(answer)

    @bp.get("/broadcasts/<broadcast_id:int>/preview")
    @requires("viewer")
    async def preview(request: Request, broadcast_id: int) -> HTTPResponse:
        try:
            answer = await service.preview(
                store_of(request),
                broadcast_id,
                now=_clock(request),
                wa_id=request.args.get("wa_id"),
            )
        except service.BroadcastError as exc:
            return _error(exc)
        return response.json(answer)

    @bp.post("/broadcasts/<broadcast_id:int>/dry-run")
    @requires("organizer")
    async def dry_run(request: Request, broadcast_id: int) -> HTTPResponse:
        try:
            answer = await service.dry_run(store_of(request), broadcast_id, now=_clock(request))
        except service.BroadcastError as exc:
            return _error(exc)
        return response.json(answer)

    @bp.post("/broadcasts/<broadcast_id:int>/send")
    @requires("organizer")
    async def send(request: Request, broadcast_id: int) -> HTTPResponse:
        try:
            answer = await service.send(store_of(request), broadcast_id, now=_clock(request))
        except service.BroadcastError as exc:
            event(
                log,
                "broadcast.send_refused",
                logging.WARNING,
                broadcast_id=broadcast_id,
                error=str(exc)[:300],
            )
            return _error(exc)
        wake(request)
        event(
            log,
            "broadcast.queued",
            broadcast_id=broadcast_id,
            status=answer["status"],
            queued=answer["queued"],
            excluded=answer["excluded_total"],
            first_slot=answer["first_slot"],
        )
        return response.json(answer, status=202)

    @bp.post("/broadcasts/<broadcast_id:int>/cancel")
    @requires("organizer")
    async def cancel(request: Request, broadcast_id: int) -> HTTPResponse:
        try:
            answer = await service.cancel(store_of(request), broadcast_id, now=_clock(request))
        except service.BroadcastError as exc:
            return _error(exc)
        event(log, "broadcast.cancelled", **answer)
        return response.json(answer)
