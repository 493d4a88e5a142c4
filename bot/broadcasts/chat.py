"""Broadcasts from the WhatsApp chat, for organizers (issue 5, item 6, "Done when").

The admin API and the CLI take any template with any variables. In a chat an organizer
should not type JSON, so the chat offers the library's campaigns whose every variable
follows from an event: ``event_announcement`` and ``promotion`` (MARKETING) and
``feedback_survey`` (UTILITY), each only when Wappbíz has APPROVED it. The audience is
an event's ticket holders or everyone who opted in to promotions, about one event;
the time is "now", a button, or words ("sábado 10 a. m."). The draft is created and
counted (``service.dry_run``) before the organizer confirms, and sent with
``service.send``, so the chat, the API and the CLI share every rule: consent, opt-outs,
Ley 2300 slots, one promotion a day. A campaign with free values (a discount code,
a community post) goes through the API or the CLI.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import dateparser

from bot.broadcasts import service
from bot.calendar import BOGOTA, to_bogota
from bot.datefmt import format_moment
from bot.storage.types import as_utc
from bot.templates import Library, TemplateNotApproved, UnknownTemplate, default_library
from bot.templates.sync import require_approved
from bot.ticketing.catalog import Event
from bot.ticketing.money import cop

__all__ = [
    "CHAT_TEMPLATES",
    "Audience",
    "parse_audience",
    "parse_when",
    "sendable_templates",
    "slug",
    "variables_for",
    "when_options",
]

CHAT_TEMPLATES = ("event_announcement", "promotion", "feedback_survey")
#: Where the posters live (header images of the MARKETING templates), by event slug.
MEDIA_BASE_URL = "https://fashionistas.co/media/eventos"
NOW = "now"
#: "sábado 10" is Saturday at 10, not the 10th: a bare number after a day is an hour.
_DAY_HOUR = re.compile(
    r"\b(lunes|martes|mi[eé]rcoles|jueves|viernes|s[aá]bado|domingo|ma[nñ]ana|hoy|monday|"
    r"tuesday|wednesday|thursday|friday|saturday|sunday|tomorrow|today)\s+(\d{1,2})\b(?![:/.])",
    re.IGNORECASE,
)
#: Words around a date that dateparser does not expect ("el sábado a las 10").
_FILLER = re.compile(
    r"\b(?:para el|para|el|la|a las|a la|este|esta|pr[oó]ximo|pr[oó]xima|at|on|this|next)\b",
    re.IGNORECASE,
)


def slug(title: str) -> str:
    """ "Medellín Fashion Night" → ``medellin-fashion-night`` (the site's event paths)."""
    folded = unicodedata.normalize("NFKD", title.casefold())
    plain = "".join(c for c in folded if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-")[:80] or "evento"


async def sendable_templates(store: Any, library: Library | None = None) -> list[str]:
    """The chat's templates that Wappbíz approved in at least one language."""
    library = library if library is not None else default_library()
    found = []
    for name in CHAT_TEMPLATES:
        for language in ("es", "en"):
            try:
                await require_approved(store, name, language, library=library)
            except (TemplateNotApproved, UnknownTemplate):
                continue
            found.append(name)
            break
    return found


@dataclass(frozen=True)
class Audience:
    """``holders:<event id>`` (ticket holders) or ``optin:<event id>`` (opted in)."""

    kind: str
    event_id: int

    @property
    def value(self) -> str:
        return f"{self.kind}:{self.event_id}"

    def segment(self) -> dict[str, Any]:
        if self.kind == "holders":
            return {"event_id": self.event_id}
        return {"marketing_opt_in": True}


def parse_audience(value: Any) -> Audience | None:
    kind, _, event_id = str(value or "").partition(":")
    if kind not in ("holders", "optin") or not event_id.isdigit():
        return None
    return Audience(kind, int(event_id))


def variables_for(event: Event) -> dict[str, dict[str, str]]:
    """Every variable of the chat's templates, per language, from the event alone."""
    event_slug = slug(event.title)
    prices = [t.price_cop for t in event.ticket_types if t.price_cop]
    long_ago = event.starts_at - timedelta(days=30)  # absolute dates, never "mañana"
    values: dict[str, dict[str, str]] = {}
    for lang in ("es", "en"):
        values[lang] = {
            "event": event.title[:120],
            "date_time": format_moment(lang, event.starts_at, long_ago),
            "venue": (event.venue or event.city or event.title)[:120],
            "event_slug": event_slug,
            "survey_id": event_slug,
            "poster_url": f"{MEDIA_BASE_URL}/{event_slug}.jpg",
            "image_url": f"{MEDIA_BASE_URL}/{event_slug}.jpg",
            "price": cop(min(prices)) if prices else "—",
            "until": format_moment(lang, event.starts_at - timedelta(days=1), long_ago).split(",")[
                0
            ],
        }
    return values


def when_options(now: datetime) -> list[tuple[str, str]]:
    """``(key, ISO moment)`` for the buttons: now, tomorrow 10:00, next Saturday 10:00."""
    local = to_bogota(now)
    tomorrow = (local + timedelta(days=1)).replace(hour=10, minute=0, second=0, microsecond=0)
    days = (5 - local.weekday()) % 7 or 7
    saturday = (local + timedelta(days=days)).replace(hour=10, minute=0, second=0, microsecond=0)
    if local.weekday() == 5 and local.hour < 10:
        saturday = local.replace(hour=10, minute=0, second=0, microsecond=0)
    return [
        ("when_now", NOW),
        ("when_saturday", saturday.isoformat()),
        ("when_tomorrow", tomorrow.isoformat()),
    ]


def parse_when(text: Any, now: datetime, lang: str) -> datetime | None:
    """A future moment (aware UTC) from a button value or words; ``None`` when unreadable.

    "now"/"ahora" is ``now``; words are read by ``dateparser`` in Bogotá time,
    preferring the future ("sábado 10 a. m." is the coming Saturday).
    """
    raw = str(text or "").strip()
    if not raw:
        return None
    if raw.casefold() in (NOW, "ahora", "ya", "right now", "ahora mismo"):
        return as_utc(now, "now")
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        moment = None
    if moment is None:
        cleaned = re.sub(r"de la ma[nñ]ana", "am", raw, flags=re.IGNORECASE)
        cleaned = re.sub(r"de la (?:tarde|noche)", "pm", cleaned, flags=re.IGNORECASE)
        cleaned = re.sub(r"\b(a\.?\s?m\.?)", "am", cleaned, flags=re.IGNORECASE)
        cleaned = re.sub(r"\b(p\.?\s?m\.?)", "pm", cleaned, flags=re.IGNORECASE)
        cleaned = _FILLER.sub(" ", cleaned)
        cleaned = _DAY_HOUR.sub(lambda m: f"{m.group(1)} {m.group(2)}:00", cleaned)
        moment = dateparser.parse(
            cleaned,
            languages=["es", "en"] if lang == "es" else ["en", "es"],
            settings={
                "TIMEZONE": "America/Bogota",
                "RETURN_AS_TIMEZONE_AWARE": True,
                "PREFER_DATES_FROM": "future",
                "RELATIVE_BASE": to_bogota(now).replace(tzinfo=None),
            },
        )
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=BOGOTA)
    return as_utc(moment, "when")


async def create_and_count(
    store: Any,
    *,
    template: str,
    audience: Audience,
    event: Event,
    when: datetime,
    by: str,
    now: datetime,
) -> tuple[Any, dict[str, Any], dict[str, Any]]:
    """The draft, its dry run and its preview (nothing is queued yet)."""
    wanted = set(default_library().get(template, "es").variables()) - {service.NAME_VARIABLE}
    values = {
        lang: {k: v for k, v in per_lang.items() if k in wanted}
        for lang, per_lang in variables_for(event).items()
    }
    record = await service.create(
        store,
        name=f"chat: {template} · {event.title}"[:128],
        template=template,
        variables=values,
        segment=audience.segment(),
        created_by=by,
        scheduled_for=when,
    )
    counted = await service.dry_run(store, record.id, now=now)
    shown = await service.preview(store, record.id, now=now)
    return record, counted, shown


async def drafts_by(store: Any, by: str) -> list[Any]:
    """The organizer's chat drafts, newest first (the first is the one being confirmed)."""
    return [r for r in await store.list_broadcasts(status="draft", limit=50) if r.created_by == by]
