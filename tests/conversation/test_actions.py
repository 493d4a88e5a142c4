"""The custom actions, run directly with rasa-sdk trackers and a CollectingDispatcher."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk import Action
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import ActionExecutor, CollectingDispatcher

from actions.channel import ActionInboundContacts, ActionInboundLocation, ActionInboundMedia
from actions.consent import ActionOptIn, ActionOptOut
from actions.fallback import ActionDefaultFallback
from actions.handoff import ActionBotChallenge, ActionHumanHandoff
from actions.journeys import ActionJourneyPending
from actions.language import ActionChangeLanguage
from actions.organizer import ActionAttendanceReport, ActionReportIssue, ActionSalesReport
from actions.privacy import ActionAskErasureConfirmed, ActionDeleteMyData
from actions.smalltalk import (
    ActionAffirm,
    ActionDeny,
    ActionGoodbye,
    ActionGreet,
    ActionHelp,
    ActionThank,
)
from bot import journeys, replies
from bot.i18n import t

ALL_ACTIONS = [
    ActionGreet,
    ActionGoodbye,
    ActionThank,
    ActionAffirm,
    ActionDeny,
    ActionHelp,
    ActionBotChallenge,
    ActionHumanHandoff,
    ActionDefaultFallback,
    ActionInboundMedia,
    ActionInboundLocation,
    ActionInboundContacts,
    # issue 3: journeys not built yet, organizer/staff requests
    ActionJourneyPending,
    ActionSalesReport,
    ActionAttendanceReport,
    ActionReportIssue,
    # issue 3: consent, privacy and language (tests/conversation/test_consent_actions.py)
    ActionOptIn,
    ActionOptOut,
    ActionAskErasureConfirmed,
    ActionDeleteMyData,
    ActionChangeLanguage,
]

#: The help menu once issue 4 landed: everything but castings (issue 5).
BUILT_HELP_ROWS = [
    "/list_events",
    "/buy_ticket",
    "/ask_price",
    "/check_schedule",
    "/payment_status",
    "/resend_ticket",
    "/human_handoff",
]

#: Actions of issue 4; they need Hi.Events and a payment gateway (the emulators).
TICKET_ACTIONS = {
    "action_list_events",
    "action_event_info",
    "action_ask_directions",
    "action_ask_dress_code",
    "action_ask_price",
    "action_payment_methods",
    "action_check_in_help",
    "action_check_schedule",
    "validate_buy_ticket_form",
    "action_ask_event",
    "action_ask_ticket_type",
    "action_ask_quantity",
    "action_ask_buyer_name",
    "action_ask_buyer_email",
    "action_buy_ticket",
    "action_cancel_purchase",
    "action_payment_status",
    "action_resend_ticket",
    "action_request_refund",
}

#: Actions of issue 5 (feedback, broadcasts from the chat, proactive messages through
#: the dialogue); they need the database and Hi.Events: tests/proactive/test_chat_actions.py.
PROACTIVE_ACTIONS = {
    "action_proactive_message",
    "action_give_feedback",
    "validate_feedback_form",
    "action_ask_feedback_comment",
    "action_feedback_done",
    "action_schedule_broadcast",
    "validate_broadcast_form",
    "action_ask_broadcast_template",
    "action_ask_broadcast_audience",
    "action_ask_broadcast_when",
    "action_ask_broadcast_confirmed",
    "action_submit_broadcast",
}


async def run(action: Action, tracker: Any, domain: dict) -> tuple[list[dict], list[dict]]:
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker, domain)
    return dispatcher.messages, events


def domain_action_names(domain: dict) -> set[str]:
    names = set()
    for entry in domain["actions"]:
        names.update([entry] if isinstance(entry, str) else entry)
    return names


def domain_intents(domain: dict) -> set[str]:
    return {i if isinstance(i, str) else next(iter(i)) for i in domain["intents"]}


def assert_whatsapp_limits(message: dict, intents: set[str]) -> None:
    """Buttons ≤ 3 with titles ≤ 20, lists ≤ 10 rows with titles ≤ 24, known payloads."""
    buttons = message.get("buttons") or []
    assert len(buttons) <= replies.MAX_BUTTONS
    assert len({b["title"] for b in buttons}) == len(buttons)
    for button in buttons:
        assert 0 < len(button["title"]) <= replies.BUTTON_TITLE_MAX, button
        # nlu_fallback: Rasa's own intent, the "Otra cosa" button of a "did you mean"
        assert button["payload"].startswith("/")
        # a payload may carry entities: /change_language{"language":"en"}
        assert button["payload"][1:].split("{")[0] in {*intents, "nlu_fallback"}
    custom = message.get("custom") or {}
    if custom.get("type") == "location":  # issue 4: the venue
        assert -90 <= custom["latitude"] <= 90 and -180 <= custom["longitude"] <= 180
    elif custom.get("type") == "cta_url":  # issue 4: the payment link, one button
        assert custom["url"].startswith(("http://", "https://"))
        assert 0 < len(custom["display_text"]) <= replies.BUTTON_TITLE_MAX
        assert 0 < len(custom["text"]) <= replies.BODY_MAX
    elif custom:
        assert custom["type"] == "list"
        assert len(custom["body"]) <= replies.BODY_MAX
        assert len(custom["button"]) <= replies.LIST_BUTTON_MAX
        rows = [row for section in custom["sections"] for row in section["rows"]]
        assert 0 < len(rows) <= replies.MAX_ROWS
        for section in custom["sections"]:
            assert len(section["title"]) <= replies.SECTION_TITLE_MAX
        for row in rows:
            assert 0 < len(row["title"]) <= replies.ROW_TITLE_MAX, row
            assert len(row.get("description", "")) <= replies.ROW_DESCRIPTION_MAX, row
            # a row id may carry entities too: /buy_ticket{"event":"…"}
            assert row["id"].startswith("/") and row["id"][1:].split("{")[0] in intents
        assert message["text"], "a list needs a plain-text rendering"
    if message.get("text"):
        assert len(message["text"]) <= 4096


def test_every_domain_action_is_implemented_once(domain: dict) -> None:
    executor = ActionExecutor()
    executor.register_package("actions")
    registered = set(executor.actions)
    assert domain_action_names(domain) <= registered
    ticket_actions = {  # issue 4: tested against the emulators in tests/ticketing/test_actions.py
        name for name in domain_action_names(domain) if name in TICKET_ACTIONS | PROACTIVE_ACTIONS
    }
    assert {cls().name() for cls in ALL_ACTIONS} | ticket_actions == domain_action_names(domain)
    assert ticket_actions == TICKET_ACTIONS | PROACTIVE_ACTIONS


@pytest.mark.parametrize("action_cls", ALL_ACTIONS)
@pytest.mark.parametrize("lang", ["es", "en"])
async def test_language_comes_from_the_message_metadata(
    action_cls: type, lang: str, make_tracker: Any, domain: dict, full_domain: dict
) -> None:
    other = "en" if lang == "es" else "es"
    tracker = make_tracker(metadata={"language": lang}, language=other)
    for dom in (domain, full_domain):
        messages, events = await run(action_cls(), tracker, dom)
        assert messages, "every action answers"
        assert SlotSet("language", lang) in events
        intents = domain_intents(dom)
        for message in messages:
            assert_whatsapp_limits(message, intents)


@pytest.mark.parametrize("action_cls", ALL_ACTIONS)
async def test_slot_language_is_kept_without_metadata(
    action_cls: type, make_tracker: Any, domain: dict
) -> None:
    messages, events = await run(action_cls(), make_tracker(language="en"), domain)
    assert not [e for e in events if e.get("name") == "language"], "no change, no SlotSet"
    assert messages


async def test_spanish_by_default(make_tracker: Any, domain: dict) -> None:
    messages, events = await run(ActionGoodbye(), make_tracker("goodbye", "chao"), domain)
    assert messages[0]["text"] == t("es", "goodbye.text")
    assert SlotSet("language", "es") in events


@pytest.mark.parametrize(
    ("action_cls", "key"),
    [
        (ActionGoodbye, "goodbye.text"),
        (ActionThank, "thank.text"),
        (ActionAffirm, "affirm.text"),
        (ActionDeny, "deny.text"),
        (ActionBotChallenge, "bot_challenge.text"),
    ],
)
async def test_replies_come_from_the_copy(
    action_cls: type, key: str, make_tracker: Any, domain: dict
) -> None:
    for lang in ("es", "en"):
        messages, _ = await run(action_cls(), make_tracker(metadata={"language": lang}), domain)
        assert messages[0]["text"] == t(lang, key)


async def test_greet_first_contact_welcomes_with_the_name_and_options(
    make_tracker: Any, domain: dict
) -> None:
    messages, _ = await run(ActionGreet(), make_tracker(), domain)
    [message] = messages
    assert message["text"] == t("es", "greet.welcome")
    assert "Fashi" in message["text"]
    payloads = [b["payload"] for b in message["buttons"]]
    assert payloads == ["/list_events", "/buy_ticket", "/help"]  # issue 4 built the first two


async def test_greet_again_is_shorter(make_tracker: Any, domain: dict) -> None:
    history = [
        {"event": "action", "name": "action_greet"},
        {"event": "bot", "text": "¡Hola!"},
    ]
    messages, _ = await run(ActionGreet(), make_tracker(history=history), domain)
    assert messages[0]["text"] == t("es", "greet.welcome_back")
    assert messages[0]["buttons"]


async def test_greet_menu_offers_no_journey_that_is_not_built(
    make_tracker: Any, full_domain: dict
) -> None:
    """Every catalog intent is in the domain; castings (issue 5) are not built yet."""
    messages, _ = await run(ActionGreet(), make_tracker(), full_domain)
    assert [b["payload"] for b in messages[0]["buttons"]] == [
        "/list_events",
        "/buy_ticket",
        "/help",
    ]


async def test_greet_menu_grows_with_the_built_journeys_but_keeps_3_buttons(
    make_tracker: Any, full_domain: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(journeys, "BUILT", journeys.BUILT | {"list_events", "buy_ticket"})
    tracker = make_tracker(metadata={"language": "en"})
    messages, _ = await run(ActionGreet(), tracker, full_domain)
    buttons = messages[0]["buttons"]
    assert [b["payload"] for b in buttons] == ["/list_events", "/buy_ticket", "/help"]
    assert buttons[0]["title"] == t("en", "menu.list_events.title")


async def test_greet_without_domain_still_offers_help_and_a_person(make_tracker: Any) -> None:
    messages, _ = await run(ActionGreet(), make_tracker(), {})
    assert [b["payload"] for b in messages[0]["buttons"]] == ["/help", "/human_handoff"]


async def test_help_today_offers_only_what_exists(make_tracker: Any, domain: dict) -> None:
    messages, _ = await run(ActionHelp(), make_tracker("help", "ayuda"), domain)
    [message] = messages
    assert message["text"].startswith(t("es", "help.body"))
    rows = [r["id"] for s in message["custom"]["sections"] for r in s["rows"]]
    assert rows == BUILT_HELP_ROWS


async def test_help_becomes_a_list_with_more_than_3_options(
    make_tracker: Any, full_domain: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(journeys, "BUILT", journeys.BUILT | set(journeys.PENDING))
    tracker = make_tracker("help", "what can you do", metadata={"language": "en"})
    messages, _ = await run(ActionHelp(), tracker, full_domain)
    [message] = messages
    custom = message["custom"]
    assert custom["type"] == "list"
    assert custom["body"] == t("en", "help.body")
    assert custom["button"] == t("en", "help.list_button")
    rows = custom["sections"][0]["rows"]
    assert len(rows) > replies.MAX_BUTTONS
    assert rows[-1]["id"] == "/human_handoff"
    assert not message["buttons"]
    # plain-text rendering for channels without lists
    assert t("en", "help.body") in message["text"]
    assert all(row["title"] in message["text"] for row in rows)


async def test_bot_challenge_is_honest_and_offers_a_person(make_tracker: Any, domain: dict) -> None:
    tracker = make_tracker("bot_challenge", "eres un robot?")
    messages, _ = await run(ActionBotChallenge(), tracker, domain)
    [message] = messages
    assert "automático" in message["text"]
    assert message["buttons"] == [
        {"title": t("es", "menu.human_handoff.title"), "payload": "/human_handoff"}
    ]


async def test_help_with_the_full_catalog_still_offers_only_built_journeys(
    make_tracker: Any, full_domain: dict
) -> None:
    messages, _ = await run(ActionHelp(), make_tracker("help", "ayuda"), full_domain)
    rows = [r["id"] for s in messages[0]["custom"]["sections"] for r in s["rows"]]
    assert rows == BUILT_HELP_ROWS  # no casting_apply: issue 5


# The hand-off itself (recording, office hours, pause) is tested in test_handoff.py and
# the two-stage fallback in test_fallback.py; these keep the basic contract.


async def test_fallback_without_a_ranking_offers_help_and_a_person(
    make_tracker: Any, domain: dict
) -> None:
    tracker = make_tracker("nlu_fallback", "asdfgh")
    messages, events = await run(ActionDefaultFallback(), tracker, domain)
    [message] = messages
    assert message["text"] == t("es", "fallback.out_of_scope")
    assert [b["payload"] for b in message["buttons"]] == ["/help", "/human_handoff"]
    assert all(e.get("event") != "rewind" for e in events), "the turn stays in the history"


async def test_second_fallback_in_a_row_puts_the_person_first(
    make_tracker: Any, domain: dict
) -> None:
    history = [
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": "asdf", "parse_data": {}},
        {"event": "action", "name": "action_default_fallback"},
        {"event": "bot", "text": "Uy..."},
    ]
    tracker = make_tracker("nlu_fallback", "qwerty", history=history)
    messages, _ = await run(ActionDefaultFallback(), tracker, domain)
    assert messages[0]["text"] == t("es", "fallback.again")
    assert [b["payload"] for b in messages[0]["buttons"]] == ["/human_handoff", "/help"]


async def test_fallback_after_something_else_is_the_first_one(
    make_tracker: Any, domain: dict
) -> None:
    history = [
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": "hola", "parse_data": {}},
        {"event": "action", "name": "action_greet"},
        {"event": "bot", "text": "¡Hola!"},
    ]
    tracker = make_tracker("nlu_fallback", "qwerty", history=history)
    messages, _ = await run(ActionDefaultFallback(), tracker, domain)
    assert messages[0]["text"] == t("es", "fallback.out_of_scope")


@pytest.mark.parametrize(
    ("kind", "lang"), [("image", "es"), ("audio", "en"), ("document", "es"), ("weird", "en")]
)
async def test_inbound_media_names_the_kind_received(
    kind: str, lang: str, domain: dict, make_tracker: Any
) -> None:
    tracker = make_tracker(
        "inbound_media", metadata={"language": lang, "media": {"type": kind, "id": "m1"}}
    )
    messages, _ = await run(ActionInboundMedia(), tracker, domain)
    expected_kind = kind if kind in ("image", "audio", "document") else "document"
    assert messages[0]["text"] == t(
        lang, "channel.media", kind=t(lang, f"channel.kind_{expected_kind}")
    )


def test_a_name_read_as_deny_is_still_the_name(make_tracker: Any) -> None:
    """ "Ana Gómez" classified as *deny* must not cancel the purchase; "no, gracias" must."""
    from actions.purchase import name_despite_intent

    def tracker(text: str, intent: str, requested: str = "buyer_name") -> Any:
        t = make_tracker(intent, text)
        t.slots["requested_slot"] = requested
        return t

    assert name_despite_intent(tracker("Ana Gómez", "deny")) == "Ana Gómez"
    assert name_despite_intent(tracker("no, gracias", "deny")) is None
    assert name_despite_intent(tracker("mejor no Ana", "deny")) is None
    assert name_despite_intent(tracker("Ana Gómez", "deny", "buyer_email")) is None
    assert name_despite_intent(tracker("quiero hablar con una persona", "human_handoff")) is None
