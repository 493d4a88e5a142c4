"""The door page: staff scan a ticket QR (photo, screenshot or typed code) and see at once
whether the person may come in.

``GET /door`` serves a small bilingual page; ``POST /door/scan`` takes a multipart
``image``, or JSON ``{"code"}`` / ``{"media_id"}`` (an image a customer sent over
WhatsApp, held by the Wappbíz emulator of the same app), decodes the QR server-side
with the real decoder (``zxingcpp``), and then checks the person in through the
emulator's own *public check-in API over HTTP* with the bot's ``HiEventsClient``:
the door exercises exactly the path a real scanner (and the bot) takes, errors
included, instead of reaching into the emulator's memory.
"""

from __future__ import annotations

import asyncio
import io
import itertools
import re
from datetime import datetime
from pathlib import Path
from typing import Any

from babel.dates import format_datetime
from sanic import Blueprint, Request
from sanic.response import HTTPResponse, file

from bot.calendar import to_bogota
from bot.clients.hi_events import CheckInResult, HiEventsClient
from bot.errors import ProviderError
from bot.sandbox.hi_events.config import HiEventsConfig
from bot.sandbox.hi_events.emulator import HiEventsEmulator
from bot.sandbox.hi_events.routes import API_PREFIX, json_body, respond

DOOR_HTML = Path(__file__).resolve().parent / "door.html"
_PUBLIC_ID = re.compile(r"\bA-[A-Z0-9]{7}\b")
_numbers = itertools.count(1)


class DecoderMissing(RuntimeError):
    """``zxing-cpp`` is not installed in this environment."""


def decode_qr(data: bytes) -> list[str]:
    """Texts of every barcode in the image (blocking: run it in a thread).

    Raises ``ValueError`` when the bytes are not an image Pillow can open.
    """
    try:
        import zxingcpp
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise DecoderMissing("zxing-cpp is not installed") from exc
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as opened:
            image = ImageOps.exif_transpose(opened).convert("RGB")
    except (UnidentifiedImageError, OSError) as exc:
        raise ValueError("not an image") from exc
    return [result.text for result in zxingcpp.read_barcodes(image) if result.text]


def pick_code(texts: list[str]) -> str | None:
    """The attendee ``public_id`` in the QR texts (Hi.Events encodes it alone, §8)."""
    for text in texts:
        found = _PUBLIC_ID.search(text.upper())
        if found:
            return found.group(0)
    return texts[0].strip() if texts else None


def normalise_code(code: str) -> str:
    """Typed codes: trim, upper-case, and accept ``a-xy98zt1`` or a pasted ticket URL."""
    found = _PUBLIC_ID.search(code.strip().upper())
    return found.group(0) if found else code.strip()


def local_time(moment: datetime, lang: str) -> str:
    """``8:05 p. m.`` / ``8:05 PM`` in Bogotá time, plain spaces."""
    local = to_bogota(moment)
    locale = "es_CO" if lang == "es" else "en"
    text = format_datetime(local, "h:mm a", tzinfo=local.tzinfo, locale=locale)
    return text.replace("\u202f", " ").replace("\u00a0", " ")


def self_base_url(request: Request) -> str:
    """The socket this request came in on: the emulator calls itself there."""
    sockname = request.transport.get_extra_info("sockname")
    if isinstance(sockname, tuple) and len(sockname) >= 2:
        host, port = str(sockname[0]), int(sockname[1])
    else:  # pragma: no cover - unix sockets are not used by the sandbox
        host, port = "127.0.0.1", 80
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def door_blueprint(emulator: HiEventsEmulator, config: HiEventsConfig) -> Blueprint:
    bp = Blueprint(f"hi_events_door_{next(_numbers)}")

    @bp.get("/door")
    async def door_page(_request: Request) -> HTTPResponse:
        return await file(DOOR_HTML, mime_type="text/html; charset=utf-8")

    @bp.get("/door/lists")
    async def door_lists(_request: Request) -> HTTPResponse:
        """Events with their check-in list, soonest first (a sandbox helper, no JWT)."""
        state = emulator.state
        items = []
        for check_in_list in state.check_in_lists.values():
            event = state.events.get(check_in_list.event_id)
            if event is None:
                continue
            start = to_bogota(event.start_date)
            items.append(
                {
                    "event_id": event.id,
                    "title": event.title,
                    "starts_at": start.isoformat(),
                    "date": start.strftime("%Y-%m-%d %H:%M"),
                    "list_short_id": check_in_list.short_id,
                    "list_name": check_in_list.name,
                }
            )
        items.sort(key=lambda item: item["starts_at"])
        return respond({"data": items})

    @bp.post("/door/scan")
    async def door_scan(request: Request) -> HTTPResponse:
        image: bytes | None = None
        if (request.content_type or "").startswith("multipart/"):
            list_short_id = request.form.get("list")
            code = request.form.get("code")
            upload = request.files.get("image")
            image = upload.body if upload is not None else None
            media_id = request.form.get("media_id")
        else:
            body = json_body(request)
            list_short_id = body.get("list")
            code = body.get("code")
            media_id = body.get("media_id")
        if not emulator.state.check_in_lists:
            return _outcome(
                "error", "No hay listas de ingreso", "No check-in lists", http_status=400
            )
        if media_id and image is None and not code:
            wappbiz = getattr(request.app.ctx, "emulator", None)
            item = wappbiz.get_media(str(media_id)) if wappbiz is not None else None
            if item is None:
                return _outcome(
                    "error", "No encontré esa imagen", "Media not found", http_status=404
                )
            image = item.data
        if image is not None and not code:
            try:
                texts = await asyncio.to_thread(decode_qr, image)
            except DecoderMissing:
                return _outcome(
                    "error",
                    "El lector de QR no está instalado (zxing-cpp)",
                    "The QR decoder is not installed (zxing-cpp)",
                    http_status=503,
                )
            except ValueError:
                return _outcome(
                    "no_code", "Eso no parece una imagen", "That is not an image", http_status=400
                )
            code = pick_code(texts)
            if not code:
                return _outcome(
                    "no_code",
                    "No encontré un código QR en la imagen",
                    "No QR code found in the image",
                )
        if not code or not isinstance(code, str):
            return _outcome(
                "error",
                "Sube una foto del QR o escribe el código",
                "Upload a photo of the QR or type the code",
                http_status=400,
            )
        if not list_short_id:  # the web chat's "scan at the door": the ticket's own event
            list_short_id = _list_for(emulator, normalise_code(code))
        client = HiEventsClient(
            base_url=self_base_url(request) + API_PREFIX,
            email=config.email,
            password=config.password,
            http=emulator.http,
            max_attempts=2,
            backoff_base_s=0.1,
        )
        return await _check_in(client, str(list_short_id), normalise_code(code))

    return bp


def _list_for(emulator: Any, code: str) -> str:
    """The check-in list covering this attendee's ticket, else the soonest event's list."""
    state = emulator.state
    attendee = state.attendee_by_public_id(code)
    if attendee is not None:
        for check_in_list in state.check_in_lists.values():
            if check_in_list.event_id == attendee.event_id and (
                not check_in_list.product_ids or attendee.product_id in check_in_list.product_ids
            ):
                return check_in_list.short_id
    soonest = min(state.check_in_lists.values(), key=lambda c: state.events[c.event_id].start_date)
    return soonest.short_id


async def _check_in(client: HiEventsClient, list_short_id: str, code: str) -> HTTPResponse:
    try:
        result: CheckInResult = await client.check_in(list_short_id, code)
        if result.reason == "unknown":
            return _outcome(
                "unknown",
                f"Código desconocido: {code}",
                f"Unknown code: {code}",
                code=code,
            )
        check_in_list = await client.check_in_list(list_short_id)
        attendee = await client.check_in_attendee(list_short_id, code)
    except ProviderError as error:
        return _outcome(
            "error",
            f"No pude hablar con la taquilla: {error}",
            f"Could not reach ticketing: {error}",
            http_status=502,
        )
    titles = {p.get("id"): p.get("title") for p in check_in_list.get("products") or []}
    holder = None
    ticket_type = None
    if attendee:
        holder = " ".join(
            part for part in (attendee.get("first_name"), attendee.get("last_name")) if part
        )
        ticket_type = titles.get(attendee.get("product_id"))
    extra: dict[str, Any] = {
        "code": code,
        "holder": holder,
        "ticket_type": ticket_type,
        "event": (check_in_list.get("event") or {}).get("title"),
    }
    if result.checked_in_at is not None:
        extra["checked_in_at"] = result.checked_in_at.isoformat()
        extra["checked_in_local"] = {
            "es": local_time(result.checked_in_at, "es"),
            "en": local_time(result.checked_in_at, "en"),
        }
    if result.ok:
        who = holder or code
        return _outcome(
            "welcome",
            f"¡Bienvenida/o, {who}!",
            f"Welcome, {who}!",
            ok=True,
            **extra,
        )
    if result.reason == "already_checked_in" and result.checked_in_at is not None:
        return _outcome(
            "already_checked_in",
            f"Ya ingresó a las {local_time(result.checked_in_at, 'es')}",
            f"Already checked in at {local_time(result.checked_in_at, 'en')}",
            **extra,
        )
    if result.reason == "cancelled":
        return _outcome("cancelled", "Entrada cancelada", "Ticket cancelled", **extra)
    if result.reason == "awaiting_payment":
        return _outcome(
            "awaiting_payment",
            "Pago pendiente: esta entrada aún no está pagada",
            "Payment pending: this ticket is not paid yet",
            **extra,
        )
    message = result.error or "?"
    return _outcome("error", message, message, **extra)


def _outcome(
    outcome: str, es: str, en: str, *, ok: bool = False, http_status: int = 200, **extra: Any
) -> HTTPResponse:
    """One answer shape for the page: ``status`` drives the colour, ``message`` the text."""
    body = {"status": outcome, "ok": ok, "message": {"es": es, "en": en}, **extra}
    return respond(body, http_status)
