"""Journeys not built yet (honest answer + person) and organizer/staff requests."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from actions.journeys import ActionJourneyPending, describe
from actions.organizer import ActionAttendanceReport, ActionReportIssue, ActionSalesReport
from bot import journeys, services
from bot.errors import ProviderUnavailable
from bot.i18n import SUPPORTED, catalog, t
from bot.storage.store import Store
from bot.ticketing import reports
from tests.conversation.trackers import bot_turn, entity, payloads, run, tracker, user_event

ROOT = Path(__file__).resolve().parents[2]


def domain_intents(domain: dict) -> set[str]:
    return {i if isinstance(i, str) else next(iter(i)) for i in domain["intents"]}


def rule_intents(path: Path, action: str) -> set[str]:
    """Intents that rules of ``path`` send to ``action`` (``or`` steps included)."""
    found: set[str] = set()
    for rule in yaml.safe_load(path.read_text(encoding="utf-8"))["rules"]:
        steps = rule["steps"]
        if not any(step.get("action") == action for step in steps):
            continue
        for step in steps:
            for option in step.get("or", [step]):
                if "intent" in option:
                    found.add(option["intent"])
    return found


# --- the registry ----------------------------------------------------------------------


def test_registry_is_consistent_with_the_domain(domain: dict) -> None:
    intents = domain_intents(domain)
    assert set(journeys.PENDING) <= intents
    assert journeys.STAFF_ONLY <= intents
    assert journeys.BUILT <= intents
    assert not journeys.BUILT & set(journeys.PENDING), "a journey is built or pending"
    assert len(set(journeys.PENDING)) == len(journeys.PENDING)


def test_every_pending_intent_is_routed_to_the_honest_answer() -> None:
    routed = rule_intents(ROOT / "data" / "rules" / "journeys.yml", "action_journey_pending")
    assert routed == set(journeys.PENDING)


def test_every_staff_only_intent_has_its_rule() -> None:
    path = ROOT / "data" / "rules" / "organizer.yml"
    assert rule_intents(path, "action_sales_report") == {"sales_report"}
    assert rule_intents(path, "action_attendance_report") == {"attendance_report"}
    assert rule_intents(path, "action_report_issue") == {"report_issue"}


@pytest.mark.parametrize("lang", SUPPORTED)
def test_every_pending_or_staff_intent_has_a_human_name_and_title(lang: str) -> None:
    texts = catalog(lang)
    for intent in journeys.PENDING:
        assert f"journey.intent.{intent}" in texts, f"{lang}: journey.intent.{intent}"
    for intent in (*journeys.PENDING, *journeys.STAFF_ONLY):
        assert f"menu.{intent}.title" in texts, f"{lang}: menu.{intent}.title"


def test_may_use() -> None:
    assert journeys.may_use("buy_ticket", None)
    assert not journeys.may_use("sales_report", "attendee")
    assert not journeys.may_use("report_issue", "model")
    assert journeys.may_use("report_issue", "staff")
    assert journeys.may_use("sales_report", "organizer")


# --- journeys not built yet --------------------------------------------------------------

FASHION_NIGHT = "Medellín Fashion Night"


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("es", "2 boletas VIP para Medellín Fashion Night"),
        ("en", "2 VIP tickets for Medellín Fashion Night"),
    ],
)
async def test_pending_journey_says_what_it_understood_and_offers_a_person(
    lang: str, expected: str, domain: dict
) -> None:
    latest = tracker(
        "buy_ticket",
        "me regala 2 boletas vip pal medellin fashion night",
        entities=[entity("quantity", "2"), entity("ticket_type", "VIP"),
                  entity("event", FASHION_NIGHT)],
        metadata={"language": lang},
    )  # fmt: skip
    messages, _ = await run(ActionJourneyPending(), latest, domain)
    [message] = messages
    assert message["text"] == t(
        lang, "journey.pending", what=t(lang, "journey.intent.buy_ticket"), details=f" ({expected})"
    )
    assert payloads(message) == ["/human_handoff", "/help"]


def test_details_read_naturally() -> None:
    assert describe("es", {"quantity": "una", "ticket_type": "palco"}) == "una boleta palco"
    assert describe("en", {"quantity": "one"}) == "one ticket"
    assert describe("es", {"ticket_type": "general", "event": "MFN"}) == "boletas general para MFN"
    assert describe("es", {"event": "MFN", "date": "el sábado"}) == "MFN, el sábado"
    assert describe("en", {}) == ""


async def test_pending_journey_without_entities_has_no_parentheses(domain: dict) -> None:
    latest = tracker("casting_apply", "quiero ser modelo en el proximo desfile")
    messages, _ = await run(ActionJourneyPending(), latest, domain)
    assert messages[0]["text"] == t(
        "es", "journey.pending", what=t("es", "journey.intent.casting_apply"), details=""
    )
    assert "()" not in messages[0]["text"]


async def test_a_very_long_entity_is_cut(domain: dict) -> None:
    latest = tracker("event_info", "info", entities=[entity("event", "x" * 500)])
    messages, _ = await run(ActionJourneyPending(), latest, domain)
    assert "x" * 61 not in messages[0]["text"]


async def test_a_resolved_date_is_repeated_as_the_user_wrote_it(domain: dict) -> None:
    date = {**entity("date", "2026-11-28"), "text": "el sábado"}
    latest = tracker("buy_ticket", "2 boletas pal sábado", entities=[date])
    messages, _ = await run(ActionJourneyPending(), latest, domain)
    assert "el sábado" in messages[0]["text"]
    assert "2026-11-28" not in messages[0]["text"]


async def test_pending_journey_for_an_unexpected_intent_stays_neutral(domain: dict) -> None:
    messages, _ = await run(ActionJourneyPending(), tracker("greet", "hola"), domain)
    assert t("es", "journey.intent_unknown") in messages[0]["text"]


# --- organizer and staff ------------------------------------------------------------------

STAFF_ACTIONS = [ActionSalesReport, ActionAttendanceReport, ActionReportIssue]


@pytest.mark.parametrize("action_cls", STAFF_ACTIONS)
@pytest.mark.parametrize("role", [None, "attendee", "model", "designer"])
async def test_everybody_else_is_refused_politely(
    action_cls: type, role: str | None, app_store: Store, domain: dict
) -> None:
    sender = "573004440001"
    if role:
        await app_store.set_role(sender, role)
    # the metadata claims organizer: the database decides
    latest = tracker("sales_report", "como van las ventas", sender=sender,
                     metadata={"role": "organizer"})  # fmt: skip
    messages, _ = await run(action_cls(), latest, domain)
    assert messages[0]["text"] == t("es", "organizer.refused")
    assert payloads(messages[0]) == ["/help", "/human_handoff"]
    assert not [i for i in await app_store.list_incidents() if i.wa_id == sender]


@pytest.fixture()
def hi_events_down(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hi.Events cannot be reached (the reports against the emulator: tests/ticketing)."""

    async def down(_ctx: Any) -> Any:
        raise ProviderUnavailable("Hi.Events unreachable")

    async def no_context() -> Any:
        return None

    monkeypatch.setattr(reports, "sales", down)
    monkeypatch.setattr(reports, "attendance", down)
    monkeypatch.setattr(services, "get_ticketing", no_context)


@pytest.mark.parametrize("lang", SUPPORTED)
@pytest.mark.parametrize("action_cls", [ActionSalesReport, ActionAttendanceReport])
async def test_reports_without_hi_events_invent_no_figures(
    action_cls: type, lang: str, app_store: Store, domain: dict, hi_events_down: None
) -> None:
    sender = "573004440002"
    await app_store.set_role(sender, "organizer")
    latest = tracker("sales_report", "como vamos", sender=sender, metadata={"language": lang})
    messages, _ = await run(action_cls(), latest, domain)
    [message] = messages
    assert message["text"] == t(lang, "organizer.report_unavailable")
    assert not re.search(r"\d", message["text"]), "no figures when Hi.Events does not answer"
    assert payloads(message) == ["/human_handoff"]


@pytest.mark.parametrize("lang", SUPPORTED)
async def test_staff_incident_is_recorded_and_acknowledged_with_its_number(
    lang: str, app_store: Store, domain: dict
) -> None:
    sender = "573004440003" if lang == "es" else "573004440004"
    await app_store.set_role(sender, "staff")
    text = "se cayó el lector de QR en la entrada norte"
    latest = tracker("report_issue", text, sender=sender, metadata={"language": lang},
                     entities=[entity("event", FASHION_NIGHT)])  # fmt: skip
    messages, _ = await run(ActionReportIssue(), latest, domain)
    incident = next(i for i in await app_store.list_incidents() if i.wa_id == sender)
    assert incident.text == text and incident.event == FASHION_NIGHT
    assert messages[0]["text"] == t(
        lang, "organizer.issue_recorded_event", number=incident.id, event=FASHION_NIGHT
    )
    assert f"#{incident.id}" in messages[0]["text"]


async def test_incident_without_event_uses_the_shorter_acknowledgement(
    app_store: Store, domain: dict
) -> None:
    sender = "573004440005"
    await app_store.set_role(sender, "organizer")
    latest = tracker("report_issue", "hay una pelea en la fila", sender=sender)
    messages, _ = await run(ActionReportIssue(), latest, domain)
    incident = next(i for i in await app_store.list_incidents() if i.wa_id == sender)
    assert messages[0]["text"] == t("es", "organizer.issue_recorded", number=incident.id)


async def test_incident_from_a_did_you_mean_tap_records_the_typed_text(
    app_store: Store, domain: dict
) -> None:
    sender = "573004440006"
    await app_store.set_role(sender, "staff")
    history = [user_event("se fue la luz en camerinos", "nlu_fallback"),
               *bot_turn("action_default_fallback")]  # fmt: skip
    latest = tracker("report_issue", "/report_issue", sender=sender, history=history)
    await run(ActionReportIssue(), latest, domain)
    [incident] = [i for i in await app_store.list_incidents() if i.wa_id == sender]
    assert incident.text == "se fue la luz en camerinos"


async def test_incident_without_any_description_asks_for_one(
    app_store: Store, domain: dict
) -> None:
    sender = "573004440007"
    await app_store.set_role(sender, "staff")
    history = [user_event("hola"), *bot_turn("action_greet"), user_event("/help", "help"),
               *bot_turn("action_help")]  # fmt: skip
    latest = tracker("report_issue", "/report_issue", sender=sender, history=history)
    messages, _ = await run(ActionReportIssue(), latest, domain)
    assert messages[0]["text"] == t("es", "organizer.issue_describe")
    assert not [i for i in await app_store.list_incidents() if i.wa_id == sender]


async def test_with_the_database_down_the_channel_role_is_used(
    domain: dict, monkeypatch: pytest.MonkeyPatch, hi_events_down: None
) -> None:
    async def broken() -> Any:
        raise ConnectionError("database down")

    monkeypatch.setattr(services, "get_store", broken)
    organizer = tracker("sales_report", "ventas", metadata={"role": "organizer"})
    attendee = tracker("sales_report", "ventas", metadata={"role": "attendee"})
    messages, _ = await run(ActionSalesReport(), organizer, domain)
    assert messages[0]["text"] == t("es", "organizer.report_unavailable")
    messages, _ = await run(ActionSalesReport(), attendee, domain)
    assert messages[0]["text"] == t("es", "organizer.refused")
