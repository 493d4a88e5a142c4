"""The conversation's view of the events: parsing, look-ups and the short cache."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import httpx

from bot.clients.hi_events import HiEventsClient
from bot.sandbox.hi_events.seed import check_in_list_short_id
from bot.ticketing.catalog import (
    BOGOTA,
    Event,
    event_from_resource,
    find_event,
    find_ticket_type,
    upcoming_events,
)
from tests.hi_events.conftest import Hi, buy, sandbox


async def test_upcoming_events_are_parsed_and_sorted(client: HiEventsClient) -> None:
    events = await upcoming_events(client, 1)
    assert [e.id for e in events] == [1, 2, 3, 4]
    night = events[0]
    assert night.title == "Medellín Fashion Night"
    assert night.starts_at == datetime(2026, 12, 11, 20, 0, tzinfo=BOGOTA)
    assert night.starts_at.utcoffset() == BOGOTA.utcoffset(night.starts_at)
    assert (night.ends_at - night.starts_at).total_seconds() == 4 * 3600
    assert night.venue == "Casa Provenza · Salón Principal"
    assert night.city == "Medellín"
    assert "El Poblado" in (night.address or "")
    assert night.maps_url and night.maps_url.startswith("https://www.google.com/maps/")
    assert (night.latitude, night.longitude) == (6.2087, -75.5669)
    assert night.doors_open == "19:00"
    assert set(night.dress_code) == {"es", "en"}
    assert night.programme["es"].startswith("19:00 Puertas")
    assert "<" not in night.description_text and "40 looks" in night.description_text
    assert [(t.name, t.price_cop, t.price_id) for t in night.ticket_types] == [
        ("General", 85000, 101),
        ("VIP", 150000, 102),
        ("Palco", 450000, 103),
    ]
    assert night.ticket_types[2].remaining == 10
    assert night.check_in_list_short_id == check_in_list_short_id(1)
    assert "Wompi" in (night.offline_payment_instructions or "")


async def test_cache_then_refetch(hi: Hi, client: HiEventsClient, api: httpx.Client) -> None:
    first = await upcoming_events(client, 1)
    before = sandbox(hi, "GET", "/state").json()["requests"]
    assert await upcoming_events(client, 1) is first
    assert sandbox(hi, "GET", "/state").json()["requests"] == before
    token = api.post(
        "/auth/login", json={"email": hi.config.email, "password": hi.config.password}
    ).json()["token"]
    buy(api, {"Authorization": f"Bearer {token}"}, product_id=3, price_id=103, quantity=4)
    fresh = await upcoming_events(client, 1, max_age_s=0)
    assert fresh[0].ticket_types[2].remaining == 6


def test_sold_out_and_availability_from_a_resource() -> None:
    resource = {
        "id": 9,
        "title": "Prueba",
        "start_date": "2027-01-01 01:00:00",
        "timezone": "America/Bogota",
        "product_categories": [
            {
                "products": [
                    {
                        "id": 1,
                        "title": "General",
                        "product_type": "TICKET",
                        "prices": [{"id": 5, "price": 1000.0, "is_sold_out": True}],
                    },
                    {"id": 2, "title": "Parqueadero", "product_type": "GENERAL", "prices": []},
                ]
            }
        ],
    }
    event = event_from_resource(resource)
    assert event.starts_at.hour == 20 and event.starts_at.day == 31
    assert event.sold_out
    assert [t.name for t in event.ticket_types] == ["General"]
    assert event.dress_code == {} and event.check_in_list_short_id is None


async def test_find_event_and_ticket_type(client: HiEventsClient) -> None:
    events = await upcoming_events(client, 1)
    night, laureles, designers, fest = events
    assert find_event(events, 2) is laureles
    assert find_event(events, "3") is designers
    assert find_event(events, "MEDELLÍN FASHION NIGHT") is night
    assert find_event(events, "medellin fashion night") is night
    assert find_event(events, "quiero ir a la pasarela laureles") is laureles
    assert find_event(events, "laureles") is laureles
    assert find_event(events, "diseñadores antioqueños") is designers
    assert find_event(events, "disenadores") is designers
    assert find_event(events, "sostenible") is fest
    assert find_event(events, "rock al parque") is None
    assert find_event(events, "") is None
    twin = dataclasses.replace(laureles, id=5, title="Pasarela Envigado")
    assert find_event([*events, twin], "pasarela") is None  # ambiguous: ask

    assert find_ticket_type(night, "vip") == night.ticket_types[1]
    assert find_ticket_type(night, "VIP") == night.ticket_types[1]
    assert find_ticket_type(night, "General") == night.ticket_types[0]
    assert find_ticket_type(night, "palco") == night.ticket_types[2]
    assert find_ticket_type(night, "Box") == night.ticket_types[2]
    assert find_ticket_type(night, "dos vip por favor") == night.ticket_types[1]
    assert find_ticket_type(night, "a box for four") == night.ticket_types[2]
    assert find_ticket_type(night, "standard") == night.ticket_types[0]
    assert find_ticket_type(laureles, "box") is None  # Pasarela Laureles has no Palco
    assert find_ticket_type(night, "platea") is None
    assert isinstance(night, Event)
