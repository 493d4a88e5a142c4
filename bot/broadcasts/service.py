"""Broadcasts for organizers (issue 5, item 6): create, preview, dry-run, send, follow, cancel.

The admin API (``bot/http/broadcasts.py``) and the CLI (``python -m bot broadcasts``)
are thin layers over these functions. Every function takes the moment it acts at
(``now``, an aware datetime) instead of reading a clock, so tests can put "now" on a
Friday at 21:00; the HTTP layer passes the wall clock.

Audience (:func:`plan`): the segment's candidates (``BroadcastStoreMixin.broadcast_candidates``),
then the rules of :func:`bot.proactive.policy.decide` for each person:

* ``marketing`` (a MARKETING template): only people whose latest ``marketing`` decision
  is *granted* (Ley 1581). A revoked one (STOP, BAJA, PARAR, opt_out) is excluded as
  ``opted_out``, no decision at all as ``no_marketing_consent``.
* ``utility`` (a UTILITY template: a schedule change for an event's holders…): a
  transactional relationship is needed, a ticket of any event, a granted
  ``transactional`` consent or a chat in the last 24 hours; else
  ``no_transactional_relationship``. An opt-out does not stop utility messages.
* ``marketing_opt_in: true`` in the segment also requires marketing consent for a
  utility broadcast.
* a person whose language's template is not APPROVED is ``template_not_approved``
  in the dry run; :func:`send` refuses the whole broadcast (:class:`Conflict`, HTTP 409).

When (:func:`send`): every row is written at once, in one transaction with the
broadcast's move out of ``draft``; the time goes in the row's ``not_before``:

* utility: ``scheduled_for`` (or now);
* marketing: ``next_marketing_slot(max(now, scheduled_for))`` (Ley 2300 hours, no
  Sundays or festivos), pushed to the next day's first slot while the person already
  has a promotional row sent, sending or queued on that Bogotá day (one a day).

Choices and usage: ``docs/decisions/broadcasts.md``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from bot.calendar import BOGOTA, to_bogota
from bot.proactive import policy
from bot.storage.broadcasts import BroadcastRecord, Candidate
from bot.storage.models import BROADCAST_PURPOSES, LANGUAGES, ROLES
from bot.storage.outbox import PRIORITY_MARKETING, PRIORITY_REMINDER
from bot.storage.store import Store
from bot.storage.types import as_utc
from bot.templates import (
    Library,
    TemplateDef,
    TemplateNotApproved,
    TemplateValueError,
    UnknownTemplate,
    build_template,
    default_library,
    render_text,
    require_approved,
)

__all__ = [
    "NAME_FALLBACK",
    "NAME_VARIABLE",
    "SEGMENT_KEYS",
    "BroadcastError",
    "Conflict",
    "NotFound",
    "Plan",
    "cancel",
    "create",
    "dry_run",
    "idempotency_key",
    "parse_segment",
    "plan",
    "preview",
    "progress",
    "send",
]

#: A template variable of this name is personal: the recipient's first name.
NAME_VARIABLE = "name"
NAME_FALLBACK = {"es": "Fashionista", "en": "Fashionista"}
SEGMENT_KEYS = ("event_id", "ticket_type", "role", "language", "marketing_opt_in")
WINDOW = timedelta(hours=24)
#: Outbox status → the progress counters of ``GET /admin/broadcasts/<id>``.
_FINAL = ("sent", "dead", "cancelled")
_SPACES = re.compile(r"\s+")

EXCLUDED_TEMPLATE = "template_not_approved"


class BroadcastError(ValueError):
    """A request the API answers with ``status`` (400 by default)."""

    status = 400


class NotFound(BroadcastError):
    status = 404


class Conflict(BroadcastError):
    """The broadcast's state forbids it, or its template may not be sent (409)."""

    status = 409


def idempotency_key(broadcast_id: int, wa_id: str) -> str:
    return f"broadcast:{int(broadcast_id)}:{wa_id}"


# ------------------------------------------------------------------------ parsing


def parse_segment(data: Any) -> dict[str, Any]:
    """A validated segment: ``{event_id, ticket_type, role, language, marketing_opt_in}``.

    Every key is optional; together they are ANDed. ``{}`` is everyone we know.
    """
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise BroadcastError("segment must be a JSON object")
    unknown = sorted(set(data) - set(SEGMENT_KEYS))
    if unknown:
        raise BroadcastError(
            f"unknown segment key(s) {', '.join(unknown)}; allowed: {', '.join(SEGMENT_KEYS)}"
        )
    segment: dict[str, Any] = {}
    if data.get("event_id") is not None:
        event_id = data["event_id"]
        if isinstance(event_id, bool) or not isinstance(event_id, int):
            raise BroadcastError("segment.event_id must be an integer")
        segment["event_id"] = event_id
    if data.get("ticket_type") is not None:
        ticket_type = data["ticket_type"]
        if not isinstance(ticket_type, str) or not 1 <= len(ticket_type) <= 64:
            raise BroadcastError("segment.ticket_type must be 1..64 characters")
        segment["ticket_type"] = ticket_type
    if data.get("role") is not None:
        if data["role"] not in ROLES:
            raise BroadcastError(f"segment.role must be one of {', '.join(ROLES)}")
        segment["role"] = data["role"]
    if data.get("language") is not None:
        if data["language"] not in LANGUAGES:
            raise BroadcastError("segment.language must be 'es' or 'en'")
        segment["language"] = data["language"]
    if data.get("marketing_opt_in") is not None:
        if not isinstance(data["marketing_opt_in"], bool):
            raise BroadcastError("segment.marketing_opt_in must be true or false")
        if data["marketing_opt_in"]:
            segment["marketing_opt_in"] = True
    return segment


def _parse_variables(data: Any) -> dict[str, Any]:
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise BroadcastError("variables must be a JSON object")
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key in LANGUAGES and isinstance(value, Mapping):
            if not all(isinstance(v, str) for v in value.values()):
                raise BroadcastError(f"variables.{key} values must be text")
            out[key] = {str(k): v for k, v in value.items()}
        elif isinstance(value, str):
            out[str(key)] = value
        else:
            raise BroadcastError(f"variable {key!r} must be text")
    return out


def _values_for(variables: Mapping[str, Any], language: str) -> dict[str, str]:
    """Flat values, overridden by the language's own ``{"es": {...}}`` block."""
    flat = {k: v for k, v in variables.items() if isinstance(v, str)}
    own = variables.get(language)
    return {**flat, **(dict(own) if isinstance(own, Mapping) else {})}


def _first_name(name: str | None, language: str) -> str:
    words = _SPACES.sub(" ", name or "").strip().split(" ")
    first = words[0][:60] if words and words[0] else ""
    return first or NAME_FALLBACK.get(language, NAME_FALLBACK["es"])


def _values(
    template: TemplateDef, variables: Mapping[str, Any], language: str, name: str | None
) -> dict[str, str]:
    values = _values_for(variables, language)
    if NAME_VARIABLE in template.variables() and NAME_VARIABLE not in values:
        values[NAME_VARIABLE] = _first_name(name, language)
    # keys the template does not take are refused by build_template; drop the ones
    # meant for the other language only
    return values


# ------------------------------------------------------------------------- create


async def create(
    store: Store,
    *,
    name: str,
    template: str,
    variables: Any,
    segment: Any,
    created_by: str,
    purpose: str | None = None,
    scheduled_for: datetime | None = None,
    library: Library | None = None,
) -> BroadcastRecord:
    """A ``draft`` broadcast, refused (:class:`BroadcastError`) when it could never go.

    The template must be in the library in every language, its variables must fill it
    (``name`` may be left out: it is each person's first name), and ``purpose`` must
    match its category (MARKETING → ``marketing``, UTILITY → ``utility``; derived when
    omitted). Approval at Wappbíz is checked at send time (it can change meanwhile).
    """
    library = library if library is not None else default_library()
    if not isinstance(name, str) or not name.strip():
        raise BroadcastError("name expected")
    if not isinstance(created_by, str) or not created_by.strip():
        raise BroadcastError("created_by expected")
    if not isinstance(template, str) or not template:
        raise BroadcastError("template expected")
    defs = _templates(library, template)
    category = defs["es"].category
    derived = "marketing" if category == "MARKETING" else "utility"
    if purpose is None:
        purpose = derived
    if purpose not in BROADCAST_PURPOSES:
        raise BroadcastError(f"purpose must be one of {', '.join(BROADCAST_PURPOSES)}")
    if purpose != derived:
        raise BroadcastError(
            f"template {template} is {category}: its broadcast purpose is {derived!r}, "
            f"not {purpose!r}"
        )
    parsed_vars = _parse_variables(variables)
    parsed_segment = parse_segment(segment)
    for language, template_def in defs.items():
        try:
            build_template(template_def, _values(template_def, parsed_vars, language, None))
        except TemplateValueError as exc:
            raise BroadcastError(f"variables do not fit {template_def.label}: {exc}") from None
    if scheduled_for is not None:
        scheduled_for = as_utc(scheduled_for, "scheduled_for")
    return await store.create_broadcast(
        name=name.strip()[:128],
        template=template,
        variables=parsed_vars,
        segment=parsed_segment,
        purpose=purpose,
        created_by=created_by.strip()[:64],
        scheduled_for=scheduled_for,
    )


def _templates(library: Library, name: str) -> dict[str, TemplateDef]:
    try:
        return {language: library.get(name, language) for language in LANGUAGES}
    except UnknownTemplate as exc:
        raise BroadcastError(f"{exc}; the library has {', '.join(library.names())}") from None


async def _get(store: Store, broadcast_id: int) -> BroadcastRecord:
    record = await store.get_broadcast(broadcast_id)
    if record is None:
        raise NotFound(f"no broadcast {broadcast_id}")
    return record


# ---------------------------------------------------------------------- audience


@dataclass(frozen=True, slots=True)
class Planned:
    """One recipient of a broadcast and when their message may go."""

    wa_id: str
    language: str
    name: str | None
    not_before: datetime
    capped: bool = False


@dataclass
class Plan:
    """Who gets a broadcast, who does not and why, and the template state per language."""

    broadcast: BroadcastRecord
    start: datetime
    candidates: int
    recipients: list[Planned] = field(default_factory=list)
    excluded: Counter[str] = field(default_factory=Counter)
    not_approved: dict[str, str] = field(default_factory=dict)
    #: People left out because their language's template is not approved, by language.
    template_blocked: Counter[str] = field(default_factory=Counter)

    @property
    def by_language(self) -> dict[str, int]:
        return dict(Counter(r.language for r in self.recipients))

    def summary(self) -> dict[str, Any]:
        slots = [r.not_before for r in self.recipients]
        return {
            "candidates": self.candidates,
            "recipients": len(self.recipients),
            "by_language": self.by_language,
            "excluded": dict(self.excluded),
            "excluded_total": sum(self.excluded.values()),
            "delayed_by_daily_cap": sum(1 for r in self.recipients if r.capped),
            "first_slot": min(slots).isoformat() if slots else None,
            "last_slot": max(slots).isoformat() if slots else None,
        }


def _start(record: BroadcastRecord, now: datetime) -> datetime:
    now = as_utc(now, "now")
    return max(now, record.scheduled_for) if record.scheduled_for is not None else now


async def plan(
    store: Store, record: BroadcastRecord, *, now: datetime, library: Library | None = None
) -> Plan:
    """Apply consent, opt-outs, template approval and the Ley 2300 slots to the segment."""
    library = library if library is not None else default_library()
    start = _start(record, now)
    candidates = await store.broadcast_candidates(record.segment)
    result = Plan(broadcast=record, start=start, candidates=len(candidates))
    approved: dict[str, bool] = {}
    for language in LANGUAGES:
        try:
            await require_approved(store, record.template, language, library=library)
            approved[language] = True
        except (TemplateNotApproved, UnknownTemplate) as exc:
            approved[language] = False
            result.not_approved[language] = str(exc)
    states = await store.consent_states(c.wa_id for c in candidates)
    marketing = record.purpose == "marketing"
    wants_opt_in = bool(record.segment.get("marketing_opt_in"))
    allowed: list[Candidate] = []
    for person in candidates:
        state = states.get(person.wa_id, {})
        reason = _refusal(person, state, marketing=marketing, wants_opt_in=wants_opt_in, now=start)
        if reason is None and not approved.get(person.language, False):
            reason = EXCLUDED_TEMPLATE
            result.template_blocked[person.language] += 1
        if reason is not None:
            result.excluded[reason] += 1
        else:
            allowed.append(person)
    busy: dict[str, set[Any]] = {}
    if marketing and allowed:
        times = await store.promotional_times(
            (p.wa_id for p in allowed),
            since=start - timedelta(days=1),
            exclude_broadcast_id=record.id,
        )
        busy = {w: {to_bogota(t).date() for t in ts} for w, ts in times.items()}
    for person in allowed:
        if marketing:
            slot, capped = _marketing_slot(start, busy.get(person.wa_id, set()))
        else:
            slot, capped = start, False
        result.recipients.append(
            Planned(person.wa_id, person.language, person.name, as_utc(slot, "slot"), capped)
        )
    return result


def _refusal(
    person: Candidate,
    state: Mapping[str, bool],
    *,
    marketing: bool,
    wants_opt_in: bool,
    now: datetime,
) -> str | None:
    granted = {purpose for purpose, yes in state.items() if yes}
    if marketing or wants_opt_in:
        decision = policy.decide(
            policy.MARKETING,
            now=now,
            consents=granted,
            opted_out=state.get("marketing") is False,
            last_marketing_sent_at=None,
            window_open=False,
            template_available=True,
        )
        if decision.refused:
            return decision.reason
        if marketing:
            return None
    if person.holder:
        granted.add(policy.TRANSACTIONAL)  # they bought a ticket: a relationship
    window_open = person.last_inbound_at is not None and person.last_inbound_at > now - WINDOW
    decision = policy.decide(
        policy.TRANSACTIONAL,
        now=now,
        consents=granted,
        opted_out=False,
        last_marketing_sent_at=None,
        window_open=window_open,
        template_available=True,
    )
    return decision.reason if decision.refused else None


def _marketing_slot(start: datetime, busy_days: set[Any]) -> tuple[datetime, bool]:
    """The first Ley 2300 slot at or after ``start`` on a day without another promotion."""
    slot = policy.next_marketing_slot(start)
    capped = False
    for _ in range(62):
        if slot.date() not in busy_days:
            return slot, capped
        capped = True
        midnight = datetime.combine(slot.date() + timedelta(days=1), time(0), tzinfo=BOGOTA)
        slot = policy.next_marketing_slot(midnight)
    raise RuntimeError("no free marketing day within two months")


# ------------------------------------------------------------------ the operations


async def dry_run(
    store: Store, broadcast_id: int, *, now: datetime, library: Library | None = None
) -> dict[str, Any]:
    """The audience after consent and opt-out filtering, by language and by reason."""
    record = await _get(store, broadcast_id)
    found = await plan(store, record, now=now, library=library)
    return {
        "broadcast_id": record.id,
        "purpose": record.purpose,
        "status": record.status,
        "segment": record.segment,
        "start": found.start.isoformat(),
        **found.summary(),
        "templates_not_approved": found.not_approved,
        "sendable": not _blocking(found),
    }


def _blocking(found: Plan) -> dict[str, str]:
    """The unapproved languages that refuse a send: those some recipient needs (all of
    them when nobody could be sent anything at all)."""
    if not found.recipients and found.not_approved:
        return dict(found.not_approved)
    needed = {lang for lang, n in found.template_blocked.items() if n}
    return {lang: msg for lang, msg in found.not_approved.items() if lang in needed}


async def preview(
    store: Store,
    broadcast_id: int,
    *,
    now: datetime,
    wa_id: str | None = None,
    library: Library | None = None,
) -> dict[str, Any]:
    """The text in every language for one sample recipient (``wa_id`` or the first one)."""
    library = library if library is not None else default_library()
    record = await _get(store, broadcast_id)
    defs = _templates(library, record.template)
    sample: Candidate | None = None
    candidates = await store.broadcast_candidates(record.segment)
    if wa_id is not None:
        sample = next((c for c in candidates if c.wa_id == wa_id), None)
        if sample is None:
            raise NotFound(f"{wa_id} is not in the segment of broadcast {record.id}")
    elif candidates:
        found = await plan(store, record, now=now, library=library)
        first = found.recipients[0].wa_id if found.recipients else candidates[0].wa_id
        sample = next(c for c in candidates if c.wa_id == first)
    languages: dict[str, Any] = {}
    for language, template_def in defs.items():
        values = _values(template_def, record.variables, language, sample and sample.name)
        try:
            obj = build_template(template_def, values)
        except TemplateValueError as exc:
            languages[language] = {"error": str(exc)}
            continue
        languages[language] = {
            "template": f"{template_def.name} [{template_def.language}]",
            "category": template_def.category,
            "text": render_text(template_def, values),
            "payload": obj,
        }
    return {
        "broadcast_id": record.id,
        "sample": None
        if sample is None
        else {"wa_id": sample.wa_id, "language": sample.language, "name": sample.name},
        "languages": languages,
    }


async def send(
    store: Store, broadcast_id: int, *, now: datetime, library: Library | None = None
) -> dict[str, Any]:
    """Queue one outbox row per recipient (see the module docstring); draft only.

    Raises :class:`Conflict` when the broadcast is not a draft any more or when the
    template is not APPROVED in a language some recipient needs.
    """
    library = library if library is not None else default_library()
    record = await _get(store, broadcast_id)
    if record.status != "draft":
        raise Conflict(f"broadcast {record.id} is {record.status}; only a draft can be sent")
    found = await plan(store, record, now=now, library=library)
    blocking = _blocking(found)
    if blocking:
        raise Conflict(
            "only APPROVED templates are sent: " + "; ".join(blocking[k] for k in sorted(blocking))
        )
    defs = _templates(library, record.template)
    marketing = record.purpose == "marketing"
    rows: list[dict[str, Any]] = []
    for person in found.recipients:
        template_def = defs[person.language]
        try:
            payload = build_template(
                template_def, _values(template_def, record.variables, person.language, person.name)
            )
        except TemplateValueError:  # a name that does not fit: the fallback, never skip
            payload = build_template(
                template_def, _values(template_def, record.variables, person.language, None)
            )
        rows.append(
            {
                "idempotency_key": idempotency_key(record.id, person.wa_id),
                "wa_id": person.wa_id,
                "kind": "template",
                "payload": payload,
                "purpose": "marketing" if marketing else "transactional",
                "priority": PRIORITY_MARKETING if marketing else PRIORITY_REMINDER,
                "not_before": person.not_before,
                "broadcast_id": record.id,
            }
        )
    moment = as_utc(now, "now")
    first = min((r.not_before for r in found.recipients), default=None)
    if not rows:
        status = "done"
    elif first is not None and first > moment:
        status = "scheduled"
    else:
        status = "sending"
    summary = found.summary()
    async with store.transaction() as session:
        moved = await store.update_broadcast_in(
            session,
            record.id,
            from_statuses=("draft",),
            status=status,
            started_at=moment,
            finished_at=moment if status == "done" else None,
            counts=summary,
        )
        if not moved:
            raise Conflict(f"broadcast {record.id} was sent or cancelled meanwhile")
        queued = await store.enqueue_many_in(session, rows) if rows else 0
    return {
        "broadcast_id": record.id,
        "status": status,
        "queued": queued,
        **summary,
    }


async def progress(store: Store, broadcast_id: int, *, now: datetime) -> dict[str, Any]:
    """The broadcast, its rows per outbox status and what WhatsApp reported."""
    record = await _get(store, broadcast_id)
    counts = await store.outbox_counts(broadcast_id=record.id)
    total = sum(counts.values())
    if record.status in ("scheduled", "sending") and total:
        moment = as_utc(now, "now")
        if all(counts.get(s, 0) == 0 for s in ("queued", "sending")):
            updated = await store.update_broadcast(
                record.id,
                from_statuses=("scheduled", "sending"),
                status="done",
                finished_at=moment,
            )
            record = updated or await _get(store, broadcast_id)
        elif record.status == "scheduled" and any(
            counts.get(s, 0) for s in ("sending", "sent", "dead")
        ):
            updated = await store.update_broadcast(
                record.id, from_statuses=("scheduled",), status="sending"
            )
            record = updated or await _get(store, broadcast_id)
    delivery = await store.broadcast_delivery(record.id)
    return {
        **record.as_json(),
        "total": total,
        "progress": {
            "queued": counts.get("queued", 0),
            "sending": counts.get("sending", 0),
            "sent": counts.get("sent", 0),
            "delivered": delivery["delivered"],
            "read": delivery["read"],
            "failed": counts.get("dead", 0) + delivery["failed"],
            "dead": counts.get("dead", 0),
            "cancelled": counts.get("cancelled", 0),
        },
        "delivery_tracking": (
            "delivered/read/failed come from WhatsApp status webhooks (message_statuses) "
            "matched on the sent message id; a message without a webhook yet is only 'sent'"
        ),
    }


async def cancel(store: Store, broadcast_id: int, *, now: datetime) -> dict[str, Any]:
    """Cancel a draft, scheduled or sending broadcast: its queued rows never go."""
    record = await _get(store, broadcast_id)
    if record.status in ("done", "cancelled"):
        raise Conflict(f"broadcast {record.id} is already {record.status}")
    updated = await store.update_broadcast(
        record.id,
        from_statuses=("draft", "scheduled", "sending"),
        status="cancelled",
        finished_at=as_utc(now, "now"),
    )
    if updated is None:
        raise Conflict(f"broadcast {record.id} changed meanwhile; look again")
    # after the status: a send racing with us either moved first (its rows exist now and
    # are cancelled here) or finds the broadcast cancelled and queues nothing
    cancelled = await store.cancel(broadcast_id=record.id)
    return {"broadcast_id": record.id, "status": "cancelled", "cancelled_rows": cancelled}
