"""Emergency alerts (issue 5, item 7): everyone at an event, ahead of everything else.

:func:`queue_alert` writes one outbox row per distinct recipient of an event, in one
transaction, and returns a :class:`AlertResult`. Recipients:

* every ticket holder of the event: the ``wa_id`` of each ticket of its purchases,
  whatever the purchase's state now (a ticket was issued; an emergency errs towards
  telling too many), in the language of their latest purchase;
* every contact with role ``staff`` or ``organizer``, in their contact language
  (a staff member who also holds a ticket is one recipient, in the purchase language).

Each row is ``purpose="emergency"`` with priority 0, so the worker's claim takes it
before any transactional, reminder or marketing row already waiting. Inside the
24-hour window (``contacts.last_inbound_at`` within 24 h) the alert is free text with
the ``emergency_alert`` template as ``template_fallback`` (the worker switches when
the provider says the window is closed after all); outside it the row is the template
itself. The template must be APPROVED (:func:`bot.templates.require_approved`); when it
is not, the row is queued as free text with the template as fallback anyway and the
result carries a warning: an emergency is never dropped silently.

Consent, opt-outs, Ley 2300 contact hours and the daily marketing cap do not apply to
an emergency: :func:`bot.proactive.policy.decide` says so (``send_now``) and is asked
for every window/template combination, so the rule lives in one place.

The alert id is the outbox ``broadcast_id`` of its rows (``GET /admin/emergency/<id>``
counts them) and part of every idempotency key, ``emergency:<alert id>:<wa_id>``. It is
derived from the event and the alert's key (``alert_key`` in the request, else the
two texts): the same alert posted twice (an organizer double-tapping "send" in a
panic, a client retrying a timed-out call) queues nothing new. Alert ids live in
``[2**52, 2**53)``: above any broadcast id a table's sequence will hand out, and still
exact in JavaScript. Choices: ``docs/decisions/emergency.md``.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot.proactive import policy
from bot.storage.models import Contact, Purchase, Ticket
from bot.storage.outbox import PRIORITY_EMERGENCY
from bot.storage.store import Store
from bot.storage.types import as_utc, utcnow
from bot.templates import (
    Library,
    TemplateNotApproved,
    TemplateValueError,
    UnknownTemplate,
    build_template,
    default_library,
    require_approved,
    template_language,
)

__all__ = [
    "ALERT_ID_BASE",
    "EMERGENCY_TEMPLATE",
    "MAX_MESSAGE_CHARS",
    "STAFF_ROLES",
    "AlertRequest",
    "AlertResult",
    "Recipient",
    "alert_id_for",
    "idempotency_key",
    "is_alert_id",
    "queue_alert",
    "recipients_of",
]

EMERGENCY_TEMPLATE = "emergency_alert"
STAFF_ROLES = ("staff", "organizer")
WINDOW = timedelta(hours=24)
#: Alert ids: ``ALERT_ID_BASE`` + 52 bits of a hash (see the module docstring).
ALERT_ID_BASE = 1 << 52
#: The message is also a template variable: keep it well inside the 1,024-character body.
MAX_MESSAGE_CHARS = 700

_SPACES = re.compile(r"\s+")
_TITLE = {"es": "Aviso importante", "en": "Important notice"}


@dataclass(frozen=True)
class AlertRequest:
    """What an organizer asked for (``POST /admin/events/<event_id>/emergency``)."""

    event_id: int
    message_es: str
    message_en: str
    requested_by: str
    alert_key: str | None = None
    event_title: str | None = None


@dataclass(frozen=True, slots=True)
class Recipient:
    wa_id: str
    language: str
    window_open: bool
    holder: bool


@dataclass
class AlertResult:
    """The answer of the admin API (``as_json``), also what the bench reads."""

    alert_id: int
    event_id: int
    recipients: int
    queued: int
    free_text: int
    templates: int
    queued_in_ms: float
    warnings: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "alert_id": self.alert_id,
            "event_id": self.event_id,
            "queued": self.queued,
            "recipients": self.recipients,
            "already_queued": self.recipients - self.queued,
            "free_text": self.free_text,
            "templates": self.templates,
            "queued_in_ms": round(self.queued_in_ms, 1),
            "warnings": self.warnings,
        }


def alert_id_for(event_id: int, key: str) -> int:
    """The alert id of ``key`` (the request's ``alert_key`` or its two texts) at an event."""
    digest = hashlib.sha256(f"{int(event_id)}\x1f{key}".encode()).digest()
    return ALERT_ID_BASE + (int.from_bytes(digest[:8], "big") & (ALERT_ID_BASE - 1))


def is_alert_id(value: int) -> bool:
    return ALERT_ID_BASE <= value < 2 * ALERT_ID_BASE


def idempotency_key(alert_id: int, wa_id: str) -> str:
    return f"emergency:{alert_id}:{wa_id}"


def _alert_key(request: AlertRequest) -> str:
    if request.alert_key:
        return f"key\x1f{request.alert_key}"
    return f"text\x1f{request.message_es}\x1f{request.message_en}"


async def recipients_of(
    session: Any, event_id: int, now: datetime
) -> tuple[list[Recipient], str | None]:
    """Distinct recipients of an event's alert, and the event's title from its purchases."""
    purchases, tickets, contacts = Purchase.__table__, Ticket.__table__, Contact.__table__
    since = now - WINDOW
    holders = (
        select(
            tickets.c.wa_id,
            purchases.c.language,
            purchases.c.event_title,
            contacts.c.last_inbound_at,
        )
        .select_from(
            tickets.join(purchases, purchases.c.id == tickets.c.purchase_id).outerjoin(
                contacts, contacts.c.wa_id == tickets.c.wa_id
            )
        )
        .where(purchases.c.event_id == int(event_id))
        .order_by(purchases.c.id, tickets.c.id)
    )
    staff = select(contacts.c.wa_id, contacts.c.language, contacts.c.last_inbound_at).where(
        contacts.c.role.in_(STAFF_ROLES)
    )
    found: dict[str, Recipient] = {}
    title: str | None = None
    for wa_id, language, event_title, last_inbound in (await session.execute(holders)).all():
        title = event_title or title
        # the latest purchase's language wins (rows come oldest purchase first)
        found[wa_id] = Recipient(wa_id, language, _open(last_inbound, since), True)
    for wa_id, language, last_inbound in (await session.execute(staff)).all():
        if wa_id not in found:
            found[wa_id] = Recipient(wa_id, language, _open(last_inbound, since), False)
    return list(found.values()), title


def _open(last_inbound: datetime | None, since: datetime) -> bool:
    return last_inbound is not None and as_utc(last_inbound, "last_inbound_at") > since


def _one_line(text: str) -> str:
    """Template variables refuse newlines, tabs and runs of spaces (132012)."""
    return _SPACES.sub(" ", text).strip()


async def queue_alert(
    store: Store,
    request: AlertRequest,
    *,
    library: Library | None = None,
    now: Callable[[], datetime] = utcnow,
) -> AlertResult:
    """Queue the alert for every recipient of ``request.event_id`` (see the module doc).

    Raises ``ValueError`` for an empty or too long message; a template problem is a
    warning in the result, never a reason not to queue.
    """
    for name in ("message_es", "message_en"):
        text = getattr(request, name)
        if not text.strip():
            raise ValueError(f"{name} is empty")
        if len(text) > MAX_MESSAGE_CHARS:
            raise ValueError(f"{name} is longer than {MAX_MESSAGE_CHARS} characters")
    started = time.perf_counter()
    library = library if library is not None else default_library()
    moment = now()
    alert_id = alert_id_for(request.event_id, _alert_key(request))
    warnings: list[str] = []
    approved: dict[str, bool] = {}
    for language in ("es", "en"):
        try:
            await require_approved(store, EMERGENCY_TEMPLATE, language, library=library)
            approved[language] = True
        except (TemplateNotApproved, UnknownTemplate) as exc:
            approved[language] = False
            warnings.append(f"{exc}")
    decisions: dict[tuple[bool, bool], policy.Decision] = {}

    def decision(window_open: bool, template_ok: bool) -> policy.Decision:
        key = (window_open, template_ok)
        if key not in decisions:
            # No consent, opt-out, contact hours or daily cap for an emergency: the
            # policy answers send_now, or "refuse" only for a closed window without an
            # approved template, which we override (queued as text + fallback, warned).
            decisions[key] = policy.decide(
                policy.EMERGENCY,
                now=moment,
                consents=(),
                opted_out=False,
                last_marketing_sent_at=None,
                window_open=window_open,
                template_available=template_ok,
            )
        return decisions[key]

    async with store.transaction() as session:
        recipients, stored_title = await recipients_of(session, request.event_id, moment)
        title = _one_line(request.event_title or stored_title or f"evento {request.event_id}")
        texts = {"es": request.message_es.strip(), "en": request.message_en.strip()}
        templates: dict[str, dict[str, Any] | None] = {}
        for language in ("es", "en"):
            try:
                template = library.get(EMERGENCY_TEMPLATE, language)
                templates[language] = build_template(
                    template, {"event": title[:120], "message": _one_line(texts[language])}
                )
            except (UnknownTemplate, TemplateValueError) as exc:
                templates[language] = None
                approved[language] = False
                warnings.append(f"{EMERGENCY_TEMPLATE} [{template_language(language)}]: {exc}")
        messages: list[Mapping[str, Any]] = []
        free_text = as_template = 0
        unapproved_closed: dict[str, int] = {"es": 0, "en": 0}
        for person in recipients:
            language = person.language if person.language in texts else "es"
            choice = decision(person.window_open, approved[language])
            template = templates[language]
            text = {
                "type": "text",
                "text": {"body": f"{_TITLE[language]}: {title}\n\n{texts[language]}"},
            }
            row: dict[str, Any] = {
                "idempotency_key": idempotency_key(alert_id, person.wa_id),
                "wa_id": person.wa_id,
                "purpose": "emergency",
                "priority": min(PRIORITY_EMERGENCY, choice.priority),
                "broadcast_id": alert_id,
            }
            if choice.send_now and choice.template and template is not None:
                row.update(kind="template", payload=template)
                as_template += 1
            else:
                if choice.refused:
                    unapproved_closed[language] += 1
                row.update(kind="message", payload=text, template_fallback=template)
                free_text += 1
            messages.append(row)
        queued = await store.enqueue_many_in(session, messages) if messages else 0
    for language, count in unapproved_closed.items():
        if count:
            warnings.append(
                f"{count} recipient(s) in {language!r} are outside the 24-hour window and "
                f"{EMERGENCY_TEMPLATE} [{template_language(language)}] is not approved: "
                "queued as free text with the template as fallback; WhatsApp may refuse "
                "them (see GET /admin/emergency/<alert_id>)"
            )
    if not recipients:
        warnings.append(f"event {request.event_id} has no ticket holders and there is no staff")
    return AlertResult(
        alert_id=alert_id,
        event_id=int(request.event_id),
        recipients=len(recipients),
        queued=queued,
        free_text=free_text,
        templates=as_template,
        queued_in_ms=(time.perf_counter() - started) * 1000,
        warnings=warnings,
    )
