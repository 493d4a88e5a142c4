"""Build Cloud API message bodies within WhatsApp's limits.

Rasa speaks in texts, buttons, images and attachments; WhatsApp has hard limits
(4096-char texts, 3 reply buttons with 20-char titles, lists of 10 rows). These
builders turn one Rasa response into one or more valid bodies instead of letting
the provider refuse it. The custom payload format the actions use is documented
in :mod:`bot.replies`.
"""

from __future__ import annotations

import json
from typing import Any

TEXT_MAX = 4096
INTERACTIVE_BODY_MAX = 1024
BUTTON_TITLE_MAX = 20
BUTTON_ID_MAX = 256
MAX_BUTTONS = 3
LIST_ROWS_MAX = 10
ROW_TITLE_MAX = 24
ROW_DESCRIPTION_MAX = 72
ROW_ID_MAX = 200
LIST_BUTTON_MAX = 20
HEADER_MAX = 60
FOOTER_MAX = 60
SECTION_TITLE_MAX = 24
CAPTION_MAX = 1024
DEFAULT_LIST_BUTTON = "Ver opciones"


def clip(text: str, limit: int) -> str:
    """Shorten to ``limit`` characters with an ellipsis, never cutting silently."""
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def split_text(text: str, limit: int = TEXT_MAX) -> list[str]:
    """Split at paragraph, then line, then word boundaries so each part fits ``limit``."""
    text = text.strip()
    if len(text) <= limit:
        return [text] if text else []
    parts: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[:limit]
        # The first boundary kind found in the second half of the window wins: a
        # paragraph break, else a line break, else a space, else a hard cut.
        cut = limit
        for boundary in ("\n\n", "\n", " "):
            found = window.rfind(boundary)
            if found >= limit // 2:
                cut = found
                break
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        parts.append(rest)
    return parts


def text_bodies(to: str, text: str) -> list[dict[str, Any]]:
    return [
        {"to": to, "type": "text", "text": {"body": part, "preview_url": "http" in part}}
        for part in split_text(text)
    ]


def _unique_titles(titles: list[str], limit: int) -> list[str]:
    seen: set[str] = set()
    result = []
    for title in titles:
        title = " ".join(str(title).split()) or "…"
        candidate = clip(title, limit)
        n = 2
        while candidate in seen:
            suffix = f" {n}"
            candidate = clip(title, limit - len(suffix)) + suffix
            n += 1
        seen.add(candidate)
        result.append(candidate)
    return result


def button_bodies(
    to: str, text: str, buttons: list[dict[str, Any]], *, list_button: str = DEFAULT_LIST_BUTTON
) -> list[dict[str, Any]]:
    """Up to 3 buttons become reply buttons; more become a list (several if > 10)."""
    if not buttons:
        return text_bodies(to, text)
    parts = split_text(text or "👇", INTERACTIVE_BODY_MAX)
    lead = [b for p in parts[:-1] for b in text_bodies(to, p)]
    body = parts[-1] if parts else "👇"
    if len(buttons) <= MAX_BUTTONS:
        titles = _unique_titles([str(b.get("title", "")) for b in buttons], BUTTON_TITLE_MAX)
        return [
            *lead,
            {
                "to": to,
                "type": "interactive",
                "interactive": {
                    "type": "button",
                    "body": {"text": body},
                    "action": {
                        "buttons": [
                            {
                                "type": "reply",
                                "reply": {
                                    "id": str(b.get("payload") or b.get("title"))[:BUTTON_ID_MAX],
                                    "title": title,
                                },
                            }
                            for b, title in zip(buttons, titles, strict=True)
                        ]
                    },
                },
            },
        ]
    rows = [
        {"id": str(b.get("payload") or b.get("title")), "title": str(b.get("title", ""))}
        for b in buttons
    ]
    return [*lead, *list_bodies(to, body, [{"rows": rows}], button=list_button)]


def list_bodies(
    to: str,
    body: str,
    sections: list[dict[str, Any]],
    *,
    button: str = DEFAULT_LIST_BUTTON,
    header: str | None = None,
    footer: str | None = None,
) -> list[dict[str, Any]]:
    """A list message holds at most 10 rows in total: larger menus are split in pages.

    A body longer than an interactive body allows goes first as text message(s);
    a list without rows is not a valid message, so the body then goes as text.
    """
    body = body or "👇"
    parts = split_text(body, INTERACTIVE_BODY_MAX) or ["👇"]
    lead = [b for p in parts[:-1] for b in text_bodies(to, p)]
    body = parts[-1]
    rows_flat: list[tuple[str | None, dict[str, Any]]] = [
        (section.get("title"), row) for section in sections for row in section.get("rows", [])
    ]
    if not rows_flat:
        return [*lead, *text_bodies(to, body)]
    pages = [rows_flat[i : i + LIST_ROWS_MAX] for i in range(0, len(rows_flat), LIST_ROWS_MAX)]
    bodies = lead
    for index, page in enumerate(pages):
        grouped: list[dict[str, Any]] = []
        for title, row in page:
            if not grouped or grouped[-1].get("_title") != title:
                grouped.append({"_title": title, "rows": []})
            grouped[-1]["rows"].append(row)
        titles = _unique_titles([str(r.get("title", "")) for _, r in page], ROW_TITLE_MAX)
        title_iter = iter(titles)
        out_sections = []
        for group in grouped:
            section: dict[str, Any] = {"rows": []}
            if group["_title"] or len(grouped) > 1:
                section["title"] = clip(group["_title"] or "…", SECTION_TITLE_MAX)
            for row in group["rows"]:
                item = {"id": str(row.get("id"))[:ROW_ID_MAX], "title": next(title_iter)}
                if row.get("description"):
                    item["description"] = clip(str(row["description"]), ROW_DESCRIPTION_MAX)
                section["rows"].append(item)
            out_sections.append(section)
        interactive: dict[str, Any] = {
            "type": "list",
            "body": {
                "text": clip(body if index == 0 else f"{body} ({index + 1})", INTERACTIVE_BODY_MAX)
            },
            "action": {
                "button": clip(button or DEFAULT_LIST_BUTTON, LIST_BUTTON_MAX),
                "sections": out_sections,
            },
        }
        if header:
            interactive["header"] = {"type": "text", "text": clip(header, HEADER_MAX)}
        if footer:
            interactive["footer"] = {"text": clip(footer, FOOTER_MAX)}
        bodies.append({"to": to, "type": "interactive", "interactive": interactive})
    return bodies


def media_body(
    to: str,
    kind: str,
    *,
    link: str | None = None,
    media_id: str | None = None,
    caption: str | None = None,
    filename: str | None = None,
) -> dict[str, Any]:
    obj: dict[str, Any] = {"id": media_id} if media_id else {"link": link}
    if caption and kind in ("image", "video", "document"):
        obj["caption"] = clip(caption, CAPTION_MAX)
    if filename and kind == "document":
        obj["filename"] = filename
    return {"to": to, "type": kind, kind: obj}


def location_body(
    to: str, latitude: float, longitude: float, name: str | None = None, address: str | None = None
) -> dict[str, Any]:
    location: dict[str, Any] = {"latitude": float(latitude), "longitude": float(longitude)}
    if name:
        location["name"] = name
    if address:
        location["address"] = address
    return {"to": to, "type": "location", "location": location}


def template_body(
    to: str, name: str, language: str, components: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    template: dict[str, Any] = {"name": name, "language": {"code": language}}
    if components:
        template["components"] = components
    return {"to": to, "type": "template", "template": template}


def custom_bodies(to: str, payload: dict[str, Any]) -> list[dict[str, Any]]:
    """Turn an action's custom payload (see ``bot.replies``) into Cloud API bodies."""
    kind = payload.get("type")
    if kind == "list":
        return list_bodies(
            to,
            str(payload.get("body") or payload.get("text") or "👇"),
            payload.get("sections") or [{"rows": payload.get("rows", [])}],
            button=str(payload.get("button") or DEFAULT_LIST_BUTTON),
            header=payload.get("header"),
            footer=payload.get("footer"),
        )
    if kind == "buttons":
        return button_bodies(to, str(payload.get("text", "")), payload.get("buttons") or [])
    if kind == "location":
        return [
            location_body(
                to,
                payload["latitude"],
                payload["longitude"],
                payload.get("name"),
                payload.get("address"),
            )
        ]
    if kind in ("image", "document", "video", "audio", "sticker"):
        return [
            media_body(
                to,
                kind,
                link=payload.get("link"),
                media_id=payload.get("id"),
                caption=payload.get("caption"),
                filename=payload.get("filename"),
            )
        ]
    if kind == "template":
        return [
            template_body(
                to, payload["name"], payload.get("language", "es_CO"), payload.get("components")
            )
        ]
    if kind == "cta_url":
        return [
            {
                "to": to,
                "type": "interactive",
                "interactive": {
                    "type": "cta_url",
                    "body": {"text": clip(str(payload.get("text", "")), INTERACTIVE_BODY_MAX)},
                    "action": {
                        "name": "cta_url",
                        "parameters": {
                            "display_text": clip(
                                str(payload.get("display_text", "Abrir")), BUTTON_TITLE_MAX
                            ),
                            "url": payload["url"],
                        },
                    },
                },
            }
        ]
    if kind == "text":
        return text_bodies(to, str(payload.get("text", "")))
    if kind in ("interactive", "reaction", "contacts") and kind in payload:
        return [{"to": to, "type": kind, kind: payload[kind]}]
    return text_bodies(to, json.dumps(payload, ensure_ascii=False))
