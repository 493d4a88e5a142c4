"""Two-stage fallback: "did you mean" from the NLU ranking, then the offer of a person."""

from __future__ import annotations

import pytest

from actions.fallback import (
    OTHER_PAYLOAD,
    ActionDefaultFallback,
    previous_bot_action,
    suggestions,
)
from bot.i18n import t
from tests.conversation.trackers import bot_turn, payloads, run, tracker, user_event

#: What the FallbackClassifier reports for "kiero la bolet pa el sabdo": low confidence.
NEAR_MISS = [
    ("nlu_fallback", 0.6),
    ("buy_ticket", 0.41),
    ("ask_price", 0.22),
    ("greet", 0.12),
    ("list_events", 0.05),
]


def first_fallback(text: str = "kiero la bolet pa el sabdo", **kwargs: object) -> object:
    return tracker("nlu_fallback", text, ranking=kwargs.pop("ranking", NEAR_MISS), **kwargs)


@pytest.mark.parametrize("lang", ["es", "en"])
async def test_first_miss_asks_did_you_mean_with_the_two_likeliest(
    lang: str, full_domain: dict
) -> None:
    messages, events = await run(
        ActionDefaultFallback(), first_fallback(metadata={"language": lang}), full_domain
    )
    [message] = messages
    assert message["text"] == t(lang, "fallback.did_you_mean")
    assert message["buttons"] == [
        {"title": t(lang, "menu.buy_ticket.title"), "payload": "/buy_ticket"},
        {"title": t(lang, "menu.ask_price.title"), "payload": "/ask_price"},
        {"title": t(lang, "fallback.other_button"), "payload": OTHER_PAYLOAD},
    ]
    assert all(e.get("event") != "rewind" for e in events), "the turn stays in the history"


def test_out_of_scope_on_top_means_no_guess(full_domain: dict) -> None:
    ranking = [("nlu_fallback", 0.9), ("out_of_scope", 0.9), ("ask_price", 0.04)]
    assert suggestions({"intent_ranking": [dict(name=n, confidence=c) for n, c in ranking]},
                       full_domain, "es") == []  # fmt: skip


@pytest.mark.parametrize(
    "ranking",
    [
        [("nlu_fallback", 0.9), ("out_of_scope", 0.9), ("buy_ticket", 0.06)],  # weather
        [("nlu_fallback", 0.6), ("buy_ticket", 0.08), ("ask_price", 0.07)],  # all noise
        [("nlu_fallback", 0.6), ("greet", 0.5), ("thank", 0.3)],  # only small talk
        [],
    ],
)
async def test_no_plausible_guess_says_it_is_outside_what_the_bot_does(
    ranking: list, full_domain: dict
) -> None:
    messages, _ = await run(
        ActionDefaultFallback(), first_fallback("el clima en bogota", ranking=ranking), full_domain
    )
    assert messages[0]["text"] == t("es", "fallback.out_of_scope")
    assert payloads(messages[0]) == ["/help", "/human_handoff"]


async def test_the_out_of_scope_intent_itself_gets_the_same_answer(full_domain: dict) -> None:
    latest = tracker("out_of_scope", "quien gano el partido", ranking=[("out_of_scope", 0.97)])
    messages, _ = await run(ActionDefaultFallback(), latest, full_domain)
    assert messages[0]["text"] == t("es", "fallback.out_of_scope")


def test_staff_only_intents_are_proposed_only_to_staff(full_domain: dict) -> None:
    ranking = [
        {"name": "nlu_fallback", "confidence": 0.6},
        {"name": "sales_report", "confidence": 0.45},
        {"name": "ask_price", "confidence": 0.3},
        {"name": "buy_ticket", "confidence": 0.2},
    ]
    attendee = {"intent_ranking": ranking, "metadata": {"role": "attendee"}}
    organizer = {"intent_ranking": ranking, "metadata": {"role": "organizer"}}
    no_role = {"intent_ranking": ranking, "metadata": {}}
    assert suggestions(attendee, full_domain, "es") == ["ask_price", "buy_ticket"]
    assert suggestions(no_role, full_domain, "es") == ["ask_price", "buy_ticket"]
    assert suggestions(organizer, full_domain, "es") == ["sales_report", "ask_price"]


def test_intents_outside_the_domain_are_not_proposed(domain: dict) -> None:
    small = {**domain, "intents": ["greet", "help", "human_handoff", "ask_price"]}
    latest = {"intent_ranking": [{"name": n, "confidence": c} for n, c in NEAR_MISS]}
    assert suggestions(latest, small, "es") == ["ask_price"]


async def test_one_plausible_guess_gives_one_guess_and_other(full_domain: dict) -> None:
    ranking = [("nlu_fallback", 0.6), ("resend_ticket", 0.5), ("greet", 0.2), ("deny", 0.1)]
    messages, _ = await run(ActionDefaultFallback(), first_fallback(ranking=ranking), full_domain)
    assert payloads(messages[0]) == ["/resend_ticket", OTHER_PAYLOAD]


async def test_second_miss_in_a_row_offers_a_person(full_domain: dict) -> None:
    history = [user_event("asdf", "nlu_fallback"), *bot_turn("action_default_fallback")]
    latest = tracker("nlu_fallback", "qwerty", ranking=NEAR_MISS, history=history)
    messages, _ = await run(ActionDefaultFallback(), latest, full_domain)
    assert messages[0]["text"] == t("es", "fallback.again")
    assert payloads(messages[0]) == ["/human_handoff", "/help"]


@pytest.mark.parametrize("lang", ["es", "en"])
async def test_tapping_other_offers_a_person(lang: str, full_domain: dict) -> None:
    history = [user_event("kiero la bolet", "nlu_fallback"), *bot_turn("action_default_fallback")]
    latest = tracker("nlu_fallback", OTHER_PAYLOAD, history=history, metadata={"language": lang})
    messages, _ = await run(ActionDefaultFallback(), latest, full_domain)
    assert messages[0]["text"] == t(lang, "fallback.other")
    assert payloads(messages[0])[0] == "/human_handoff"


async def test_a_miss_after_something_else_starts_over(full_domain: dict) -> None:
    history = [user_event("hola"), *bot_turn("action_greet")]
    latest = tracker("nlu_fallback", "kiero la bolet", ranking=NEAR_MISS, history=history)
    messages, _ = await run(ActionDefaultFallback(), latest, full_domain)
    assert messages[0]["text"] == t("es", "fallback.did_you_mean")


async def test_core_fallback_of_an_understood_message_offers_help(full_domain: dict) -> None:
    """RulePolicy's core fallback: the NLU understood, but no rule knew what to do."""
    messages, _ = await run(
        ActionDefaultFallback(), tracker("affirm", "si", ranking=[("affirm", 0.98)]), full_domain
    )
    assert messages[0]["text"] == t("es", "fallback.text")


def test_previous_bot_action_looks_only_at_the_turn_before() -> None:
    history = [
        user_event("asdf"),
        *bot_turn("action_default_fallback"),
        user_event("hola"),
        *bot_turn("action_greet"),
    ]
    assert previous_bot_action(tracker("nlu_fallback", "x", history=history)) == "action_greet"
    assert previous_bot_action(tracker("nlu_fallback", "x")) is None
