"""Reminders and the feedback request planned when tickets are issued."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone

import pytest

from bot.calendar import BOGOTA
from bot.storage.purchases import PurchaseRecord
from bot.ticketing.lifecycle import planned_messages

SHOW = datetime(2026, 12, 11, 20, 0, tzinfo=BOGOTA).astimezone(timezone.utc)


def purchase(lang: str = "es") -> PurchaseRecord:
    blank = {f.name: None for f in dataclasses.fields(PurchaseRecord)}
    return PurchaseRecord(
        **{
            **blank,
            "id": 1,
            "reference": "FN-TEST00001",
            "wa_id": "573001112233",
            "language": lang,
            "event_id": 1,
            "event_title": "Medellín Fashion Night",
            "event_starts_at": SHOW,
            "ticket_type": "VIP",
            "quantity": 2,
            "buyer_name": "Ana Gómez",
            "total_cop": 300000,
            "currency": "COP",
            "state": "paid",
        }
    )


def test_bought_a_month_before_gets_three_reminders_and_the_feedback_request() -> None:
    rows = planned_messages(purchase(), None, "A-XY98ZT1", SHOW - timedelta(days=30))
    keys = [r["idempotency_key"] for r in rows]
    assert keys == [
        "reminder:7d:FN-TEST00001",
        "reminder:1d:FN-TEST00001",
        "reminder:3h:FN-TEST00001",
        "feedback:FN-TEST00001",
    ]
    assert [r["not_before"] for r in rows[:3]] == [
        SHOW - timedelta(days=7),
        SHOW - timedelta(days=1),
        SHOW - timedelta(hours=3),
    ]
    # the morning after the show (it ends at midnight Bogotá): 12 Dec 10:00 Bogotá
    assert rows[3]["not_before"] == datetime(2026, 12, 12, 10, 0, tzinfo=BOGOTA)
    assert all(r["wa_id"] == "573001112233" and r["priority"] == 2 for r in rows)
    three_hours = rows[2]
    assert "8:00 p. m." in three_hours["payload"]["text"]["body"]
    fallback = three_hours["template_fallback"]
    assert fallback["name"] == "event_reminder_3h" and fallback["language"]["code"] == "es_CO"
    assert rows[3]["kind"] == "template" and rows[3]["payload"]["name"] == "feedback_request"


def test_bought_the_day_before_gets_only_what_is_still_ahead() -> None:
    rows = planned_messages(purchase("en"), None, "A-XY98ZT1", SHOW - timedelta(hours=20))
    assert [r["idempotency_key"].split(":")[1] for r in rows] == ["3h", "FN-TEST00001"]
    assert rows[0]["template_fallback"]["language"]["code"] == "en"
    assert "8:00 PM" in rows[0]["payload"]["text"]["body"]


@pytest.mark.parametrize("lang", ["es", "en"])
def test_every_reminder_text_names_the_event(lang: str) -> None:
    rows = planned_messages(purchase(lang), None, "A-1", SHOW - timedelta(days=10))
    for row in rows[:3]:
        assert "Medellín Fashion Night" in row["payload"]["text"]["body"]
        assert "Ana" in row["payload"]["text"]["body"]
