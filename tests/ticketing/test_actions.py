"""The ticket actions against the emulators (Hi.Events, Wompi, Wappbíz) over real HTTP.

The actions run on the servers' event loop (where the action server's clients live),
with trackers built by hand; every answer is checked against WhatsApp's limits.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import yaml
from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.events import (
    ActionAskDirections,
    ActionAskDressCode,
    ActionAskPrice,
    ActionCheckInHelp,
    ActionCheckSchedule,
    ActionEventInfo,
    ActionListEvents,
    ActionPaymentMethods,
)
from actions.orders import ActionPaymentStatus, ActionRequestRefund, ActionResendTicket
from actions.purchase import (
    ActionAskEvent,
    ActionAskTicketType,
    ActionBuyTicket,
    ValidateBuyTicketForm,
)
from bot import services
from tests.conversation.test_actions import assert_whatsapp_limits
from tests.support.ticketing import TicketingHarness, images, running_ticketing

ROOT_DOMAIN = yaml.safe_load(open("domain.yml", encoding="utf-8"))
INTENTS = {i if isinstance(i, str) else next(iter(i)) for i in ROOT_DOMAIN["intents"]}
_numbers = iter(range(573_170_000_001, 573_179_999_999))


@pytest.fixture(scope="module")
def h(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TicketingHarness]:
    with running_ticketing(tmp_path_factory.mktemp("actions")) as harness:
        services.set_ticketing(harness.ticketing)
        yield harness
        services.set_ticketing(None)


def tracker(
    intent: str,
    text: str = "",
    *,
    lang: str = "es",
    entities: list[dict[str, Any]] | None = None,
    slots: dict[str, Any] | None = None,
    sender: str | None = None,
) -> Tracker:
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.99},
        "entities": entities or [],
        "metadata": {"language": lang},
    }
    return Tracker(
        sender_id=sender or str(next(_numbers)),
        slots={"language": lang, **(slots or {})},
        latest_message=latest,
        events=[{"event": "user", "text": text, "parse_data": latest}],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


def run(h: TicketingHarness, action: Action, t: Tracker) -> tuple[list[dict], list[dict]]:
    dispatcher = CollectingDispatcher()
    events = h.run(action.run(dispatcher, t, ROOT_DOMAIN))
    for message in dispatcher.messages:
        assert_whatsapp_limits(message, INTENTS)
    return dispatcher.messages, events


def test_list_events_and_a_period(h: TicketingHarness) -> None:
    messages, _ = run(h, ActionListEvents(), tracker("list_events", "qué eventos hay"))
    rows = [r for s in messages[0]["custom"]["sections"] for r in s["rows"]]
    assert len(rows) == 4
    assert rows[0]["id"] == '/event_info{"event":"Medellín Fashion Night"}'
    december = {"entity": "date", "value": {"from": "2026-12-01", "to": "2026-12-31"}}
    messages, _ = run(h, ActionListEvents(), tracker("list_events", entities=[december]))
    rows = [r for s in messages[0]["custom"]["sections"] for r in s["rows"]]
    assert [r["title"] for r in rows] == ["Medellín Fashion Night"]
    assert "$85.000" in rows[0]["description"]


@pytest.mark.parametrize("lang", ["es", "en"])
def test_event_info_names_place_time_and_prices(h: TicketingHarness, lang: str) -> None:
    event = {"entity": "event", "value": "medellin fashion night"}
    messages, events = run(h, ActionEventInfo(), tracker("event_info", lang=lang, entities=[event]))
    text = messages[0]["text"]
    assert "Casa Provenza" in text and "$150.000" in text and "VIP" in text
    assert ("diciembre" in text) if lang == "es" else ("December" in text)
    assert SlotSet("event", "Medellín Fashion Night") in events
    payloads = [b["payload"] for b in messages[0]["buttons"]]
    assert '/buy_ticket{"event":"Medellín Fashion Night"}' in payloads


def test_event_info_without_an_event_asks_which(h: TicketingHarness) -> None:
    messages, _ = run(h, ActionEventInfo(), tracker("event_info", "detalles del evento"))
    assert messages[0]["custom"]["type"] == "list"


def test_directions_send_a_location(h: TicketingHarness) -> None:
    t = tracker("ask_directions", slots={"event": "Medellín Fashion Night"})
    messages, _ = run(h, ActionAskDirections(), t)
    location = messages[0]["custom"]
    assert location["type"] == "location" and round(location["latitude"], 3) == 6.209
    assert "Carrera 35" in messages[1]["text"] and "maps" in messages[1]["text"]


@pytest.mark.parametrize(
    ("action", "needle_es", "needle_en"),
    [
        (ActionAskDressCode(), "metálicos", "metallics"),
        (ActionCheckSchedule(), "20:00 Pasarela", "20:00 Runway"),
    ],
)
def test_dress_code_and_programme_in_both_languages(
    h: TicketingHarness, action: Action, needle_es: str, needle_en: str
) -> None:
    for lang, needle in (("es", needle_es), ("en", needle_en)):
        t = tracker("x", lang=lang, slots={"event": "Medellín Fashion Night"})
        messages, _ = run(h, action, t)
        assert needle in messages[0]["text"]


def test_prices_of_all_events_and_of_one(h: TicketingHarness) -> None:
    messages, _ = run(h, ActionAskPrice(), tracker("ask_price", "cuánto valen"))
    assert messages[0]["text"].count("VIP") >= 3
    one = {"entity": "event", "value": "Medellín Fashion Night"}
    messages, _ = run(h, ActionAskPrice(), tracker("ask_price", entities=[one], lang="en"))
    assert "• VIP: $150.000" in messages[0]["text"] and "COP" in messages[0]["text"]


def test_payment_methods_and_check_in_help(h: TicketingHarness) -> None:
    messages, _ = run(h, ActionPaymentMethods(), tracker("payment_methods"))
    assert "Nequi" in messages[0]["text"] and "PSE" in messages[0]["text"]
    messages, _ = run(h, ActionCheckInHelp(), tracker("check_in_help", lang="en"))
    assert "QR" in messages[0]["text"]


def test_form_validation(h: TicketingHarness) -> None:
    form = ValidateBuyTicketForm()
    t = tracker("buy_ticket", slots={"event": "Medellín Fashion Night"})

    def check(method: Any, value: Any) -> tuple[dict, list[dict]]:
        dispatcher = CollectingDispatcher()
        result = method(value, dispatcher, t, ROOT_DOMAIN)
        if hasattr(result, "__await__"):
            result = h.run(result)
        return result, dispatcher.messages

    assert check(form.validate_event, "medellin fashion night")[0] == {
        "event": "Medellín Fashion Night"
    }
    slots, said = check(form.validate_event, "la fiesta de mi prima")
    assert slots == {"event": None} and said
    assert check(form.validate_ticket_type, "vip")[0] == {"ticket_type": "VIP"}
    assert check(form.validate_ticket_type, "platea")[0] == {"ticket_type": None}
    assert check(form.validate_quantity, "dos")[0] == {"quantity": 2}
    assert check(form.validate_quantity, 2.0)[0] == {"quantity": 2}
    slots, said = check(form.validate_quantity, "11")
    assert slots == {"quantity": None} and "10" in said[0]["text"]
    assert check(form.validate_buyer_name, "ana")[0] == {"buyer_name": None}
    assert check(form.validate_buyer_name, "ana maría gómez")[0] == {
        "buyer_name": "Ana María Gómez"
    }
    assert check(form.validate_buyer_email, "ana@example")[0] == {"buyer_email": None}
    assert check(form.validate_buyer_email, "Ana@Example.com")[0]["buyer_email"]


def test_ask_event_and_ticket_type(h: TicketingHarness) -> None:
    messages, _ = run(h, ActionAskEvent(), tracker("buy_ticket"))
    rows = [r for s in messages[0]["custom"]["sections"] for r in s["rows"]]
    assert rows[0]["id"].startswith("/buy_ticket{")
    t = tracker("buy_ticket", slots={"event": "Medellín Fashion Night"})
    messages, _ = run(h, ActionAskTicketType(), t)
    assert [b["payload"] for b in messages[0]["buttons"]] == [
        '/buy_ticket{"ticket_type":"General"}',
        '/buy_ticket{"ticket_type":"VIP"}',
        '/buy_ticket{"ticket_type":"Palco"}',
    ]


def test_buy_pay_status_resend_refund(h: TicketingHarness) -> None:
    sender = str(next(_numbers))
    h.open_window(sender)
    status, _ = run(h, ActionPaymentStatus(), tracker("payment_status", sender=sender))
    assert "No encuentro" in status[0]["text"]
    slots = {
        "event": "Medellín Fashion Night",
        "ticket_type": "VIP",
        "quantity": 2,
        "buyer_name": "Ana Gómez",
        "buyer_email": "ana@example.com",
    }
    messages, events = run(h, ActionBuyTicket(), tracker("buy_ticket", sender=sender, slots=slots))
    link = messages[0]["custom"]
    assert link["type"] == "cta_url" and "$300.000" in link["text"]
    assert SlotSet("quantity", None) in events
    status, _ = run(h, ActionPaymentStatus(), tracker("payment_status", sender=sender))
    assert "pendiente" in status[0]["custom"]["text"]
    link_id = link["url"].rsplit("/", 1)[-1]
    httpx.post(
        f"{h.sandbox_url}/wompi/_sandbox/links/{link_id}/pay",
        json={"method": "PSE", "bank": "1", "user_type": 0, "legal_id": "1020304050"},
        timeout=10,
    ).raise_for_status()
    h.wait_for(sender, lambda ms: len(images(ms)) == 2)
    h.wait_for(sender, lambda ms: "Pago recibido" in json.dumps(ms, ensure_ascii=False))
    # the summary goes out just before the purchase is marked fulfilled
    deadline = time.monotonic() + 10
    while h.run(h.ticketing.store.purchases_for(sender))[0].state != "fulfilled":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    status, _ = run(h, ActionPaymentStatus(), tracker("payment_status", sender=sender))
    assert "pagado" in status[0]["text"]
    messages, _ = run(h, ActionResendTicket(), tracker("resend_ticket", sender=sender))
    assert "2" in messages[0]["text"]
    h.wait_for(sender, lambda ms: len(images(ms)) == 4)
    messages, _ = run(h, ActionRequestRefund(), tracker("request_refund", sender=sender))
    # the show (11 Dec) starts within the 5 business days counted from today's payment
    # only when paid after 4 Dec; before that the retracto applies
    assert "RF-" in messages[0]["text"]
    refunds = h.run(h.ticketing.store.refunds_for(sender))
    assert len(refunds) == 1 and refunds[0].status == "pending"
    again, _ = run(h, ActionRequestRefund(), tracker("request_refund", sender=sender))
    assert refunds[0].id == h.run(h.ticketing.store.refunds_for(sender))[0].id
    assert "Ya tenemos" in again[0]["text"]


def test_organizer_reports_come_from_hi_events(h: TicketingHarness) -> None:
    from actions.organizer import ActionAttendanceReport, ActionSalesReport

    organizer = str(next(_numbers))
    h.run(h.ticketing.store.set_role(organizer, "organizer"))
    ctx = h.ticketing
    orders = h.run(ctx.hi_events.orders(1))
    paid = [o for o in orders if o["status"] == "COMPLETED"]
    assert paid, "an earlier test paid an order for Medellín Fashion Night"
    messages, _ = run(h, ActionSalesReport(), tracker("sales_report", sender=organizer))
    text = messages[0]["text"]
    line = next(part for part in text.split("\n\n") if "Medellín Fashion Night" in part)
    tickets = sum(i["quantity"] for o in paid for i in o["order_items"])
    assert f"{tickets} boletas en {len(paid)} pedidos" in line
    attendee = tracker("sales_report", sender=str(next(_numbers)))
    refused, _ = run(h, ActionSalesReport(), attendee)
    assert "$" not in refused[0]["text"]
    messages, _ = run(
        h, ActionAttendanceReport(), tracker("attendance_report", sender=organizer, lang="en")
    )
    assert "Medellín Fashion Night" in messages[0]["text"] and " of " in messages[0]["text"]
