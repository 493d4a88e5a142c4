"""What the conversation knows about the shows: a domain view of Hi.Events events.

Actions think in "Medellín Fashion Night, VIP, 150 000 COP, Bogotá 8 p. m.", not in
``product_categories[].products[].prices[]`` and UTC strings; this module is the one
translation between the two. Events come from the *public* API (LIVE events of the
organizer, with availability), the check-in list short id from the JWT side (only
staff tools need it, so its failure leaves it None instead of failing the turn).

A small in-process cache (30 s) spares every turn a round of API calls while keeping
availability fresh enough for a chat: the seat count is checked again by Hi.Events
itself when the order is reserved.
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
import time
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.clients.hi_events import HiEventsClient, parse_datetime
from bot.errors import ProviderError
from bot.logging import event as log_event

log = logging.getLogger(__name__)

BOGOTA = ZoneInfo("America/Bogota")
CACHE_TTL_S = 30.0

#: What people call a ticket type → the word in the product title.
_TICKET_SYNONYMS = {
    "box": "palco",
    "boxes": "palco",
    "palcos": "palco",
    "balcony": "palco",
    "regular": "general",
    "normal": "general",
    "standard": "general",
    "basic": "general",
    "basica": "general",
    "sencilla": "general",
    "ga": "general",
    "general admission": "general",
    "entrada general": "general",
    "generales": "general",
    "vip": "vip",
    "v i p": "vip",
}
_STOPWORDS = frozenset(
    "el la los las de del al en y a un una para por the of to for at in and on evento "
    "event show quiero ir boletas boleta entradas entrada tickets ticket".split()
)


@dataclass(frozen=True)
class TicketType:
    product_id: int
    price_id: int
    name: str
    price_cop: int
    available: bool
    #: Seats left at this price; None = not shown / unlimited.
    remaining: int | None


@dataclass(frozen=True)
class Event:
    id: int
    title: str
    #: Aware datetimes in Bogotá time.
    starts_at: datetime
    ends_at: datetime
    venue: str | None
    address: str | None
    city: str | None
    maps_url: str | None
    latitude: float | None
    longitude: float | None
    #: ``{"es": ..., "en": ...}``; a language may be missing.
    dress_code: dict[str, str]
    programme: dict[str, str]
    doors_open: str | None
    description_text: str
    ticket_types: list[TicketType]
    check_in_list_short_id: str | None
    currency: str = "COP"
    offline_payment_instructions: str | None = None

    @property
    def available_ticket_types(self) -> list[TicketType]:
        return [t for t in self.ticket_types if t.available]

    @property
    def sold_out(self) -> bool:
        return bool(self.ticket_types) and not self.available_ticket_types


# --- parsing --------------------------------------------------------------------------------
def _html_to_text(fragment: str | None) -> str:
    if not fragment:
        return ""
    text = re.sub(r"(?i)<br\s*/?>|</p\s*>|</li\s*>|</h\d\s*>", "\n", fragment)
    text = html.unescape(re.sub(r"<[^>]+>", "", text)).replace("\u00a0", " ")
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return "\n".join(line for line in lines if line)


def _float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _ticket_types(resource: dict[str, Any]) -> list[TicketType]:
    types: list[TicketType] = []
    for category in resource.get("product_categories") or []:
        if category.get("is_hidden"):
            continue
        for product in category.get("products") or []:
            if product.get("product_type", "TICKET") != "TICKET" or product.get("is_hidden"):
                continue
            prices = [p for p in product.get("prices") or [] if not p.get("is_hidden")]
            for price in prices:
                name = str(product.get("title") or "")
                if len(prices) > 1 and price.get("label"):
                    name = f"{name} - {price['label']}"
                remaining = price.get("quantity_remaining")
                if remaining is None and len(prices) == 1:
                    remaining = product.get("quantity_available")
                available = bool(price.get("is_available", product.get("is_available", True)))
                sold_out = bool(price.get("is_sold_out") or product.get("is_sold_out"))
                types.append(
                    TicketType(
                        product_id=int(product["id"]),
                        price_id=int(price["id"]),
                        name=name,
                        price_cop=round(float(price.get("price") or 0)),
                        available=available and not sold_out,
                        remaining=int(remaining) if remaining is not None else None,
                    )
                )
    return types


def event_from_resource(
    resource: dict[str, Any], *, check_in_list_short_id: str | None = None
) -> Event:
    """An ``EventResource``/``EventResourcePublic`` dict as an :class:`Event`."""
    settings = resource.get("settings") or {}
    location = resource.get("location_details") or settings.get("location_details") or {}
    attributes = {
        str(a.get("name")): a.get("value")
        for a in resource.get("attributes") or []
        if isinstance(a, dict)
    }
    zone = ZoneInfo(resource.get("timezone") or "America/Bogota")
    starts = parse_datetime(resource.get("start_date"))
    if starts is None:
        raise ValueError(f"event {resource.get('id')} has no start_date")
    ends = parse_datetime(resource.get("end_date")) or starts
    address = ", ".join(
        part for part in (location.get("address_line_1"), location.get("address_line_2")) if part
    )

    def bilingual(key: str) -> dict[str, str]:
        pairs = {"es": attributes.get(key), "en": attributes.get(f"{key}_en")}
        return {lang: str(text) for lang, text in pairs.items() if text}

    return Event(
        id=int(resource["id"]),
        title=str(resource.get("title") or ""),
        starts_at=starts.astimezone(zone),
        ends_at=ends.astimezone(zone),
        venue=location.get("venue_name"),
        address=address or None,
        city=location.get("city"),
        maps_url=settings.get("maps_url"),
        latitude=_float(attributes.get("latitude")),
        longitude=_float(attributes.get("longitude")),
        dress_code=bilingual("dress_code"),
        programme=bilingual("programme"),
        doors_open=attributes.get("doors_open"),
        description_text=_html_to_text(resource.get("description")),
        ticket_types=_ticket_types(resource),
        check_in_list_short_id=check_in_list_short_id,
        currency=str(resource.get("currency") or "COP"),
        offline_payment_instructions=settings.get("offline_payment_instructions"),
    )


# --- fetching (cached) ------------------------------------------------------------------------
#: (base URL, organizer) → (monotonic time of the fetch, events).
_cache: dict[tuple[str, int], tuple[float, list[Event]]] = {}


def clear_cache() -> None:
    """Forget every cached catalog (tests, or after a sale changed availability a lot)."""
    _cache.clear()


async def _list_short_id(client: HiEventsClient, event_id: int) -> str | None:
    try:
        lists = await client.check_in_lists(event_id)
    except ProviderError as error:
        log_event(
            log,
            "catalog.check_in_lists_failed",
            logging.WARNING,
            event_id=event_id,
            error=type(error).__name__,
        )
        return None
    active = [c for c in lists if c.get("is_active", True)] or lists
    return str(active[0]["short_id"]) if active else None


async def upcoming_events(
    client: HiEventsClient, organizer_id: int, *, max_age_s: float = CACHE_TTL_S
) -> list[Event]:
    """The organizer's upcoming LIVE events, soonest first (cached ``max_age_s``)."""
    key = (client.base_url, organizer_id)
    cached = _cache.get(key)
    if cached is not None and time.monotonic() - cached[0] < max_age_s:
        return cached[1]
    resources = await client.organizer_events(organizer_id, upcoming=True)
    missing = [r for r in resources if "product_categories" not in r]
    if missing:  # a list without products: read each event in full
        full = await asyncio.gather(*(client.public_event(int(r["id"])) for r in missing))
        by_id = {int(r["id"]): r for r in full}
        resources = [by_id.get(int(r["id"]), r) for r in resources]
    short_ids = await asyncio.gather(*(_list_short_id(client, int(r["id"])) for r in resources))
    now = datetime.now(BOGOTA)
    events = [
        event_from_resource(resource, check_in_list_short_id=short_id)
        for resource, short_id in zip(resources, short_ids, strict=True)
    ]
    events = sorted((e for e in events if e.ends_at > now), key=lambda e: e.starts_at)
    _cache[key] = (time.monotonic(), events)
    return events


# --- matching ----------------------------------------------------------------------------------
def normalise(text: str) -> str:
    """Lower case, no accents, only letters, digits and single spaces."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", plain).split())


def find_event(events: list[Event], text_or_id: str | int | None) -> Event | None:
    """The event meant by an id or a (partial, accent/case-insensitive) title.

    Ambiguous text (two titles match equally well) gives None so the bot can ask.
    """
    if text_or_id is None:
        return None
    if isinstance(text_or_id, int) or str(text_or_id).strip().isdigit():
        wanted = int(text_or_id)
        return next((e for e in events if e.id == wanted), None)
    query = normalise(str(text_or_id))
    if not query:
        return None
    titles = {e.id: normalise(e.title) for e in events}
    for candidates in (
        [e for e in events if titles[e.id] == query],
        [e for e in events if query in titles[e.id]],
        [e for e in events if titles[e.id] in query],
    ):
        if len(candidates) == 1:
            return candidates[0]
        if len(candidates) > 1:
            return None
    words = {w for w in query.split() if len(w) >= 3 and w not in _STOPWORDS}
    if not words:
        return None
    scores = {e.id: len(words & set(titles[e.id].split())) for e in events}
    best = max(scores.values(), default=0)
    winners = [e for e in events if scores[e.id] == best]
    return winners[0] if best > 0 and len(winners) == 1 else None


def find_ticket_type(event: Event, name: str | None) -> TicketType | None:
    """``vip``/``VIP``, ``general``, ``palco``, and English ``box`` → Palco."""
    if not name:
        return None
    query = normalise(name)
    query = _TICKET_SYNONYMS.get(query, query)
    names = {t.price_id: normalise(t.name) for t in event.ticket_types}
    for candidates in (
        [t for t in event.ticket_types if names[t.price_id] == query],
        [t for t in event.ticket_types if query and query in names[t.price_id]],
    ):
        if len(candidates) == 1:
            return candidates[0]
        if len(candidates) > 1:
            return None
    for word in query.split():  # "dos vip por favor", "a box for four"
        word = _TICKET_SYNONYMS.get(word, word)
        matches = [t for t in event.ticket_types if word in names[t.price_id].split()]
        if len(matches) == 1:
            return matches[0]
    return None
