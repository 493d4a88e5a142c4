"""Hand-built rasa-sdk trackers for the action tests of issue 3 (hand-off, fallback, journeys).

Like the ``make_tracker`` fixture, plus what these actions read: entities, the NLU's
intent ranking, the sender id and the events before the latest message.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

SENDER = "573001234567"


def user_event(text: str, intent: str = "greet") -> dict[str, Any]:
    return {"event": "user", "text": text, "parse_data": {"intent": {"name": intent}}}


def bot_turn(action: str, text: str = "…") -> list[dict[str, Any]]:
    """The events of one bot turn: the action, its message, then listening."""
    return [
        {"event": "action", "name": action},
        {"event": "bot", "text": text},
        {"event": "action", "name": "action_listen"},
    ]


def tracker(
    intent: str,
    text: str,
    *,
    entities: Sequence[dict[str, Any]] = (),
    ranking: Sequence[tuple[str, float]] | None = None,
    metadata: dict[str, Any] | None = None,
    history: Sequence[dict[str, Any]] = (),
    sender: str = SENDER,
    language: str | None = None,
) -> Tracker:
    """A tracker whose latest message is ``text``, classified as ``intent``."""
    latest: dict[str, Any] = {
        "text": text,
        "intent": {"name": intent, "confidence": ranking[0][1] if ranking else 0.99},
        "entities": list(entities),
        "metadata": metadata or {},
    }
    if ranking is not None:
        latest["intent_ranking"] = [{"name": n, "confidence": c} for n, c in ranking]
    events = [
        *history,
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": text, "parse_data": latest, "metadata": metadata or {}},
    ]
    return Tracker(
        sender_id=sender,
        slots={"language": language},
        latest_message=latest,
        events=events,
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


def entity(name: str, value: str) -> dict[str, Any]:
    return {"entity": name, "value": value, "start": 0, "end": len(value)}


async def run(action: Action, tracker: Tracker, domain: dict) -> tuple[list[dict], list[dict]]:
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker, domain)
    return dispatcher.messages, events


def payloads(message: dict) -> list[str]:
    return [b["payload"] for b in message.get("buttons") or []]
