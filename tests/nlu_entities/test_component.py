"""bot.nlu_entities.EntityNormalizer on parsed messages, as the Rasa graph hands them over."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest
from rasa.shared.nlu.training_data.message import Message

import bot.nlu_entities
from bot.nlu_dates import BOGOTA
from bot.nlu_entities import EntityNormalizer

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=BOGOTA)  # Wednesday


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bot.nlu_entities, "clock", lambda: NOW)


def component(**config: Any) -> EntityNormalizer:
    return EntityNormalizer({**EntityNormalizer.get_default_config(), **config})


def entity(text: str, part: str, kind: str, value: Any = None) -> dict[str, Any]:
    start = text.index(part)
    return {
        "entity": kind,
        "start": start,
        "end": start + len(part),
        "value": part if value is None else value,
        "extractor": "DIETClassifier",
        "processors": ["EntitySynonymMapper"] if value is not None else [],
    }


def parsed(
    text: str,
    *entities: dict[str, Any],
    intent: str = "buy_ticket",
    metadata: dict[str, Any] | None = None,
) -> Message:
    data: dict[str, Any] = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.9},
        "entities": list(entities),
    }
    if metadata is not None:
        data["metadata"] = metadata
    return Message(data=data)


def run(message: Message, **config: Any) -> list[dict[str, Any]]:
    [out] = component(**config).process([message])
    return out.get("entities")


def test_a_whole_message_in_spanish() -> None:
    text = "parce me regala dos boletas VIP pa mañana a las 8, mi correo es Lau.Mejia@Yahoo.com"
    entities = run(
        parsed(
            text,
            entity(text, "dos", "quantity", "2"),
            entity(text, "VIP", "ticket_type"),
            entity(text, "mañana a las 8", "date"),
            entity(text, "Lau.Mejia@Yahoo.com", "email"),
        )
    )
    quantity, ticket_type, date, email = entities
    assert quantity["value"] == 2 and quantity["text"] == "dos"
    assert quantity["additional_info"] == {"resolved": True}
    assert quantity["processors"] == ["EntitySynonymMapper", "EntityNormalizer"]
    assert ticket_type == entity(text, "VIP", "ticket_type")  # untouched
    assert date["value"] == "2026-11-26T20:00:00-05:00"
    assert date["text"] == "mañana a las 8"
    assert date["additional_info"] == {"resolved": True, "grain": "hour", "meridiem": "assumed"}
    assert email["value"] == "lau.mejia@yahoo.com" and email["text"] == "Lau.Mejia@Yahoo.com"


def test_a_whole_message_in_english() -> None:
    text = "hi! a couple of tickets for this Friday please, in English"
    quantity, date, language = run(
        parsed(
            text,
            entity(text, "a couple", "quantity", "2"),
            entity(text, "this Friday", "date"),
            entity(text, "English", "language", "en"),
        )
    )
    assert quantity["value"] == 2
    assert date["value"] == "2026-11-27" and date["additional_info"]["grain"] == "day"
    assert language["value"] == "en" and language["text"] == "English"


def test_ranges_are_dicts() -> None:
    text = "que hay del 10 al 20 de diciembre y el finde"
    first, second = run(
        parsed(
            text,
            entity(text, "del 10 al 20 de diciembre", "date"),
            entity(text, "el finde", "date"),
            intent="list_events",
        )
    )
    assert first["value"] == {"from": "2026-12-10", "to": "2026-12-20", "grain": "day"}
    assert second["value"] == {"from": "2026-11-28", "to": "2026-11-29", "grain": "day"}


def test_unresolved_values_stay_and_are_marked() -> None:
    text = "quiero 99 boletas en klingon para vacaciones, correo laura@gmail"
    quantity, language, date, email = run(
        parsed(
            text,
            entity(text, "99", "quantity"),
            entity(text, "klingon", "language"),
            entity(text, "vacaciones", "date"),
            entity(text, "laura@gmail", "email"),
        )
    )
    assert quantity["value"] == "99"
    assert quantity["additional_info"] == {"resolved": False, "reason": "out_of_range"}
    assert language["value"] == "klingon"
    assert language["additional_info"] == {"resolved": False, "reason": "unknown"}
    assert date["value"] == "vacaciones" and date["additional_info"]["resolved"] is False
    assert email["value"] == "laura@gmail"
    assert email["additional_info"] == {"resolved": False, "reason": "invalid"}


def test_quantity_range_is_configurable() -> None:
    text = "necesito 80 entradas"
    [quantity] = run(parsed(text, entity(text, "80", "quantity")), quantity_max=100)
    assert quantity["value"] == 80


def test_the_hour_follows_the_intent() -> None:
    """Castings and fittings happen in the morning; shows in the evening."""
    text = "confirmo, ahi estoy mañana a las 8 en el casting"
    [casting] = run(parsed(text, entity(text, "mañana a las 8", "date"), intent="casting_confirm"))
    [show] = run(parsed(text, entity(text, "mañana a las 8", "date"), intent="buy_ticket"))
    assert casting["value"] == "2026-11-26T08:00:00-05:00"
    assert show["value"] == "2026-11-26T20:00:00-05:00"


def test_a_time_written_after_the_day_is_used() -> None:
    """DIET often tags only "el jueves" in "el jueves a las 3"."""
    text = "alla estare el jueves a las 3 para el fitting"
    [date] = run(parsed(text, entity(text, "el jueves", "date"), intent="casting_confirm"))
    assert date["value"] == "2026-11-26T15:00:00-05:00"
    assert date["text"] == "el jueves" and date["additional_info"]["context"] == "a las 3"


def test_a_time_tagged_apart_takes_the_day_before_it() -> None:
    text = "el sábado a las 9 pm"
    day, hour = run(
        parsed(text, entity(text, "el sábado", "date"), entity(text, "a las 9 pm", "date"))
    )
    assert day["value"] == hour["value"] == "2026-11-28T21:00:00-05:00"


def test_the_hour_of_a_date_is_not_a_quantity() -> None:
    """Seen with the trained model: DIET tags the 8 of "a las 8" as a quantity too."""
    text = "me regalas dos boletas VIP pa mañana a las 8"
    entities = run(
        parsed(
            text,
            entity(text, "dos", "quantity", "2"),
            entity(text, "mañana", "date"),
            entity(text, "8", "quantity"),
        )
    )
    assert [(e["entity"], e["value"]) for e in entities] == [
        ("quantity", 2),
        ("date", "2026-11-26T20:00:00-05:00"),
    ]


def test_the_day_of_a_month_is_read_with_it() -> None:
    """Seen with the trained model: "[12 de](quantity) [diciembre](date)"."""
    text = "boletas para el 12 de diciembre"
    entities = run(
        parsed(text, entity(text, "12 de", "quantity", "12 de"), entity(text, "diciembre", "date"))
    )
    assert entities == [
        {
            **entity(text, "diciembre", "date"),
            "value": "2026-12-12",
            "text": "diciembre",
            "additional_info": {"resolved": True, "grain": "day", "context": "12 de"},
            "processors": ["EntityNormalizer"],
        }
    ]
    text = "tickets for December 12 please"
    [date] = run(parsed(text, entity(text, "December", "date"), entity(text, "12", "quantity")))
    assert date["value"] == "2026-12-12"


def test_a_modifier_after_the_period_is_read_with_it() -> None:
    """Seen with the trained model: "[el año](date) pasado" came out as today."""
    text = "les cuento que el año pasado fui a la pasarela"
    [date] = run(parsed(text, entity(text, "el año", "date"), intent="give_feedback"))
    assert date["value"] == {"from": "2025-01-01", "to": "2025-12-31", "grain": "year"}
    text = "el año"
    [date] = run(parsed(text, entity(text, "el año", "date")))
    assert date["additional_info"] == {"resolved": False, "reason": "unknown"}


def test_a_number_written_as_an_hour_is_not_a_quantity() -> None:
    """Seen with the trained model: no date entity at all, and "8" tagged as a quantity."""
    for text, hour in [
        ("2 boletas para el sábado a las 8 de la noche", "8"),
        ("4 entradas, llego 7 pm", "7"),
        ("tickets at 9", "9"),
    ]:
        entities = run(
            parsed(text, entity(text, text[0], "quantity"), entity(text, hour, "quantity"))
        )
        assert [e["text"] for e in entities] == [text[0]], text


def test_a_date_split_in_two_is_read_whole() -> None:
    """Seen with the trained model: "[del 10](date) [al 20 de diciembre](date)"."""
    text = "hay algo del 10 al 20 de diciembre?"
    first, second = run(
        parsed(text, entity(text, "del 10", "date"), entity(text, "al 20 de diciembre", "date"))
    )
    expected = {"from": "2026-12-10", "to": "2026-12-20", "grain": "day"}
    assert first["value"] == second["value"] == expected
    text = "tres boletas para pasado mañana"
    quantity, date = run(
        parsed(
            text,
            entity(text, "tres", "quantity", "3"),
            entity(text, "pasado", "quantity"),
            entity(text, "mañana", "date"),
        )
    )
    assert quantity["value"] == 3 and date["value"] == "2026-11-27"
    text = "what's on this weekend?"
    junk, weekend = run(
        parsed(text, entity(text, "on", "date"), entity(text, "this weekend", "date"))
    )
    assert (
        junk["value"]
        == weekend["value"]
        == {"from": "2026-11-28", "to": "2026-11-29", "grain": "day"}
    )


def test_a_quantity_naming_a_month_is_a_date() -> None:
    """Seen with the trained model: "[del](date) [11 de diciembre](quantity)"."""
    text = "media docena para la Fashion Night del 11 de diciembre"
    quantity, junk, date = run(
        parsed(
            text,
            entity(text, "media docena", "quantity", "6"),
            entity(text, "del", "date"),
            entity(text, "11 de diciembre", "quantity"),
        )
    )
    assert quantity["value"] == 6
    assert date["entity"] == "date" and date["value"] == "2026-12-11"
    assert date["additional_info"]["retyped_from"] == "quantity"
    assert junk["value"] == "2026-12-11"


def test_now_is_the_message_timestamp() -> None:
    """A message written on 10 December and processed later: "mañana" is the 11th."""
    text = "boletas para mañana"
    stamps = [
        "2026-12-10T17:00:00+00:00",
        "2026-12-10T17:00:00Z",
        1796922000,  # the same instant in unix seconds
        "1796922000",
    ]
    for stamp in stamps:
        [date] = run(parsed(text, entity(text, "mañana", "date"), metadata={"timestamp": stamp}))
        assert date["value"] == "2026-12-11", stamp


def test_without_timestamp_the_config_then_the_clock() -> None:
    text = "boletas para mañana"
    fixed = "2027-01-31T23:30:00-05:00"
    [date] = run(parsed(text, entity(text, "mañana", "date")), now=fixed)
    assert date["value"] == "2027-02-01"
    [date] = run(parsed(text, entity(text, "mañana", "date"), metadata={"timestamp": "garbage"}))
    assert date["value"] == "2026-11-26"


def test_naive_clock_is_read_as_utc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bot.nlu_entities, "clock", lambda: datetime(2026, 11, 26, 3, 0))
    text = "hoy"
    [date] = run(parsed(text, entity(text, "hoy", "date")))
    assert date["value"] == "2026-11-25"  # 03:00 UTC is 22:00 the day before in Bogotá


def test_normalizing_twice_changes_nothing() -> None:
    text = "dos boletas para el sábado"
    message = parsed(text, entity(text, "dos", "quantity", "2"), entity(text, "el sábado", "date"))
    normalizer = component()
    once = [dict(e) for e in normalizer.process([message])[0].get("entities")]
    twice = normalizer.process([message])[0].get("entities")
    assert once == twice


def test_odd_values_never_break_the_message() -> None:
    text = "x"
    odd = [
        {"entity": "quantity", "value": None},
        {"entity": "date", "value": {"weird": True}, "start": 5, "end": 2},
        {"entity": "language", "value": 42},
        {"entity": "email", "value": ["a"]},
        {"entity": "quantity", "value": True},
    ]
    entities = run(parsed(text, *odd))
    assert len(entities) == 5
    assert all(e["additional_info"]["resolved"] is False for e in entities)


def test_messages_without_entities_are_untouched() -> None:
    message = Message(data={"text": "hola"})
    component().process([message])
    assert "entities" not in message.data


def test_a_thousand_messages_in_a_row_keep_their_values() -> None:
    """The component keeps no state between messages (its cost is part of ``make bench``'s
    ``nlu_parse_*`` figures, never a timed assertion here)."""
    text = "dos boletas VIP para mañana a las 8 en inglés"
    normalizer = component()
    for _ in range(1000):
        message = parsed(
            text,
            entity(text, "dos", "quantity", "2"),
            entity(text, "mañana a las 8", "date"),
            entity(text, "inglés", "language", "en"),
        )
        normalizer.process([message])
        values = {e["entity"]: e["value"] for e in message.get("entities")}
        assert values["quantity"] == 2 and values["language"] == "en" and values["date"]


def test_default_clock_is_aware_utc() -> None:
    assert bot.nlu_entities._utc_now().tzinfo is timezone.utc
