"""Staff edits in the emulated Hi.Events, and the webhooks they fire (contract §3, §6, §7).

* ``PUT /events/{id}`` (``UpdateEventService``): title, dates (input in the event's
  timezone, stored in UTC), location; fires ``event.updated`` with the ``EventResource``.
* ``PUT /events/{id}/attendees/{id}``: names, e-mail, notes; fires ``attendee.updated``.
* ``PATCH /events/{id}/attendees/{id}``: ``status`` → ``CANCELLED`` fires
  ``attendee.cancelled``; other fields change silently (the contract names no event).
* ``POST /events/{id}/attendees`` (``CreateAttendeeHandler``): the box office's
  manual attendee, a one-ticket ``COMPLETED`` order; fires ``order.created`` then
  ``attendee.created``.

Functions over the emulator (not methods) keep ``emulator.py`` from growing further;
like its methods they run without awaits, so each is atomic.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.sandbox.hi_events import resources as res
from bot.sandbox.hi_events.errors import validation
from bot.sandbox.hi_events.model import UTC, Attendee, Event, Order, OrderItem, public_id, short_id

if TYPE_CHECKING:
    from bot.sandbox.hi_events.emulator import HiEventsEmulator

__all__ = [
    "cancel_attendee",
    "create_attendee",
    "patch_attendee",
    "update_attendee",
    "update_event",
]

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_LOCATION_KEYS = (
    "venue_name",
    "address_line_1",
    "address_line_2",
    "city",
    "state_or_region",
    "zip_or_postal_code",
    "country",
)


def _local_date(value: Any, zone: str, field: str, errors: dict[str, list[str]]) -> datetime | None:
    """``2026-12-11 20:00:00`` in the event's timezone → UTC (an explicit offset wins)."""
    if not isinstance(value, str) or not value.strip():
        errors[field] = [f"The {field.replace('_', ' ')} field must be a valid date."]
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        errors[field] = [f"The {field.replace('_', ' ')} field must be a valid date."]
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(zone))
    return moment.astimezone(UTC)


def update_event(emu: HiEventsEmulator, event_id: int, body: dict[str, Any]) -> Event:
    """Apply the fields given; ``event.updated`` fires even when nothing changed (as PHP)."""
    event = emu.event(event_id)
    errors: dict[str, list[str]] = {}
    start = end = None
    if "start_date" in body:
        start = _local_date(body["start_date"], event.timezone, "start_date", errors)
    if body.get("end_date") is not None:
        end = _local_date(body["end_date"], event.timezone, "end_date", errors)
    if "title" in body and (not isinstance(body["title"], str) or not body["title"].strip()):
        errors["title"] = ["The title field is required."]
    location = body.get("location_details")
    if location is not None and not isinstance(location, dict):
        errors["location_details"] = ["The location details must be an object."]
    new_start = start or event.start_date
    if start is not None and end is None:  # keep the show's length when only the start moves
        end = event.end_date + (start - event.start_date)
    if end is not None and end < new_start:
        errors["end_date"] = ["The end date must be a date after or equal to start date."]
    if errors:
        raise validation(errors)
    if "title" in body:
        event.title = body["title"].strip()
    if start is not None:
        event.start_date = start
    if end is not None:
        event.end_date = end
    if isinstance(location, dict):
        kept = {k: v for k, v in location.items() if k in _LOCATION_KEYS}
        event.location_details = {**event.location_details, **kept}
        if isinstance(event.settings.get("location_details"), dict):
            event.settings["location_details"] = dict(event.location_details)
    event.updated_at = emu.now()
    payload = res.event_resource(emu.state, event, emu.now(), public=False)
    emu.fire_event("event.updated", event, payload)
    return event


def _names(body: dict[str, Any], errors: dict[str, list[str]], *, required: bool) -> None:
    for field in ("first_name", "last_name"):
        value = body.get(field)
        if value is None and not required:
            continue
        if field == "last_name" and value in (None, ""):
            continue
        if not isinstance(value, str) or not value.strip():
            errors[field] = [f"The {field.replace('_', ' ')} field is required."]
        elif len(value) > 40:
            errors[field] = [f"The {field.replace('_', ' ')} must not be greater than 40."]
    email = body.get("email")
    if (email is not None or required) and (
        not isinstance(email, str) or not _EMAIL.match(email.strip())
    ):
        errors["email"] = ["The email field must be a valid email address."]


def _apply_person(attendee: Attendee, body: dict[str, Any]) -> None:
    for field in ("first_name", "last_name", "email"):
        if isinstance(body.get(field), str):
            setattr(attendee, field, body[field].strip())
    if "notes" in body:
        attendee.notes = body["notes"] if isinstance(body["notes"], str) else None


def _fire_attendee(emu: HiEventsEmulator, event_type: str, attendee: Attendee) -> None:
    order = emu.state.orders[attendee.order_id]
    event = emu.state.events[attendee.event_id]
    payload = res.attendee_resource(emu.state, attendee, with_check_ins=False)
    emu.fire(event_type, event, payload, order)


def update_attendee(
    emu: HiEventsEmulator, event_id: int, attendee_id: int, body: dict[str, Any]
) -> Attendee:
    """``PUT``: names, e-mail and notes; fires ``attendee.updated``."""
    attendee = emu.attendee(event_id, attendee_id)
    errors: dict[str, list[str]] = {}
    _names(body, errors, required=True)
    if errors:
        raise validation(errors)
    _apply_person(attendee, body)
    attendee.updated_at = emu.now()
    _fire_attendee(emu, "attendee.updated", attendee)
    return attendee


def cancel_attendee(emu: HiEventsEmulator, attendee: Attendee) -> None:
    """One ticket cancelled: its seat goes back on sale; ``attendee.cancelled`` fires."""
    if attendee.status == "CANCELLED":
        return
    attendee.status = "CANCELLED"
    attendee.updated_at = emu.now()
    found = emu.state.price(attendee.product_price_id)
    order = emu.state.orders[attendee.order_id]
    if found is not None and order.quantities_committed:
        found[1].quantity_sold = max(0, found[1].quantity_sold - 1)
    _fire_attendee(emu, "attendee.cancelled", attendee)


def patch_attendee(
    emu: HiEventsEmulator, event_id: int, attendee_id: int, body: dict[str, Any]
) -> Attendee:
    """``PATCH``: ``status`` (``ACTIVE``/``CANCELLED``) and person fields."""
    attendee = emu.attendee(event_id, attendee_id)
    errors: dict[str, list[str]] = {}
    _names(body, errors, required=False)
    status = body.get("status")
    if status is not None and status not in ("ACTIVE", "CANCELLED", "AWAITING_PAYMENT"):
        errors["status"] = ["The selected status is invalid."]
    if errors:
        raise validation(errors)
    _apply_person(attendee, body)
    attendee.updated_at = emu.now()
    if status == "CANCELLED":
        cancel_attendee(emu, attendee)
    elif status is not None:
        attendee.status = status
    return attendee


def create_attendee(emu: HiEventsEmulator, event_id: int, body: dict[str, Any]) -> Attendee:
    """A manual attendee: a ``COMPLETED`` one-ticket order, ``is_manually_created``."""
    event = emu.event(event_id)
    errors: dict[str, list[str]] = {}
    _names(body, errors, required=True)
    found = None
    product_id, price_id = body.get("product_id"), body.get("product_price_id")
    if not isinstance(product_id, int):
        errors["product_id"] = ["The product id field is required."]
    else:
        found = emu.state.price(price_id) if isinstance(price_id, int) else None
        if found is None or found[0].id != product_id or found[0].event_id != event.id:
            errors["product_price_id"] = ["The selected product price id is invalid."]
    try:
        amount = Decimal(str(body.get("amount_paid", 0)))
    except InvalidOperation:
        errors["amount_paid"] = ["The amount paid must be a number."]
        amount = Decimal("0")
    if errors or found is None:
        raise validation(errors)
    product, price = found
    now = emu.now()
    order_id = next(emu.state.order_ids)
    locale = str(body.get("locale") or "es")
    order = Order(
        id=order_id,
        short_id=short_id("o"),
        public_id=public_id("O"),
        event_id=event.id,
        session_id=secrets.token_hex(20),
        currency=event.currency,
        items=[
            OrderItem(
                id=next(emu.state.item_ids),
                order_id=order_id,
                product_id=product.id,
                product_price_id=price.id,
                item_name=product.title if not price.label else f"{product.title} - {price.label}",
                quantity=1,
                price=amount,
            )
        ],
        reserved_until=now + timedelta(minutes=15),
        created_at=now,
        updated_at=now,
        status="COMPLETED",
        payment_status="PAYMENT_RECEIVED" if amount > 0 else "NO_PAYMENT_REQUIRED",
        payment_provider="OFFLINE" if amount > 0 else None,
        first_name=str(body["first_name"]).strip(),
        last_name=str(body.get("last_name") or "").strip(),
        email=str(body["email"]).strip(),
        locale=locale,
        is_manually_created=True,
    )
    attendee = Attendee(
        id=next(emu.state.attendee_ids),
        short_id=short_id("a"),
        public_id=public_id("A"),
        order_id=order.id,
        event_id=event.id,
        product_id=product.id,
        product_price_id=price.id,
        status="ACTIVE",
        first_name=order.first_name or "",
        last_name=order.last_name or "",
        email=order.email or "",
        locale=locale,
        created_at=now,
        updated_at=now,
    )
    emu.state.orders[order.id] = order
    emu.state.attendees[attendee.id] = attendee
    order.attendee_ids.append(attendee.id)
    emu.commit_quantities(order)
    emu.fire_order_created(order)
    return attendee
