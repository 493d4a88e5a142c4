"""JSON shapes of the emulator: the Laravel resources the contract lists (§3–§10).

One function per resource, public and authenticated variants side by side, so a
field added to one is seen next to the other. Everything is computed at call time
(availability, ``is_expired``, ``lifecycle_status``) from the state and ``now``.
"""

from __future__ import annotations

import html
import re
from datetime import datetime
from decimal import Decimal
from typing import Any

from bot.sandbox.hi_events.model import (
    Attendee,
    CheckIn,
    CheckInList,
    Event,
    Order,
    OrderItem,
    Organizer,
    Price,
    Product,
    Webhook,
    WebhookLog,
    iso_z,
    money,
    raw_utc,
)
from bot.sandbox.hi_events.state import HiEventsState

_TAGS = re.compile(r"<[^>]+>")
_ROLLUP: dict[str, list[Any]] = {"taxes": [], "fees": []}

#: Settings only the organizer sees (``EventSettingsResourcePublic`` leaves them out).
_PRIVATE_SETTINGS = {"online_event_connection_details"}


def _preview(description: str, limit: int = 200) -> str:
    text = " ".join(html.unescape(_TAGS.sub(" ", description)).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def lifecycle_status(event: Event, now: datetime) -> str:
    if now < event.start_date:
        return "UPCOMING"
    return "ONGOING" if now < event.end_date else "ENDED"


def organizer_resource(organizer: Organizer) -> dict[str, Any]:
    return {
        "id": organizer.id,
        "name": organizer.name,
        "email": organizer.email,
        "description": organizer.description,
        "website": organizer.website,
        "currency": organizer.currency,
        "timezone": organizer.timezone,
        "images": [],
    }


def settings_resource(event: Event, *, public: bool) -> dict[str, Any]:
    settings = dict(event.settings)
    if public:
        for key in _PRIVATE_SETTINGS:
            settings.pop(key, None)
    return settings


def event_resource(
    state: HiEventsState, event: Event, now: datetime, *, public: bool
) -> dict[str, Any]:
    """``EventResourcePublic`` (public) or ``EventResource`` (JWT)."""
    attributes = [dict(a) for a in event.attributes if a.get("is_public") or not public]
    body: dict[str, Any] = {
        "id": event.id,
        "short_id": event.short_id,
        "title": event.title,
        "category": event.category,
        "description": event.description,
        "start_date": iso_z(event.start_date),
        "end_date": iso_z(event.end_date),
        "status": event.status,
        "lifecycle_status": lifecycle_status(event, now),
        "currency": event.currency,
        "timezone": event.timezone,
        "slug": event.slug,
        "location_details": dict(event.location_details),
        "attributes": attributes,
        "settings": settings_resource(event, public=public),
        "organizer": organizer_resource(state.organizer),
        "images": [],
        "product_categories": [
            {
                "id": category.id,
                "name": category.name,
                "description": category.description,
                "is_hidden": category.is_hidden,
                "order": category.order,
                "no_products_message": category.no_products_message,
                "products": [
                    product_resource(state, product, now, public=public)
                    for product in category.products
                    if not (public and product.is_hidden)
                ],
            }
            for category in event.product_categories
            if not (public and category.is_hidden)
        ],
    }
    if public:
        body["description_preview"] = _preview(event.description)
    else:
        body["organizer_id"] = event.organizer_id
        body["account_id"] = event.account_id
        body["created_at"] = iso_z(event.created_at)
        body["updated_at"] = iso_z(event.updated_at)
    return body


def _on_sale(start: datetime | None, end: datetime | None, now: datetime) -> tuple[bool, bool]:
    before = start is not None and now < start
    after = end is not None and now > end
    return before, after


def price_resource(
    state: HiEventsState, product: Product, price: Price, now: datetime, *, public: bool
) -> dict[str, Any]:
    remaining = state.remaining(price, now)
    before, after = _on_sale(price.sale_start_date, price.sale_end_date, now)
    sold_out = remaining == 0
    body: dict[str, Any] = {
        "id": price.id,
        "label": price.label,
        "price": money(price.price),
        "sale_start_date": raw_utc(price.sale_start_date),
        "sale_end_date": raw_utc(price.sale_end_date),
        "price_including_taxes_and_fees": money(price.price),
        "price_before_discount": money(price.price),
        "is_discounted": False,
        "tax_total": 0.0,
        "fee_total": 0.0,
        "is_before_sale_start_date": before,
        "is_after_sale_end_date": after,
        "is_available": not sold_out and not before and not after,
        "is_sold_out": sold_out,
    }
    if not public or product.show_quantity_remaining:
        body["quantity_remaining"] = remaining
    if not public:
        body["initial_quantity_available"] = price.initial_quantity_available
        body["quantity_sold"] = price.quantity_sold
        body["is_hidden"] = price.is_hidden
        body["off_sale_reason"] = None
    return body


def product_resource(
    state: HiEventsState, product: Product, now: datetime, *, public: bool
) -> dict[str, Any]:
    """``ProductResourcePublic`` / ``ProductResource``."""
    prices = [price_resource(state, product, p, now, public=public) for p in product.prices]
    remaining = state.product_remaining(product, now)
    before, after = _on_sale(product.sale_start_date, product.sale_end_date, now)
    sold_out = remaining == 0
    body: dict[str, Any] = {
        "id": product.id,
        "title": product.title,
        "type": product.type,
        "product_type": product.product_type,
        "description": product.description,
        "max_per_order": product.max_per_order,
        "min_per_order": product.min_per_order,
        "sale_start_date": raw_utc(product.sale_start_date),
        "sale_end_date": raw_utc(product.sale_end_date),
        "event_id": product.event_id,
        "is_before_sale_start_date": before,
        "is_after_sale_end_date": after,
        "prices": prices,
        "taxes": [],
        "is_available": not sold_out and not before and not after,
        "is_sold_out": sold_out,
        "product_category_id": product.product_category_id,
        "is_highlighted": product.is_highlighted,
        "highlight_message": product.highlight_message,
        "waitlist_enabled": False,
    }
    if product.type != "TIERED":
        body["price"] = money(product.prices[0].price)
    if public:
        if product.show_quantity_remaining:
            body["quantity_available"] = remaining
    else:
        initial = [p.initial_quantity_available for p in product.prices]
        body.update(
            {
                "order": product.order,
                "status": product.status,
                "quantity_sold": sum(p.quantity_sold for p in product.prices),
                "initial_quantity_available": (
                    None if any(q is None for q in initial) else sum(q or 0 for q in initial)
                ),
                "quantity_available": remaining,
                "hide_before_sale_start_date": False,
                "hide_after_sale_end_date": False,
                "hide_when_sold_out": False,
                "is_hidden": product.is_hidden,
                "is_hidden_without_promo_code": False,
                "show_quantity_remaining": product.show_quantity_remaining,
                "taxes_and_fees": [],
            }
        )
    return body


def order_item_resource(item: OrderItem) -> dict[str, Any]:
    total = money(item.total)
    return {
        "id": item.id,
        "order_id": item.order_id,
        "product_id": item.product_id,
        "product_price_id": item.product_price_id,
        "item_name": item.item_name,
        "quantity": item.quantity,
        "price": money(item.price),
        "price_before_discount": money(item.price),
        "total_before_additions": total,
        "total_before_discount": total,
        "total_service_fee": 0.0,
        "total_tax": 0.0,
        "total_gross": total,
        "taxes_and_fees_rollup": dict(_ROLLUP),
    }


def _totals(order: Order) -> dict[str, float]:
    total = money(order.total)
    return {
        "total_before_additions": total,
        "total_tax": 0.0,
        "total_fee": 0.0,
        "total_gross": total,
    }


def attendee_public_resource(attendee: Attendee) -> dict[str, Any]:
    """``AttendeeResourcePublic`` (inside a public order, public ticket look-up)."""
    return {
        "id": attendee.id,
        "email": attendee.email,
        "status": attendee.status,
        "first_name": attendee.first_name,
        "last_name": attendee.last_name,
        "public_id": attendee.public_id,
        "short_id": attendee.short_id,
        "product_id": attendee.product_id,
        "product_price_id": attendee.product_price_id,
        "locale": attendee.locale,
    }


def order_public_resource(state: HiEventsState, order: Order, now: datetime) -> dict[str, Any]:
    """``OrderResourcePublic``: no numeric ``id`` (contract §5)."""
    return {
        "short_id": order.short_id,
        "public_id": order.public_id,
        "status": order.status,
        "payment_status": order.payment_status,
        "refund_status": order.refund_status,
        "payment_provider": order.payment_provider,
        "currency": order.currency,
        **_totals(order),
        "reserved_until": raw_utc(order.reserved_until),
        "is_expired": order.is_expired(now),
        "first_name": order.first_name,
        "last_name": order.last_name,
        "email": order.email,
        "is_payment_required": order.total > Decimal("0"),
        "promo_code": None,
        "taxes_and_fees_rollup": dict(_ROLLUP),
        "address": None,
        "order_items": [order_item_resource(item) for item in order.items],
        "attendees": [attendee_public_resource(a) for a in state.order_attendees(order)],
    }


def check_in_resource(
    state: HiEventsState, check_in: CheckIn, *, with_attendee: bool
) -> dict[str, Any]:
    """``AttendeeCheckInResource`` (JWT side, webhooks)."""
    body: dict[str, Any] = {
        "id": check_in.id,
        "short_id": check_in.short_id,
        "attendee_id": check_in.attendee_id,
        "check_in_list_id": check_in.check_in_list_id,
        "product_id": check_in.product_id,
        "event_id": check_in.event_id,
        "order_id": check_in.order_id,
        "created_at": iso_z(check_in.created_at),
    }
    attendee = state.attendees.get(check_in.attendee_id)
    if with_attendee and attendee is not None:
        body["attendee"] = attendee_resource(state, attendee, with_check_ins=False)
    return body


def check_in_public_resource(check_in: CheckIn) -> dict[str, Any]:
    """``AttendeeCheckInPublicResource`` (+ ``order_id`` as the contract lists)."""
    return {
        "id": check_in.id,
        "short_id": check_in.short_id,
        "check_in_list_id": check_in.check_in_list_id,
        "attendee_id": check_in.attendee_id,
        "checked_in_at": iso_z(check_in.created_at),
        "order_id": check_in.order_id,
    }


def attendee_resource(
    state: HiEventsState, attendee: Attendee, *, with_check_ins: bool = True
) -> dict[str, Any]:
    """``AttendeeResource``."""
    body: dict[str, Any] = {
        "id": attendee.id,
        "order_id": attendee.order_id,
        "product_id": attendee.product_id,
        "product_price_id": attendee.product_price_id,
        "event_id": attendee.event_id,
        "email": attendee.email,
        "status": attendee.status,
        "first_name": attendee.first_name,
        "last_name": attendee.last_name,
        "public_id": attendee.public_id,
        "short_id": attendee.short_id,
        "locale": attendee.locale,
        "notes": attendee.notes,
        "question_answers": [],
        "created_at": iso_z(attendee.created_at),
        "updated_at": iso_z(attendee.updated_at),
    }
    product = state.product(attendee.product_id)
    if product is not None:
        body["product"] = {"id": product.id, "title": product.title, "type": product.type}
    if with_check_ins:
        body["check_ins"] = [
            check_in_resource(state, c, with_attendee=False)
            for c in state.check_ins.values()
            if c.attendee_id == attendee.id
        ]
    return body


def order_resource(state: HiEventsState, order: Order) -> dict[str, Any]:
    """``OrderResource`` (JWT routes and order.* webhook payloads)."""
    totals = _totals(order)
    return {
        "id": order.id,
        "short_id": order.short_id,
        "public_id": order.public_id,
        "status": order.status,
        "payment_status": order.payment_status,
        "refund_status": order.refund_status,
        "currency": order.currency,
        "total_before_additions": totals["total_before_additions"],
        "total_gross": totals["total_gross"],
        "total_tax": 0.0,
        "total_fee": 0.0,
        "total_refunded": 0.0,
        "first_name": order.first_name,
        "last_name": order.last_name,
        "email": order.email,
        "created_at": iso_z(order.created_at),
        "updated_at": iso_z(order.updated_at),
        "is_partially_refunded": False,
        "is_fully_refunded": False,
        "is_free_order": order.total == Decimal("0"),
        "is_manually_created": order.is_manually_created,
        "taxes_and_fees_rollup": dict(_ROLLUP),
        "address": None,
        "notes": order.notes,
        "payment_provider": order.payment_provider,
        "promo_code": None,
        "event_id": order.event_id,
        "order_items": [order_item_resource(item) for item in order.items],
        "attendees": [
            attendee_resource(state, a, with_check_ins=False) for a in state.order_attendees(order)
        ],
        "question_answers": [],
    }


def _list_counts(state: HiEventsState, check_in_list: CheckInList) -> tuple[int, int]:
    attendees = [
        a
        for a in state.attendees.values()
        if a.event_id == check_in_list.event_id
        and a.product_id in check_in_list.product_ids
        and a.status != "CANCELLED"
    ]
    checked = sum(1 for a in attendees if state.check_in_of(a.id, check_in_list.id))
    return len(attendees), checked


def check_in_list_resource(
    state: HiEventsState, check_in_list: CheckInList, now: datetime, *, public: bool
) -> dict[str, Any]:
    total, checked = _list_counts(state, check_in_list)
    expired = check_in_list.expires_at is not None and check_in_list.expires_at <= now
    active = not expired and (
        check_in_list.activates_at is None or check_in_list.activates_at <= now
    )
    products = [state.product(pid) for pid in check_in_list.product_ids]
    body: dict[str, Any] = {
        "id": check_in_list.id,
        "short_id": check_in_list.short_id,
        "name": check_in_list.name,
        "description": check_in_list.description,
        "activates_at": raw_utc(check_in_list.activates_at),
        "expires_at": raw_utc(check_in_list.expires_at),
        "total_attendees": total,
        "checked_in_attendees": checked,
        "is_expired": expired,
        "is_active": active,
        "event_id": check_in_list.event_id,
        "products": [{"id": p.id, "title": p.title} for p in products if p is not None],
    }
    event = state.events.get(check_in_list.event_id)
    if public and event is not None:
        body["event"] = {
            "id": event.id,
            "title": event.title,
            "start_date": iso_z(event.start_date),
            "end_date": iso_z(event.end_date),
            "timezone": event.timezone,
            "currency": event.currency,
            "settings": {
                "allow_orders_awaiting_offline_payment_to_check_in": event.settings.get(
                    "allow_orders_awaiting_offline_payment_to_check_in", False
                )
            },
        }
    return body


def attendee_with_check_in_public(
    state: HiEventsState, attendee: Attendee, check_in_list: CheckInList
) -> dict[str, Any]:
    """``AttendeeWithCheckInPublicResource``: ``check_in`` only when there is one."""
    body = {
        "id": attendee.id,
        "email": attendee.email,
        "first_name": attendee.first_name,
        "last_name": attendee.last_name,
        "public_id": attendee.public_id,
        "product_id": attendee.product_id,
        "product_price_id": attendee.product_price_id,
        "status": attendee.status,
        "locale": attendee.locale,
        "order_id": attendee.order_id,
    }
    check_in = state.check_in_of(attendee.id, check_in_list.id)
    if check_in is not None:
        body["check_in"] = check_in_public_resource(check_in)
    return body


def webhook_resource(webhook: Webhook, *, with_secret: bool) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": webhook.id,
        "url": webhook.url,
        "event_types": list(webhook.event_types),
        "status": webhook.status,
        "organizer_id": webhook.organizer_id,
        "event_id": webhook.event_id,
        "last_triggered_at": raw_utc(webhook.last_triggered_at),
        "last_response_body": webhook.last_response_body,
        "last_response_code": webhook.last_response_code,
    }
    if with_secret:
        body["secret"] = webhook.secret
    return body


def webhook_log_resource(log: WebhookLog) -> dict[str, Any]:
    return {
        "id": log.id,
        "webhook_id": log.webhook_id,
        "event_type": log.event_type,
        "payload": log.payload,
        "response_code": log.response_code,
        "response_body": log.response_body,
        "created_at": iso_z(log.created_at),
    }
