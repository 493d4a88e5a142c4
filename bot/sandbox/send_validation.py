"""Validation of ``POST /{phone_number_id}/messages`` bodies (contract §4).

Error codes, chosen once and used everywhere so clients can rely on them:

* ``100``    envelope problems: not JSON, ``messaging_product``, ``recipient_type``,
             ``to``, unknown ``type``, ``action`` that is a string but not JSON;
* ``131008`` a required field of the typed object is missing;
* ``131009`` a field is present but breaks a limit (lengths, counts, uniqueness);
* ``131053`` media that cannot be used (unknown id, MIME type of another kind);
* ``132xxx`` template problems (see ``templates.py``).

The details strings name the offending parameter the way Meta does
(``Param text['body'] ...``) so a developer reading a log knows what to fix.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from bot.sandbox.emulator_state import MediaItem
from bot.sandbox.graph_errors import GraphError, invalid, required
from bot.sandbox.templates import TemplateRegistry

MEDIA_TYPES = ("image", "video", "document", "audio", "sticker")
SUPPORTED_TYPES = (
    "text",
    "interactive",
    "template",
    "location",
    "contacts",
    "reaction",
    *MEDIA_TYPES,
)
INTERACTIVE_TYPES = ("button", "list", "cta_url", "location_request_message")
MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_INTERACTIVE_BODY = 1024
MAX_HEADER = 60
MAX_FOOTER = 60
MAX_BUTTONS = 3
MAX_BUTTON_TITLE = 20
MAX_BUTTON_ID = 256
MAX_LIST_BUTTON = 20
MAX_SECTIONS = 10
MAX_ROWS = 10
MAX_SECTION_TITLE = 24
MAX_ROW_TITLE = 24
MAX_ROW_DESCRIPTION = 72
MAX_ROW_ID = 200
MAX_CTA_TEXT = 20
MAX_OPAQUE = 512
_PHONE_SEPARATORS = re.compile(r"[\s\-().+]")

MediaLookup = Callable[[str], MediaItem | None]


@dataclass
class SendRequest:
    """A validated send, normalised (``action`` parsed, ``type`` filled in)."""

    to: str
    wa_id: str
    type: str
    body: dict[str, Any]
    context_id: str | None = None
    biz_opaque_callback_data: str | None = None
    template_rendered: dict[str, Any] | None = None
    #: Pricing category: ``service`` for free-form replies, the template category otherwise.
    category: str = "service"


def normalize_wa_id(to: Any) -> str:
    """``"+57 300 123-4567"`` -> ``"573001234567"``; 100 if it is not a phone number."""
    if not isinstance(to, str) or not to.strip():
        raise GraphError(100, "The parameter to is required.")
    digits = _PHONE_SEPARATORS.sub("", to)
    if not digits.isdigit() or not 7 <= len(digits) <= 15:
        raise GraphError(100, f"Param to must be a phone number with country code, got {to!r}.")
    return digits


def validate_send(
    payload: Any, templates: TemplateRegistry, media_lookup: MediaLookup
) -> SendRequest:
    """Check a send body completely; raise ``GraphError`` on the first problem."""
    if not isinstance(payload, dict):
        raise GraphError(100, "Request body must be a JSON object.")
    body = copy.deepcopy(payload)
    _check_envelope(body)
    wa_id = normalize_wa_id(body.get("to"))
    msg_type = body.setdefault("type", "text")
    if msg_type not in SUPPORTED_TYPES:
        raise GraphError(100, f"Param type must be one of {{{', '.join(SUPPORTED_TYPES)}}}.")
    request = SendRequest(
        to=body["to"],
        wa_id=wa_id,
        type=msg_type,
        body=body,
        context_id=_context_id(body),
        biz_opaque_callback_data=_opaque(body),
    )
    if msg_type not in body:
        raise required(msg_type)
    if msg_type == "template":
        template, rendered = templates.render_send(body["template"])
        request.template_rendered = rendered
        request.category = template.category.lower()
    elif msg_type == "interactive":
        body["interactive"] = validate_interactive(body["interactive"])
    else:
        _VALIDATORS[msg_type](msg_type, body[msg_type], media_lookup)
    return request


def _check_envelope(body: dict[str, Any]) -> None:
    product = body.get("messaging_product")
    if product is None:
        raise GraphError(100, "The parameter messaging_product is required.")
    if product != "whatsapp":
        raise GraphError(100, "Param messaging_product must be 'whatsapp'.")
    recipient_type = body.get("recipient_type", "individual")
    if recipient_type != "individual":
        raise GraphError(100, "Param recipient_type must be 'individual'.")


def _context_id(body: dict[str, Any]) -> str | None:
    context = body.get("context")
    if context is None:
        return None
    if not isinstance(context, dict) or not isinstance(context.get("message_id"), str):
        raise required("context['message_id']")
    return context["message_id"]


def _opaque(body: dict[str, Any]) -> str | None:
    value = body.get("biz_opaque_callback_data")
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_OPAQUE:
        raise invalid(f"Param biz_opaque_callback_data must be a string of at most {MAX_OPAQUE}.")
    return value


# --- small checks ---------------------------------------------------------------------
def _object(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise invalid(f"Param {path} must be a JSON object.")
    return value


def _string(
    obj: dict[str, Any], key: str, path: str, *, max_len: int, min_len: int = 1, need: bool = True
) -> str | None:
    """A string field with length limits; ``need`` makes absence a 131008."""
    value = obj.get(key)
    if value is None:
        if need:
            raise required(f"{path}['{key}']")
        return None
    if not isinstance(value, str):
        raise invalid(f"Param {path}['{key}'] must be a string.")
    if len(value) > max_len:
        raise invalid(f"Param {path}['{key}'] must be at most {max_len} characters long.")
    if len(value.strip()) < min_len:
        raise invalid(f"Param {path}['{key}'] must be at least {min_len} characters long.")
    return value


def _url(value: str | None, path: str) -> None:
    parsed = urlparse(value or "")
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise invalid(f"Param {path} must be a valid http(s) URL.")


# --- per-type validators ----------------------------------------------------------------
def _text(_type: str, value: Any, _media: MediaLookup) -> None:
    obj = _object(value, "text")
    _string(obj, "body", "text", max_len=MAX_TEXT)
    if "preview_url" in obj and not isinstance(obj["preview_url"], bool):
        raise invalid("Param text['preview_url'] must be a boolean.")


def _media(msg_type: str, value: Any, media_lookup: MediaLookup) -> None:
    obj = _object(value, msg_type)
    media_id, link = obj.get("id"), obj.get("link")
    if media_id is None and link is None:
        raise required(f"{msg_type}['id'] or {msg_type}['link']")
    if media_id is not None and link is not None:
        raise invalid(f"Param {msg_type} must have either id or link, not both.")
    if media_id is not None:
        item = media_lookup(str(media_id))
        if item is None:
            raise GraphError(131053, f"Media id {media_id} was not found or has been deleted.")
        if item.category != msg_type:
            raise GraphError(
                131053, f"Media id {media_id} is {item.mime_type}, not usable as {msg_type}."
            )
    else:
        _url(link if isinstance(link, str) else None, f"{msg_type}['link']")
    if msg_type in ("image", "video", "document"):
        _string(obj, "caption", msg_type, max_len=MAX_CAPTION, min_len=0, need=False)
    elif "caption" in obj:
        raise invalid(f"Param {msg_type}['caption'] is not allowed for {msg_type} messages.")
    if msg_type == "document":
        _string(obj, "filename", "document", max_len=240, need=False)


def _number(obj: dict[str, Any], key: str, limit: float) -> None:
    value = obj.get(key)
    if value is None:
        raise required(f"location['{key}']")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise invalid(f"Param location['{key}'] must be a number.")
    if not -limit <= value <= limit:
        raise invalid(f"Param location['{key}'] must be between -{limit} and {limit}.")


def _location(_type: str, value: Any, _media: MediaLookup) -> None:
    obj = _object(value, "location")
    _number(obj, "latitude", 90)
    _number(obj, "longitude", 180)
    _string(obj, "name", "location", max_len=1000, min_len=0, need=False)
    _string(obj, "address", "location", max_len=1000, min_len=0, need=False)


def _contacts(_type: str, value: Any, _media: MediaLookup) -> None:
    if not isinstance(value, list) or not value:
        raise invalid("Param contacts must be a non-empty list.")
    for index, contact in enumerate(value):
        path = f"contacts[{index}]"
        obj = _object(contact, path)
        name = obj.get("name")
        if not isinstance(name, dict):
            raise required(f"{path}['name']")
        _string(name, "formatted_name", f"{path}['name']", max_len=1000)
        phones = obj.get("phones", [])
        if not isinstance(phones, list) or not all(isinstance(p, dict) for p in phones):
            raise invalid(f"Param {path}['phones'] must be a list of objects.")


def _reaction(_type: str, value: Any, _media: MediaLookup) -> None:
    obj = _object(value, "reaction")
    _string(obj, "message_id", "reaction", max_len=512)
    if "emoji" not in obj:
        raise required("reaction['emoji']")
    if not isinstance(obj["emoji"], str) or len(obj["emoji"]) > 16:
        raise invalid("Param reaction['emoji'] must be a single emoji or empty.")


_VALIDATORS: dict[str, Callable[[str, Any, MediaLookup], None]] = {
    "text": _text,
    "location": _location,
    "contacts": _contacts,
    "reaction": _reaction,
    **{t: _media for t in MEDIA_TYPES},
}


# --- interactive ------------------------------------------------------------------------
def validate_interactive(value: Any) -> dict[str, Any]:
    """Check an interactive object (§4.2); returns it with ``action`` parsed if a string."""
    obj = _object(value, "interactive")
    kind = obj.get("type")
    if kind is None:
        raise required("interactive['type']")
    if kind not in INTERACTIVE_TYPES:
        raise invalid(f"Param interactive['type'] must be one of {', '.join(INTERACTIVE_TYPES)}.")
    if isinstance(obj.get("action"), str):
        try:
            obj["action"] = json.loads(obj["action"])
        except ValueError:
            raise GraphError(100, "Param interactive['action'] is not valid JSON.") from None
    if "action" not in obj:
        raise required("interactive['action']")
    action = _object(obj["action"], "interactive['action']")
    body = obj.get("body")
    if body is None:
        raise required("interactive['body']")
    _string(
        _object(body, "interactive['body']"),
        "text",
        "interactive['body']",
        max_len=MAX_INTERACTIVE_BODY,
    )
    _header(obj, kind)
    if obj.get("footer") is not None:
        footer = _object(obj["footer"], "interactive['footer']")
        _string(footer, "text", "interactive['footer']", max_len=MAX_FOOTER)
    if kind == "button":
        _reply_buttons(action)
    elif kind == "list":
        _list_action(action)
    elif kind == "cta_url":
        _cta_url(action)
    return obj


def _header(obj: dict[str, Any], kind: str) -> None:
    header = obj.get("header")
    if header is None:
        return
    header = _object(header, "interactive['header']")
    header_type = header.get("type")
    allowed = ("text",) if kind == "list" else ("text", "image", "video", "document")
    if header_type not in allowed:
        raise invalid(f"Param interactive['header']['type'] must be one of {', '.join(allowed)}.")
    if header_type == "text":
        _string(header, "text", "interactive['header']", max_len=MAX_HEADER)
        return
    media = header.get(header_type)
    if not isinstance(media, dict) or not (media.get("id") or media.get("link")):
        raise required(f"interactive['header']['{header_type}']['link']")


def _reply_buttons(action: dict[str, Any]) -> None:
    buttons = action.get("buttons")
    if buttons is None:
        raise required("interactive['action']['buttons']")
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= MAX_BUTTONS:
        count = len(buttons) if isinstance(buttons, list) else 0
        raise invalid(f"Number of buttons ({count}) should be between 1 and {MAX_BUTTONS}.")
    titles: set[str] = set()
    ids: set[str] = set()
    for index, button in enumerate(buttons):
        path = f"interactive['action']['buttons'][{index}]"
        button = _object(button, path)
        if button.get("type") != "reply":
            raise invalid(f"Param {path}['type'] must be 'reply'.")
        reply = button.get("reply")
        if reply is None:
            raise required(f"{path}['reply']")
        reply = _object(reply, f"{path}['reply']")
        title = reply.get("title")
        if isinstance(title, str) and not 1 <= len(title) <= MAX_BUTTON_TITLE:
            raise invalid(
                f"Button title length invalid. Min length: 1, Max length: {MAX_BUTTON_TITLE}"
            )
        title = _string(reply, "title", f"{path}['reply']", max_len=MAX_BUTTON_TITLE)
        button_id = _string(reply, "id", f"{path}['reply']", max_len=MAX_BUTTON_ID)
        if title in titles:
            raise invalid(f"Button title must be unique: {title!r} is repeated.")
        if button_id in ids:
            raise invalid(f"Button id must be unique: {button_id!r} is repeated.")
        titles.add(str(title))
        ids.add(str(button_id))


def _list_action(action: dict[str, Any]) -> None:
    _string(action, "button", "interactive['action']", max_len=MAX_LIST_BUTTON)
    sections = action.get("sections")
    if sections is None:
        raise required("interactive['action']['sections']")
    if not isinstance(sections, list) or not 1 <= len(sections) <= MAX_SECTIONS:
        raise invalid(f"Number of sections should be between 1 and {MAX_SECTIONS}.")
    rows_total = 0
    row_ids: set[str] = set()
    for index, section in enumerate(sections):
        path = f"interactive['action']['sections'][{index}]"
        section = _object(section, path)
        _string(section, "title", path, max_len=MAX_SECTION_TITLE, need=len(sections) > 1)
        rows = section.get("rows")
        if not isinstance(rows, list) or not rows:
            raise required(f"{path}['rows']")
        rows_total += len(rows)
        if rows_total > MAX_ROWS:
            raise invalid(f"Total row count exceed max allowed count: {MAX_ROWS}")
        for row_index, row in enumerate(rows):
            row_path = f"{path}['rows'][{row_index}]"
            row = _object(row, row_path)
            row_id = _string(row, "id", row_path, max_len=MAX_ROW_ID)
            _string(row, "title", row_path, max_len=MAX_ROW_TITLE)
            _string(
                row, "description", row_path, max_len=MAX_ROW_DESCRIPTION, min_len=0, need=False
            )
            if row_id in row_ids:
                raise invalid(f"Row id must be unique: {row_id!r} is repeated.")
            row_ids.add(str(row_id))


def _cta_url(action: dict[str, Any]) -> None:
    if action.get("name") != "cta_url":
        raise invalid("Param interactive['action']['name'] must be 'cta_url'.")
    params = action.get("parameters")
    if params is None:
        raise required("interactive['action']['parameters']")
    params = _object(params, "interactive['action']['parameters']")
    _string(params, "display_text", "interactive['action']['parameters']", max_len=MAX_CTA_TEXT)
    url = _string(params, "url", "interactive['action']['parameters']", max_len=2000)
    _url(url, "interactive['action']['parameters']['url']")
