"""In-memory store of the emulator, with the queries several operations share.

Availability is computed the way Hi.Events does it
(``AvailableProductQuantitiesFetchService``): a price's remaining quantity is its
initial quantity minus what was sold (committed at the offline-payment transition or
a free completion) minus what live reservations hold (RESERVED orders whose
``reserved_until`` is still ahead). An expired reservation frees its seats by itself.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from bot.sandbox.hi_events.model import (
    Attendee,
    CheckIn,
    CheckInList,
    Event,
    Order,
    Organizer,
    Price,
    Product,
    Webhook,
    WebhookLog,
)


@dataclass
class HiEventsState:
    organizer: Organizer
    events: dict[int, Event]
    check_in_lists: dict[int, CheckInList]
    orders: dict[int, Order] = field(default_factory=dict)
    attendees: dict[int, Attendee] = field(default_factory=dict)
    check_ins: dict[int, CheckIn] = field(default_factory=dict)
    webhooks: dict[int, Webhook] = field(default_factory=dict)
    webhook_logs: list[WebhookLog] = field(default_factory=list)
    #: Ticket e-mails "sent" (resend-ticket, offline instructions): kept for tests.
    emails: list[dict[str, str]] = field(default_factory=list)
    order_ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    item_ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    attendee_ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    check_in_ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    webhook_ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    webhook_log_ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    # --- look-ups -------------------------------------------------------------------------
    def product(self, product_id: int) -> Product | None:
        for event in self.events.values():
            for product in event.products:
                if product.id == product_id:
                    return product
        return None

    def price(self, price_id: int) -> tuple[Product, Price] | None:
        for event in self.events.values():
            for product in event.products:
                for price in product.prices:
                    if price.id == price_id:
                        return product, price
        return None

    def order_by_short_id(self, short_id: str) -> Order | None:
        return next((o for o in self.orders.values() if o.short_id == short_id), None)

    def attendee_by_public_id(self, public_id: str) -> Attendee | None:
        return next((a for a in self.attendees.values() if a.public_id == public_id), None)

    def check_in_list_by_short_id(self, short_id: str) -> CheckInList | None:
        return next((c for c in self.check_in_lists.values() if c.short_id == short_id), None)

    def order_attendees(self, order: Order) -> list[Attendee]:
        return [self.attendees[i] for i in order.attendee_ids if i in self.attendees]

    def check_in_of(self, attendee_id: int, list_id: int | None = None) -> CheckIn | None:
        """The first (and only live) check-in of an attendee, on one list or any."""
        for check_in in self.check_ins.values():
            if check_in.attendee_id == attendee_id and list_id in (None, check_in.check_in_list_id):
                return check_in
        return None

    # --- availability -------------------------------------------------------------------
    def reserved_quantity(self, price_id: int, now: datetime) -> int:
        return sum(
            item.quantity
            for order in self.orders.values()
            if order.status == "RESERVED" and order.reserved_until > now
            for item in order.items
            if item.product_price_id == price_id
        )

    def remaining(self, price: Price, now: datetime) -> int | None:
        """Seats still for sale at this price; None = unlimited."""
        if price.initial_quantity_available is None:
            return None
        left = price.initial_quantity_available - price.quantity_sold
        return max(0, left - self.reserved_quantity(price.id, now))

    def product_remaining(self, product: Product, now: datetime) -> int | None:
        values = [self.remaining(price, now) for price in product.prices]
        if any(v is None for v in values):
            return None
        return sum(v for v in values if v is not None)
