"""bot.nlu.OutOfScopeFallback: trained out-of-scope messages come out as nlu_fallback."""

from __future__ import annotations

from rasa.shared.nlu.training_data.message import Message

from bot.nlu import OutOfScopeFallback


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
