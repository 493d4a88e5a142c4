"""HTTP face of the emulator: the Graph API paths the real client calls.

Mounted under ``/graph`` so the bot's base URL is ``http://host:port/graph/v21.0``.
Every handler is wrapped by ``graph_endpoint`` which checks the version segment and
the Bearer token and renders ``GraphError`` as the §7.1 envelope: handlers stay
about behaviour, not plumbing.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, raw

from bot.sandbox.emulator_state import MEDIA_RULES, media_category
from bot.sandbox.graph_errors import GraphError, required
from bot.sandbox.http import reply
from bot.sandbox.wappbiz_emulator import WappbizEmulator

_VERSION = re.compile(r"^v\d{1,3}\.0$")
Handler = Callable[..., Awaitable[HTTPResponse]]


def graph_error_response(error: GraphError) -> HTTPResponse:
    return reply(error.envelope(), error.http_status)


def json_body(request: Request) -> Any:
    """The parsed body; 100 when it is not JSON (Meta answers the same)."""
    if not request.body:
        raise GraphError(100, "The request body is empty; a JSON object is expected.")
    try:
        return json.loads(request.body)
    except ValueError:
        raise GraphError(100, "The request body is not valid JSON.") from None


def base_url(request: Request) -> str:
    """Scheme and host the caller used, so generated URLs work from any port."""
    return f"{request.scheme}://{request.host}"


def graph_blueprint(emulator: WappbizEmulator) -> Blueprint:
    bp = Blueprint("graph")

    def graph_endpoint(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def wrapper(request: Request, **kwargs: Any) -> HTTPResponse:
            try:
                version = kwargs.pop("version", None)
                if version is not None and not _VERSION.match(version):
                    raise GraphError(100, f"Unknown API version {version!r}.")
                emulator.check_token(request.headers.get("authorization"))
                return await handler(request, **kwargs)
            except GraphError as error:
                return graph_error_response(error)

        return wrapper

    @bp.post("/graph/<version>/<object_id>/messages")
    @graph_endpoint
    async def send_message(request: Request, object_id: str) -> HTTPResponse:
        emulator.check_object(object_id, emulator.config.phone_number_id, "post")
        return reply(await emulator.send(json_body(request)))

    @bp.post("/graph/<version>/<object_id>/media")
    @graph_endpoint
    async def upload_media(request: Request, object_id: str) -> HTTPResponse:
        emulator.check_object(object_id, emulator.config.phone_number_id, "post")
        item = _validated_upload(request)
        stored = emulator.store_media(item[0], item[1], item[2])
        return reply({"id": stored.id})

    @bp.get("/graph/<version>/<object_id>/message_templates")
    @graph_endpoint
    async def list_templates(request: Request, object_id: str) -> HTTPResponse:
        emulator.check_object(object_id, emulator.config.waba_id, "get")
        return reply(_template_page(emulator, request))

    @bp.post("/graph/<version>/<object_id>/message_templates")
    @graph_endpoint
    async def create_template(request: Request, object_id: str) -> HTTPResponse:
        emulator.check_object(object_id, emulator.config.waba_id, "post")
        template = emulator.create_template(json_body(request))
        return reply({"id": template.id, "status": template.status, "category": template.category})

    @bp.delete("/graph/<version>/<object_id>/message_templates")
    @graph_endpoint
    async def delete_template(request: Request, object_id: str) -> HTTPResponse:
        emulator.check_object(object_id, emulator.config.waba_id, "delete")
        emulator.templates.delete(request.args.get("name"), request.args.get("hsm_id"))
        return reply({"success": True})

    @bp.get("/graph/<version>/<object_id>")
    @graph_endpoint
    async def get_object(request: Request, object_id: str) -> HTTPResponse:
        item = emulator.get_media(object_id)
        if item is not None:
            return reply(
                {
                    "messaging_product": "whatsapp",
                    "url": emulator.media_url(item, base_url(request)),
                    "mime_type": item.mime_type,
                    "sha256": item.sha256_hex,
                    "file_size": len(item.data),
                    "id": item.id,
                }
            )
        template = emulator.templates.get(object_id)
        if template is not None:
            fields = [f for f in (request.args.get("fields") or "").split(",") if f]
            return reply(template.to_api(fields or None))
        described = emulator.describe(object_id)
        if described is not None:
            return reply(described)
        raise emulator.unknown_object(object_id, "get")

    @bp.post("/graph/<version>/<object_id>")
    @graph_endpoint
    async def edit_template(request: Request, object_id: str) -> HTTPResponse:
        template = emulator.templates.get(object_id)
        if template is None:
            raise emulator.unknown_object(object_id, "post")
        emulator.edit_template(template, json_body(request))
        return reply({"success": True})

    @bp.delete("/graph/<version>/<object_id>")
    @graph_endpoint
    async def delete_media(request: Request, object_id: str) -> HTTPResponse:
        if emulator.state.media.pop(object_id, None) is None:
            raise emulator.unknown_object(object_id, "delete")
        return reply({"success": True})

    @bp.get("/lookaside/whatsapp_business/attachments/")
    @graph_endpoint
    async def download_media(request: Request) -> HTTPResponse:
        item = emulator.media_for_download(
            request.args.get("mid", ""), request.args.get("ext", ""), request.args.get("hash", "")
        )
        return raw(item.data, content_type=item.mime_type)

    return bp


def _validated_upload(request: Request) -> tuple[bytes, str, str | None]:
    """Multipart ``file`` + ``type`` + ``messaging_product``, with §5 MIME/size limits."""
    form = request.form or {}
    if form.get("messaging_product") != "whatsapp":
        raise GraphError(100, "The parameter messaging_product is required and must be 'whatsapp'.")
    upload = (request.files or {}).get("file")
    if upload is None:
        raise required("file")
    mime = form.get("type") or upload.type
    category = media_category(mime)
    if category is None:
        raise GraphError(131053, f"Param file must be a file of a supported type, got {mime!r}.")
    limit = MEDIA_RULES[category][1]
    if len(upload.body) > limit:
        raise GraphError(131053, f"File is {len(upload.body)} bytes; {category} allows {limit}.")
    if not upload.body:
        raise GraphError(131053, "The uploaded file is empty.")
    return upload.body, mime, upload.name or None


def _template_page(emulator: WappbizEmulator, request: Request) -> dict[str, Any]:
    """``GET /{waba_id}/message_templates`` with filters and cursor paging."""
    args = request.args
    templates = emulator.templates.query(
        name=args.get("name"),
        status=args.get("status"),
        category=args.get("category"),
        language=args.get("language"),
    )
    try:
        limit = max(1, min(int(args.get("limit", "25")), 1000))
        start = int(args.get("after", "0") or "0")
    except ValueError:
        raise GraphError(100, "Params limit and after must be integers.") from None
    fields = [f for f in (args.get("fields") or "").split(",") if f] or None
    page = templates[start : start + limit]
    cursors = {"before": str(start), "after": str(start + len(page))}
    result: dict[str, Any] = {
        "data": [t.to_api(fields) for t in page],
        "paging": {"cursors": cursors},
    }
    if start + limit < len(templates):
        query = [(k, v) for k, v in request.query_args if k != "after"]
        query.append(("after", str(start + limit)))
        result["paging"]["next"] = f"{base_url(request)}{request.path}?{urlencode(query)}"
    return result
