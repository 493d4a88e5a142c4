"""Sales and attendance for organizers, read from Hi.Events (the system of record).

Hi.Events knows every order, also those sold outside WhatsApp, so the reports come
from its API and never from our own purchases table alone. Revenue counts COMPLETED
orders only; orders awaiting payment are reported apart, as what they are.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from bot.ticketing.catalog import Event, upcoming_events
from bot.ticketing.context import Ticketing
from bot.ticketing.money import to_pesos

__all__ = ["Attendance", "Sales", "attendance", "sales"]


@dataclass(frozen=True)
class Sales:
    event: Event
    orders: int
    tickets: int
    revenue_cop: int
    awaiting_orders: int
    by_type: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Attendance:
    event: Event
    checked_in: int
    expected: int


async def sales(ctx: Ticketing) -> list[Sales]:
    """Per upcoming event: paid orders, tickets, revenue (COP) and tickets per type."""
    hi = ctx.hi_events
    report = []
    for event in await upcoming_events(hi, ctx.settings.hi_events_organizer_id):
        orders = await hi.orders(event.id)
        paid = [o for o in orders if o.get("status") == "COMPLETED"]
        awaiting = [o for o in orders if o.get("status") == "AWAITING_OFFLINE_PAYMENT"]
        by_type: Counter[str] = Counter()
        for order in paid:
            for item in order.get("order_items") or []:
                by_type[str(item.get("item_name") or "?")] += int(item.get("quantity") or 0)
        report.append(
            Sales(
                event=event,
                orders=len(paid),
                tickets=sum(by_type.values()),
                revenue_cop=sum(to_pesos(o.get("total_gross") or 0) for o in paid),
                awaiting_orders=len(awaiting),
                by_type=dict(by_type),
            )
        )
    return report


async def attendance(ctx: Ticketing) -> list[Attendance]:
    """Per upcoming event: checked in against active tickets, from its check-in lists."""
    hi = ctx.hi_events
    report = []
    for event in await upcoming_events(hi, ctx.settings.hi_events_organizer_id):
        lists = await hi.check_in_lists(event.id)
        report.append(
            Attendance(
                event=event,
                checked_in=sum(int(c.get("checked_in_attendees") or 0) for c in lists),
                expected=sum(int(c.get("total_attendees") or 0) for c in lists),
            )
        )
    return report
