"""The hand-off gate: quiet while a person has the conversation, an opt-out still goes through.

A stand-in Agent with Rasa's own trackers, tracker store and lock store (only NLU and
the session logic are faked), and the real channel runtime on a SQLite file.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from rasa.core.channels.channel import UserMessage
from rasa.core.lock_store import InMemoryLockStore
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ConversationPaused, SessionStarted, UserUttered

from bot.settings import Settings
from bot.storage.migrate import upgrade
from bot.storage.store import Store
from bot.whatsapp.inbound import parse_message
from connectors.handoff_gate import HandoffGate
from connectors.wappbiz import ChannelRuntime

WA = "573009990001"


class FakeProcessor:
    """Rasa's MessageProcessor surface the gate uses, on a real in-memory tracker store."""

    def __init__(self) -> None:
        self.tracker_store = InMemoryTrackerStore(Domain.empty())
        self.parsed: list[str] = []
        self.new_session = False  # the next log_message starts a new session (60 min idle)

    async def parse_message(self, message: UserMessage, tracker: Any = None) -> dict:
        self.parsed.append(message.text)
        opt_out = message.text == "/opt_out" or "no me escriban" in message.text
        name = "opt_out" if opt_out else "greet"
        return {"text": message.text, "intent": {"name": name, "confidence": 0.95}, "entities": []}

    async def get_tracker(self, conversation_id: str) -> Any:
        return await self.tracker_store.get_or_create_tracker(
            conversation_id, append_action_listen=False
        )

    async def log_message(self, message: UserMessage, should_save_tracker: bool = True) -> Any:
        tracker = await self.get_tracker(message.sender_id)
        if self.new_session:  # what action_session_start does: SessionStarted resets pause
            tracker.update(SessionStarted())
            tracker.update(ActionExecuted("action_listen"))
        parse = message.parse_data or await self.parse_message(message)
        tracker.update(UserUttered(message.text, parse["intent"], [], parse))
        if should_save_tracker:
            await self.save_tracker(tracker)
        return tracker

    async def save_tracker(self, tracker: Any) -> None:
        await self.tracker_store.save(tracker)


class FakeAgent:
    def __init__(self) -> None:
        self.processor = FakeProcessor()
        self.lock_store = InMemoryLockStore()

    async def paused_tracker(self, wa_id: str) -> Any:
        """A conversation right after action_human_handoff ran."""
        tracker = await self.processor.get_tracker(wa_id)
        tracker.update(ActionExecuted("action_human_handoff"))
        tracker.update(ConversationPaused())
        tracker.update(ActionExecuted("action_listen"))
        await self.processor.save_tracker(tracker)
        return tracker


@pytest.fixture
async def store(tmp_path: Path) -> Any:
    url = f"sqlite+aiosqlite:///{tmp_path / 'app.db'}"
    upgrade(url)
    async with Store(url) as started:
        yield started


def message(text: str, wa_id: str = WA) -> UserMessage:
    return UserMessage(text=text, sender_id=wa_id, message_id=f"wamid.{text}")


async def test_without_an_open_hand_off_everything_goes_to_rasa(store: Store) -> None:
    agent = FakeAgent()
    gate = HandoffGate(lambda: store, lambda: agent)
    assert not await gate.intercept(message("hola"))
    assert agent.processor.parsed == [], "no extra NLU work when nobody has the conversation"


async def test_during_a_hand_off_messages_are_logged_and_not_answered(store: Store) -> None:
    agent = FakeAgent()
    await agent.paused_tracker(WA)
    await store.open_handoff(WA, reason="user_request")
    gate = HandoffGate(lambda: store, lambda: agent)
    assert await gate.intercept(message("hola? alguien?"))
    tracker = await agent.processor.get_tracker(WA)
    assert tracker.is_paused()
    assert tracker.latest_message.text == "hola? alguien?"
    assert agent.processor.parsed == ["hola? alguien?"], "parsed once"


async def test_a_new_session_does_not_end_the_quiet(store: Store) -> None:
    """SessionStarted unpauses a Rasa tracker; the gate pauses it again and stays quiet."""
    agent = FakeAgent()
    await agent.paused_tracker(WA)
    await store.open_handoff(WA, reason="user_request")
    agent.processor.new_session = True
    gate = HandoffGate(lambda: store, lambda: agent)
    assert await gate.intercept(message("buenos días, sigo esperando"))
    tracker = await agent.processor.get_tracker(WA)
    assert tracker.is_paused()
    assert tracker.latest_message.text == "buenos días, sigo esperando"


@pytest.mark.parametrize("text", ["/opt_out", "ya no me escriban más"])
async def test_an_opt_out_closes_the_hand_off_and_goes_through(store: Store, text: str) -> None:
    agent = FakeAgent()
    await agent.paused_tracker(WA)
    await store.open_handoff(WA, reason="user_request")
    gate = HandoffGate(lambda: store, lambda: agent)
    msg = message(text)
    assert not await gate.intercept(msg), "Rasa must run the opt-out journey"
    assert msg.parse_data["intent"]["name"] == "opt_out", "Rasa reuses the parse"
    assert await store.get_open_handoff(WA) is None
    [closed] = await store.handoffs_for(WA)
    assert closed.release_reason == "opt_out" and closed.released_by == "user"
    assert not (await agent.processor.get_tracker(WA)).is_paused()


async def test_without_rasa_the_gate_still_keeps_quiet(store: Store) -> None:
    await store.open_handoff(WA, reason="user_request")
    gate = HandoffGate(lambda: store, lambda: None)
    assert await gate.intercept(message("hola"))


# --- through the channel runtime ----------------------------------------------------------


def runtime_for(tmp_path: Path) -> ChannelRuntime:
    settings = Settings(state_dir=tmp_path, wappbiz_mark_read=False)
    upgrade(settings.resolved_database_url)
    return ChannelRuntime(settings, app_secret="s", verify_token="v", access_token="a")


def raw_text(wamid: str, text: str, wa_id: str = WA) -> dict:
    return {
        "from": wa_id,
        "id": wamid,
        "timestamp": "1750000000",
        "type": "text",
        "text": {"body": text},
    }


async def deliver(runtime: ChannelRuntime, raw: dict) -> None:
    assert runtime.store is not None and runtime.executor is not None
    await runtime.store.record_inbound(
        wamid=raw["id"],
        wa_id=raw["from"],
        msg_type=raw["type"],
        text=(raw.get("text") or {}).get("body"),
        payload={"message": raw},
        wa_timestamp=None,
    )
    runtime.submit(parse_message(raw))
    assert await runtime.executor.drain(timeout=10)


async def test_the_channel_does_not_hand_messages_to_rasa_during_a_hand_off(
    tmp_path: Path,
) -> None:
    runtime = runtime_for(tmp_path)
    agent = FakeAgent()
    runtime.app = SimpleNamespace(ctx=SimpleNamespace(agent=agent))
    handled: list[str] = []
    sent: list[dict] = []

    async def on_new_message(msg: UserMessage) -> None:
        handled.append(msg.text)

    async def capture(body: dict, reply_to: str | None = None) -> str:
        sent.append(body)
        return "wamid.out"

    await runtime.start(on_new_message)
    runtime.send = capture  # type: ignore[method-assign]
    try:
        assert runtime.store is not None
        await deliver(runtime, raw_text("wamid.g1", "hola"))
        await agent.paused_tracker(WA)
        await runtime.store.open_handoff(WA, reason="user_request")
        await deliver(runtime, raw_text("wamid.g2", "sigo aquí"))
        unsupported = {
            "from": WA,
            "id": "wamid.g3",
            "timestamp": "1750000000",
            "type": "unsupported",
            "unsupported": {"type": "poll"},
            "errors": [{"code": 131051, "title": "Message type unknown"}],
        }
        await deliver(runtime, unsupported)
        states = [(await runtime.store.get_inbound(w)).state for w in ("wamid.g2", "wamid.g3")]
        await runtime.store.release_handoff(WA, released_by="test")
        await deliver(runtime, raw_text("wamid.g4", "gracias"))
    finally:
        await runtime.stop()
    assert handled == ["hola", "gracias"]
    assert sent == [], "not even the channel's own answer to an unsupported type"
    assert states == ["done", "done"]
    assert (await agent.processor.get_tracker(WA)).latest_message.text == "sigo aquí"
