"""Turn the sandbox's simple inbound requests into Cloud API message objects (§2).

The web chat, the CLI and tests describe a user message in a few flat fields
(``{"type":"text","text":"hola"}``); this module produces exactly what Meta would
put in ``value.messages[]`` so the bot is exercised with real shapes.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.sandbox.emulator_state import MEDIA_RULES, MediaItem, media_category

MEDIA_TYPES = ("image", "video", "document", "audio", "sticker")
INBOUND_TYPES = ("text", "interactive", "button", "location", "contacts", "reaction", *MEDIA_TYPES)


class InboundError(ValueError):
    """A malformed sandbox inbound request (answered 400 with the message)."""


@dataclass
class InboundContext:
    """What building a message needs from the emulator, passed as plain callables."""

    business_number: str
    store_media: Callable[[bytes, str, str | None], MediaItem]
    get_media: Callable[[str], MediaItem | None]
    #: ("button_id" | "row_id" | "payload", value) -> wamid of the message that offered it.
    find_context: Callable[[str, str], str | None]


def build_message(
    spec: dict[str, Any], *, wamid: str, wa_id: str, timestamp: int, ctx: InboundContext
) -> dict[str, Any]:
    """The ``messages[]`` item for ``spec``; raises ``InboundError`` when it is unusable."""
    raw = spec.get("raw_message")
    if raw is not None:
        if not isinstance(raw, dict):
            raise InboundError("raw_message must be a JSON object")
        message = dict(raw)
        message.setdefault("from", wa_id)
        message.setdefault("id", wamid)
        message.setdefault("timestamp", str(timestamp))
        return message
    msg_type = spec.get("type") or "text"
    if msg_type not in INBOUND_TYPES:
        raise InboundError(f"type must be one of {', '.join(INBOUND_TYPES)} (or use raw_message)")
    nested = spec.get(msg_type)
    src = {**spec, **nested} if isinstance(nested, dict) else dict(spec)
    message: dict[str, Any] = {
        "from": wa_id,
        "id": wamid,
        "timestamp": str(timestamp),
        "type": msg_type,
    }
    builder = _BUILDERS[msg_type]
    payload, context_id = builder(src, ctx)
    message[msg_type] = payload
    context_id = spec.get("context_id") or context_id
    if context_id:
        message["context"] = {"from": ctx.business_number, "id": context_id}
    return message


def _text(src: dict[str, Any], _ctx: InboundContext) -> tuple[Any, str | None]:
    text = src.get("text")
    body = src.get("body") if not isinstance(text, str) else text
    if not isinstance(body, str) or not body:
        raise InboundError("text messages need a non-empty 'text'")
    return {"body": body}, None


def _reply(src: dict[str, Any], key: str) -> dict[str, Any]:
    reply = src.get(key)
    if not isinstance(reply, dict) or not reply.get("id") or not reply.get("title"):
        raise InboundError(f"{key} needs 'id' and 'title'")
    out = {"id": str(reply["id"]), "title": str(reply["title"])}
    if key == "list_reply" and reply.get("description"):
        out["description"] = str(reply["description"])
    return out


def _interactive(src: dict[str, Any], ctx: InboundContext) -> tuple[Any, str | None]:
    if "button_reply" in src:
        reply = _reply(src, "button_reply")
        return {"type": "button_reply", "button_reply": reply}, ctx.find_context(
            "button_id", reply["id"]
        )
    if "list_reply" in src:
        reply = _reply(src, "list_reply")
        return {"type": "list_reply", "list_reply": reply}, ctx.find_context("row_id", reply["id"])
    raise InboundError("interactive messages need 'button_reply' or 'list_reply'")


def _button(src: dict[str, Any], ctx: InboundContext) -> tuple[Any, str | None]:
    payload, text = src.get("payload"), src.get("text")
    if not payload and not text:
        raise InboundError("button messages need 'payload' and/or 'text'")
    payload = str(payload or text)
    return {"payload": payload, "text": str(text or payload)}, ctx.find_context("payload", payload)


def _number(src: dict[str, Any], key: str) -> float:
    value = src.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        try:
            return float(str(value))
        except ValueError:
            raise InboundError(f"location needs a numeric '{key}'") from None
    return value


def _location(src: dict[str, Any], _ctx: InboundContext) -> tuple[Any, str | None]:
    out: dict[str, Any] = {
        "latitude": _number(src, "latitude"),
        "longitude": _number(src, "longitude"),
    }
    for key in ("name", "address", "url"):
        if src.get(key):
            out[key] = str(src[key])
    return out, None


def _contacts(src: dict[str, Any], _ctx: InboundContext) -> tuple[Any, str | None]:
    contacts = src.get("contacts")
    if not isinstance(contacts, list) or not contacts:
        raise InboundError("contacts messages need a non-empty 'contacts' list")
    for contact in contacts:
        if not isinstance(contact, dict) or not isinstance(contact.get("name"), dict):
            raise InboundError("each contact needs a 'name' object with 'formatted_name'")
    return contacts, None


def _reaction(src: dict[str, Any], _ctx: InboundContext) -> tuple[Any, str | None]:
    if not src.get("message_id"):
        raise InboundError("reaction messages need 'message_id'")
    return {"message_id": str(src["message_id"]), "emoji": str(src.get("emoji") or "")}, None


def _media(msg_type: str) -> Callable[[dict[str, Any], InboundContext], tuple[Any, str | None]]:
    def build(src: dict[str, Any], ctx: InboundContext) -> tuple[Any, str | None]:
        item = _resolve_media(msg_type, src, ctx)
        out: dict[str, Any] = {
            "id": item.id,
            "mime_type": item.mime_type,
            "sha256": item.sha256_b64,
        }
        if msg_type in ("image", "video", "document") and src.get("caption"):
            out["caption"] = str(src["caption"])
        if msg_type == "document":
            out["filename"] = item.filename or src.get("filename") or "documento"
        if msg_type == "audio":
            out["voice"] = bool(src.get("voice", False))
        if msg_type == "sticker":
            out["animated"] = bool(src.get("animated", False))
        return out, None

    return build


def _resolve_media(msg_type: str, src: dict[str, Any], ctx: InboundContext) -> MediaItem:
    """An existing media id, or base64 ``data`` stored as new media."""
    if src.get("media_id"):
        item = ctx.get_media(str(src["media_id"]))
        if item is None:
            raise InboundError(f"unknown media_id {src['media_id']}")
        return item
    data, mime = src.get("data"), src.get("mime_type")
    if not isinstance(data, str) or not isinstance(mime, str):
        raise InboundError(f"{msg_type} messages need 'media_id' or base64 'data' + 'mime_type'")
    if "," in data and data.startswith("data:"):
        data = data.split(",", 1)[1]  # tolerate a data: URL from the browser
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise InboundError("'data' is not valid base64") from None
    if media_category(mime) != msg_type:
        raise InboundError(f"{mime} is not a valid {msg_type} type for WhatsApp")
    limit = MEDIA_RULES[msg_type][1]
    if len(raw) > limit:
        raise InboundError(f"{msg_type} is larger than {limit // 1024} KB")
    filename = src.get("filename") if isinstance(src.get("filename"), str) else None
    return ctx.store_media(raw, mime, filename)


_BUILDERS: dict[str, Callable[[dict[str, Any], InboundContext], tuple[Any, str | None]]] = {
    "text": _text,
    "interactive": _interactive,
    "button": _button,
    "location": _location,
    "contacts": _contacts,
    "reaction": _reaction,
    **{t: _media(t) for t in MEDIA_TYPES},
}
