"""Replies about events and tickets, as ``utter_message`` keyword arguments.

Pure functions of the catalog and the language, so the actions stay thin and every
answer is testable without Rasa. Payloads of buttons and list rows are
``/intent{"event": "<title>"}``: a tap carries the event back as an entity, which
fills the ``event`` slot like a typed name would.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from bot.calendar import to_bogota
from bot.datefmt import format_moment
from bot.i18n import t
from bot.replies import (
    BUTTON_TITLE_MAX,
    ROW_DESCRIPTION_MAX,
    ROW_TITLE_MAX,
    Option,
    buttons_message,
    list_as_text,
    list_message,
)
from bot.ticketing.catalog import Event, TicketType
from bot.ticketing.money import cop

__all__ = [
    "directions",
    "dress_code",
    "event_details",
    "event_list",
    "filter_by_period",
    "payload",
    "prices",
    "programme",
    "quantity_question",
    "ticket_type_question",
]


def payload(intent: str, **entities: Any) -> str:
    """``/intent{"entity": value}``: what a tap sends back to Rasa."""
    if not entities:
        return f"/{intent}"
    return f"/{intent}{json.dumps(entities, ensure_ascii=False, separators=(',', ':'))}"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _when(lang: str, event: Event, now: datetime) -> str:
    return format_moment(lang, event.starts_at, now)


def _from_price(event: Event) -> int | None:
    prices = [tt.price_cop for tt in event.ticket_types if tt.available]
    return min(prices) if prices else None


def filter_by_period(events: Sequence[Event], period: Any) -> list[Event]:
    """Events inside a resolved ``date`` entity: an ISO day or ``{from, to}`` (Bogotá)."""
    if not period:
        return list(events)
    start: date | None = None
    end: date | None = None
    try:
        if isinstance(period, dict):
            start = date.fromisoformat(str(period.get("from"))[:10]) if period.get("from") else None
            end = date.fromisoformat(str(period.get("to"))[:10]) if period.get("to") else None
        else:
            start = end = date.fromisoformat(str(period)[:10])
    except ValueError:
        return list(events)
    chosen = []
    for event in events:
        day = to_bogota(event.starts_at).date()
        if (start is None or day >= start) and (end is None or day <= end):
            chosen.append(event)
    return chosen


def event_list(
    lang: str,
    events: Sequence[Event],
    now: datetime,
    *,
    intent: str = "event_info",
    text_key: str = "tickets.list.body",
) -> dict[str, Any]:
    """A list of events (a tap asks ``intent`` about one of them)."""
    rows = []
    for event in events[:10]:
        lowest = _from_price(event)
        description = _when(lang, event, now)
        if lowest is not None:
            description += " · " + t(lang, "tickets.list.from_price", price=cop(lowest))
        rows.append(
            Option(
                payload(intent, event=event.title),
                _clip(event.title, ROW_TITLE_MAX),
                _clip(description, ROW_DESCRIPTION_MAX),
            )
        )
    body = t(lang, text_key, count=len(rows))
    message = list_message(
        body, t(lang, "tickets.list.button"), [(t(lang, "tickets.list.section"), rows)]
    )
    return {"text": list_as_text(message), "json_message": message}


def event_details(lang: str, event: Event, now: datetime) -> dict[str, Any]:
    lines = [
        f"*{event.title}*",
        t(lang, "tickets.info.when", when=_when(lang, event, now)),
        t(lang, "tickets.info.where", venue=event.venue, address=event.address, city=event.city),
    ]
    if event.doors_open:
        lines.append(t(lang, "tickets.info.doors", doors=event.doors_open))
    if event.description_text:
        lines += ["", _clip(event.description_text, 400)]
    price_lines = _price_lines(lang, event)
    if price_lines:
        lines += ["", t(lang, "tickets.info.prices"), *price_lines]
    options = [
        Option(payload("buy_ticket", event=event.title), t(lang, "tickets.buttons.buy")),
        Option(payload("ask_directions", event=event.title), t(lang, "tickets.buttons.directions")),
        Option(payload("ask_dress_code", event=event.title), t(lang, "tickets.buttons.dress_code")),
    ]
    return buttons_message(_clip("\n".join(lines), 1024), options)


def _price_lines(lang: str, event: Event) -> list[str]:
    lines = []
    for ticket in event.ticket_types:
        if ticket.available:
            lines.append(
                t(lang, "tickets.price_line", kind=ticket.name, price=cop(ticket.price_cop))
            )
        else:
            lines.append(t(lang, "tickets.price_line_sold_out", kind=ticket.name))
    return lines


def prices(lang: str, events: Sequence[Event], now: datetime) -> dict[str, Any]:
    """Prices of one event (with a buy button) or of all upcoming ones."""
    if len(events) == 1:
        event = events[0]
        text = "\n".join(
            [
                t(lang, "tickets.price_header", event=event.title, when=_when(lang, event, now)),
                *_price_lines(lang, event),
            ]
        )
        return buttons_message(
            text, [Option(payload("buy_ticket", event=event.title), t(lang, "tickets.buttons.buy"))]
        )
    blocks = []
    for event in events:
        blocks.append(f"*{event.title}* ({_when(lang, event, now)})")
        blocks += _price_lines(lang, event)
        blocks.append("")
    blocks.append(t(lang, "tickets.price_footer"))
    return {"text": "\n".join(blocks).strip()}


def dress_code(lang: str, event: Event) -> dict[str, Any]:
    code = (
        event.dress_code.get(lang) or event.dress_code.get("es") or t(lang, "tickets.no_dress_code")
    )
    return buttons_message(
        t(lang, "tickets.dress_code", event=event.title, code=code),
        [Option(payload("buy_ticket", event=event.title), t(lang, "tickets.buttons.buy"))],
    )


def programme(lang: str, event: Event, now: datetime) -> dict[str, Any]:
    text = event.programme.get(lang) or event.programme.get("es") or t(lang, "tickets.no_programme")
    return {
        "text": t(
            lang,
            "tickets.programme",
            event=event.title,
            when=_when(lang, event, now),
            programme=text,
        )
    }


def directions(lang: str, event: Event) -> list[dict[str, Any]]:
    """A WhatsApp location message (when the venue has coordinates) plus the address text."""
    messages: list[dict[str, Any]] = []
    if event.latitude is not None and event.longitude is not None:
        location = {
            "type": "location",
            "latitude": event.latitude,
            "longitude": event.longitude,
            "name": event.venue,
            "address": f"{event.address}, {event.city}",
        }
        messages.append({"text": f"📍 {event.venue}, {event.address}", "json_message": location})
    maps = event.maps_url or (
        f"https://www.google.com/maps/search/?api=1&query={event.latitude},{event.longitude}"
        if event.latitude is not None
        else ""
    )
    messages.append(
        {
            "text": t(
                lang,
                "tickets.directions",
                event=event.title,
                venue=event.venue,
                address=event.address,
                city=event.city,
                maps=maps,
                doors=event.doors_open or "",
            )
        }
    )
    return messages


def ticket_type_question(lang: str, event: Event) -> dict[str, Any]:
    options = [
        Option(
            payload("buy_ticket", ticket_type=tt.name),
            _clip(f"{tt.name} {cop(tt.price_cop)}", BUTTON_TITLE_MAX),
            t(lang, "tickets.remaining", n=tt.remaining) if tt.remaining is not None else "",
        )
        for tt in event.ticket_types
        if tt.available
    ]
    text = t(lang, "tickets.ask.ticket_type", event=event.title)
    if len(options) <= 3:
        return buttons_message(text, options)
    message = list_message(
        text, t(lang, "tickets.list.button_types"), [(event.title[:24], options)]
    )
    return {"text": list_as_text(message), "json_message": message}


def quantity_question(lang: str, ticket: TicketType) -> dict[str, Any]:
    options = [Option(payload("buy_ticket", quantity=n), str(n)) for n in (1, 2, 4)]
    return buttons_message(t(lang, "tickets.ask.quantity", kind=ticket.name), options)
