"""Builders for rich replies, checked against WhatsApp's limits.

Actions return keyword arguments for ``dispatcher.utter_message(**kwargs)``. Two shapes
reach the output channel:

Reply buttons (Rasa's own ``buttons``)
    ``{"text": "...", "buttons": [{"title": "Ayuda", "payload": "/help"}]}``: at most
    **3** buttons, titles at most **20** characters, unique. The WhatsApp channel sends
    them as an interactive *button* message; a tap comes back with the payload as text,
    so ``/intent`` payloads round-trip.

Custom payloads (Rasa's ``custom``, set with ``json_message=``)
    A dict whose ``"type"`` says what WhatsApp message the channel must send:

    ``list`` — interactive list, for more than 3 choices::

        {"type": "list",
         "body": "text above the list (≤ 1024)",
         "button": "label of the button that opens the list (≤ 20)",
         "sections": [{"title": "section title (≤ 24)",
                       "rows": [{"id": "/payload (≤ 200)",
                                 "title": "row title (≤ 24)",
                                 "description": "optional (≤ 72)"}]}],
         "footer": "optional (≤ 60)"}

      At most 10 sections and **10 rows in total**; row ids are unique and come back
      as the user's text when a row is tapped (like button payloads).

    ``location`` — ``{"type": "location", "latitude": 6.2518, "longitude": -75.5636,
    "name": "venue name", "address": "street address"}``

    ``document`` — ``{"type": "document", "link": "https://…", "filename": "x.pdf",
    "caption": "optional"}``

    ``image`` — ``{"type": "image", "link": "https://…", "caption": "optional"}``

    A message may carry ``text`` next to a ``custom`` payload of one of these types: that
    text is the plain-text rendering of the same content for channels that cannot show
    the rich type (``rasa shell``, the REST channel, logs). **A channel that renders the
    custom type sends only the custom message and drops that text**, so the user does
    not read the same content twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "BODY_MAX",
    "BUTTON_TITLE_MAX",
    "LIST_BUTTON_MAX",
    "MAX_BUTTONS",
    "MAX_ROWS",
    "ROW_DESCRIPTION_MAX",
    "ROW_TITLE_MAX",
    "SECTION_TITLE_MAX",
    "Option",
    "buttons_message",
    "document_payload",
    "image_payload",
    "list_as_text",
    "list_message",
    "location_payload",
    "options_message",
]

MAX_BUTTONS = 3
BUTTON_TITLE_MAX = 20
MAX_ROWS = 10
MAX_SECTIONS = 10
ROW_TITLE_MAX = 24
ROW_DESCRIPTION_MAX = 72
ROW_ID_MAX = 200
SECTION_TITLE_MAX = 24
LIST_BUTTON_MAX = 20
BODY_MAX = 1024
FOOTER_MAX = 60


@dataclass(frozen=True)
class Option:
    """One choice offered to the user: a button or a list row."""

    payload: str
    title: str
    description: str = ""


def _check_len(what: str, value: str, limit: int) -> None:
    if not value or not value.strip():
        raise ValueError(f"{what} must not be empty")
    if len(value) > limit:
        raise ValueError(f"{what} {value!r} is {len(value)} characters; the limit is {limit}")


def buttons_message(text: str, options: Sequence[Option]) -> dict[str, Any]:
    """``utter_message`` kwargs for text with up to 3 reply buttons."""
    if not 1 <= len(options) <= MAX_BUTTONS:
        raise ValueError(f"{len(options)} buttons; WhatsApp allows 1 to {MAX_BUTTONS}")
    titles = [o.title for o in options]
    if len(set(titles)) != len(titles):
        raise ValueError(f"button titles must be unique: {titles}")
    for option in options:
        _check_len("button title", option.title, BUTTON_TITLE_MAX)
    _check_len("message text", text, BODY_MAX)
    return {
        "text": text,
        "buttons": [{"title": o.title, "payload": o.payload} for o in options],
    }


def list_message(
    body: str,
    button: str,
    sections: Sequence[tuple[str, Sequence[Option]]],
    footer: str | None = None,
) -> dict[str, Any]:
    """A ``list`` custom payload (see the module docstring), validated."""
    _check_len("list body", body, BODY_MAX)
    _check_len("list button", button, LIST_BUTTON_MAX)
    if not 1 <= len(sections) <= MAX_SECTIONS:
        raise ValueError(f"{len(sections)} sections; WhatsApp allows 1 to {MAX_SECTIONS}")
    rows_total = sum(len(rows) for _, rows in sections)
    if not 1 <= rows_total <= MAX_ROWS:
        raise ValueError(f"{rows_total} rows; WhatsApp allows 1 to {MAX_ROWS} in total")
    ids = [o.payload for _, rows in sections for o in rows]
    if len(set(ids)) != len(ids):
        raise ValueError(f"row ids must be unique: {ids}")
    payload_sections = []
    for title, rows in sections:
        _check_len("section title", title, SECTION_TITLE_MAX)
        payload_rows = []
        for option in rows:
            _check_len("row id", option.payload, ROW_ID_MAX)
            _check_len("row title", option.title, ROW_TITLE_MAX)
            row = {"id": option.payload, "title": option.title}
            if option.description:
                _check_len("row description", option.description, ROW_DESCRIPTION_MAX)
                row["description"] = option.description
            payload_rows.append(row)
        payload_sections.append({"title": title, "rows": payload_rows})
    payload: dict[str, Any] = {
        "type": "list",
        "body": body,
        "button": button,
        "sections": payload_sections,
    }
    if footer:
        _check_len("list footer", footer, FOOTER_MAX)
        payload["footer"] = footer
    return payload


def list_as_text(payload: dict[str, Any]) -> str:
    """Plain-text rendering of a ``list`` payload, WhatsApp-formatted."""
    lines = [payload["body"], ""]
    for section in payload["sections"]:
        if len(payload["sections"]) > 1:
            lines.append(f"*{section['title']}*")
        for row in section["rows"]:
            description = row.get("description")
            line = f"• *{row['title']}*"
            lines.append(f"{line}: {description}" if description else line)
    if payload.get("footer"):
        lines += ["", f"_{payload['footer']}_"]
    return "\n".join(lines)


def options_message(
    text: str,
    options: Sequence[Option],
    *,
    list_button: str,
    section_title: str,
    footer: str | None = None,
) -> dict[str, Any]:
    """Buttons for up to 3 options, a list (with a plain-text rendering) beyond that.

    No options at all gives plain text.
    """
    if not options:
        return {"text": text}
    if len(options) <= MAX_BUTTONS:
        return buttons_message(text, options)
    payload = list_message(text, list_button, [(section_title, options)], footer=footer)
    return {"text": list_as_text(payload), "json_message": payload}


def location_payload(latitude: float, longitude: float, name: str, address: str) -> dict:
    """A ``location`` custom payload."""
    return {
        "type": "location",
        "latitude": latitude,
        "longitude": longitude,
        "name": name,
        "address": address,
    }


def document_payload(link: str, filename: str, caption: str | None = None) -> dict:
    """A ``document`` custom payload."""
    payload = {"type": "document", "link": link, "filename": filename}
    if caption:
        payload["caption"] = caption
    return payload


def image_payload(link: str, caption: str | None = None) -> dict:
    """An ``image`` custom payload."""
    payload = {"type": "image", "link": link}
    if caption:
        payload["caption"] = caption
    return payload
