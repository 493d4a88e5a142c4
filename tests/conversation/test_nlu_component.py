"""bot.nlu.OutOfScopeFallback: trained out-of-scope messages come out as nlu_fallback."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.training_data.message import Message

from bot.nlu import OutOfScopeFallback, SymbolOnlyClassifier


def parsed(intent: str, confidence: float) -> Message:
    ranking = [
        {"name": intent, "confidence": confidence},
        {"name": "greet", "confidence": 1 - confidence},
    ]
    return Message(
        data={
            "text": "x",
            "intent": {"name": intent, "confidence": confidence},
            "intent_ranking": ranking,
        }
    )


def component() -> OutOfScopeFallback:
    return OutOfScopeFallback(OutOfScopeFallback.get_default_config())


def test_out_of_scope_becomes_nlu_fallback_and_keeps_the_ranking() -> None:
    [message] = component().process([parsed("out_of_scope", 0.97)])
    assert message.data["intent"] == {"name": "nlu_fallback", "confidence": 0.97}
    names = [entry["name"] for entry in message.data["intent_ranking"]]
    assert names == ["nlu_fallback", "out_of_scope", "greet"]


def test_other_intents_are_untouched() -> None:
    [message] = component().process([parsed("greet", 0.99)])
    assert message.data["intent"]["name"] == "greet"
    assert len(message.data["intent_ranking"]) == 2


def test_message_without_intent_is_untouched() -> None:
    message = Message(data={"text": "x"})
    component().process([message])
    assert "intent" not in message.data


def symbol_message(text: str) -> Message:
    message = parsed("affirm", 0.83)  # what DIET says of every emoji-only message
    message.set("text", text)
    return message


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("👍", "affirm"),
        ("👍🏽👍🏽", "affirm"),
        ("👌 ✅", "affirm"),
        ("✔️", "affirm"),
        ("👎", "deny"),
        ("👋", "greet"),
        ("🙏🏻", "thank"),
        ("🍕🍕🚗", "nlu_fallback"),
        ("🔥🔥🔥", "nlu_fallback"),
        ("👍👎", "nlu_fallback"),
        ("???", "nlu_fallback"),
        ("...", "nlu_fallback"),
        ("   ", "nlu_fallback"),
    ],
)
def test_symbol_only_messages(text: str, intent: str) -> None:
    [message] = SymbolOnlyClassifier({}).process([symbol_message(text)])
    assert message.data["intent"] == {"name": intent, "confidence": 1.0}
    assert message.data["intent_ranking"][0]["name"] == intent
    assert message.data["entities"] == []


@pytest.mark.parametrize("text", ["ok 👍", "2 🎟️", "hola", "/affirm", "sí"])
def test_messages_with_letters_or_digits_or_payloads_are_untouched(text: str) -> None:
    [message] = SymbolOnlyClassifier({}).process([symbol_message(text)])
    assert message.data["intent"] == {"name": "affirm", "confidence": 0.83}
