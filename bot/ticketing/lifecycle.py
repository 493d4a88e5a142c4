"""Messages a ticket holder gets later: reminders 7 days, 1 day and 3 hours before the
show, and a feedback request the morning after (issue 5, item 5).

Planned once, when the tickets are issued, as outbox rows with ``not_before``: the
outbox worker sends each at its time, durable and retried like every proactive message.
Each row is free text (read inside the 24-hour window) with the library's UTILITY
template as ``template_fallback`` (what WhatsApp accepts outside it), in the buyer's
language. Idempotency keys (``reminder:7d:<purchase reference>``) make planning twice
harmless. Times already past are skipped: a purchase the day before the show gets only
the 3-hour reminder.
"""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from typing import Any

from babel.dates import format_datetime

from bot.calendar import BOGOTA, to_bogota
from bot.datefmt import BABEL_LOCALES, format_moment
from bot.i18n import t
from bot.logging import event, mask_phone
from bot.storage.outbox import PRIORITY_REMINDER
from bot.storage.purchases import PurchaseRecord
from bot.templates import TemplateValueError, UnknownTemplate, build_template, default_library
from bot.ticketing.catalog import Event

log = logging.getLogger(__name__)

__all__ = ["REMINDERS", "plan_lifecycle", "planned_messages"]

#: (label, how long before the show, library template)
REMINDERS: tuple[tuple[str, timedelta, str], ...] = (
    ("7d", timedelta(days=7), "event_reminder_7d"),
    ("1d", timedelta(days=1), "event_reminder_1d"),
    ("3h", timedelta(hours=3), "event_reminder_3h"),
)
#: The feedback request goes the morning after the show, Bogotá time.
FEEDBACK_AT = time(10, 0)


def _clock(lang: str, moment: datetime) -> str:
    """ "8:00 p. m." / "8:00 PM" (CLDR through Babel, plain spaces like the copy)."""
    text = format_datetime(moment, "h:mm a", tzinfo=moment.tzinfo, locale=BABEL_LOCALES[lang])
    return text.replace("\u202f", " ").replace("\u00a0", " ")


def _doors(lang: str, local_start: datetime, doors: str) -> str:
    """Hi.Events keeps doors as "19:00" (an event attribute); written like the rest."""
    try:
        hour, minute = (int(part) for part in doors.split(":", 1))
    except ValueError:
        return doors
    return _clock(lang, local_start.replace(hour=hour, minute=minute))


def fallback_template(name: str, lang: str, values: dict[str, str]) -> dict[str, Any] | None:
    """A library template with the values it uses; ``None`` (logged) when it cannot be built."""
    try:
        template = default_library().get(name, lang)
        wanted = template.variables()
        return build_template(template, {k: v for k, v in values.items() if k in wanted})
    except (UnknownTemplate, TemplateValueError) as exc:
        event(log, "lifecycle.no_template", logging.WARNING, template=name, error=str(exc)[:200])
        return None


def planned_messages(
    purchase: PurchaseRecord, event_info: Event | None, first_code: str, now: datetime
) -> list[dict[str, Any]]:
    """The outbox rows to enqueue for one fulfilled purchase (pure: testable alone)."""
    lang = purchase.language
    starts = purchase.event_starts_at
    local = to_bogota(starts)
    venue = event_info.venue if event_info and event_info.venue else ""
    doors = event_info.doors_open if event_info and event_info.doors_open else ""
    name = purchase.buyer_name.split()[0]
    values = {
        "name": name,
        "event": purchase.event_title[:120],
        "date_time": format_moment(lang, starts, starts - timedelta(days=30)),
        "venue": venue or purchase.event_title[:120],
        "doors_time": _doors(lang, local, doors) if doors else _clock(lang, local),
        "time": _clock(lang, local),
        "ticket_code": first_code,
    }
    rows: list[dict[str, Any]] = []
    for label, before, template_name in REMINDERS:
        send_at = starts - before
        if send_at <= now:
            continue
        text = t(lang, f"tickets.reminder.{label}", **values)
        rows.append(
            {
                "idempotency_key": f"reminder:{label}:{purchase.reference}",
                "wa_id": purchase.wa_id,
                "purpose": "transactional",
                "priority": PRIORITY_REMINDER,
                "kind": "message",
                "payload": {"type": "text", "text": {"body": text}},
                "template_fallback": fallback_template(template_name, lang, values),
                "not_before": send_at,
            }
        )
    ends = (event_info.ends_at if event_info else None) or starts + timedelta(hours=4)
    # the first 10:00 Bogotá at least 6 hours after the end: a show ending at midnight
    # is asked about that same morning, one ending at 23:00 the next one
    morning = datetime.combine(to_bogota(ends).date(), FEEDBACK_AT, BOGOTA)
    if morning < ends + timedelta(hours=6):
        morning += timedelta(days=1)
    rows.append(
        {
            "idempotency_key": f"feedback:{purchase.reference}",
            "wa_id": purchase.wa_id,
            "purpose": "transactional",
            "priority": PRIORITY_REMINDER,
            "kind": "template",
            # the rating buttons (1–5) only exist in the template, so it goes as one
            "payload": fallback_template("feedback_request", lang, values),
            "not_before": morning,
        }
    )
    return [row for row in rows if row["payload"] is not None]


async def plan_lifecycle(
    store: Any, purchase: PurchaseRecord, event_info: Event | None, first_code: str, now: datetime
) -> int:
    """Enqueue the reminders and the feedback request (idempotent); returns how many."""
    rows = planned_messages(purchase, event_info, first_code, now)
    created = 0
    for row in rows:
        _record, new = await store.enqueue(**row)
        created += int(new)
    event(log, "lifecycle.planned", to=mask_phone(purchase.wa_id), rows=len(rows), new=created)
    return created
