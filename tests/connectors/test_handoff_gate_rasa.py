"""The hand-off gate against the real Rasa 3.6 processor and the trained model.

Checks the Rasa facts the design rests on (``docs/decisions/handoff.md``): a paused
tracker still logs messages; a new session (60 minutes of silence) *unpauses* it, which
is why the channel gate exists; and the gate keeps the conversation paused and quiet
through it, while an opt-out resumes it.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from rasa.core.channels.channel import UserMessage
from rasa.shared.core.events import ActionExecuted, ConversationPaused, SessionStarted, UserUttered

from bot.settings import Settings
from bot.storage.migrate import upgrade
from bot.storage.store import Store
from bot.training import ensure_model
from connectors.handoff_gate import HandoffGate

# One model load for the module: the tests share its event loop.
pytestmark = [pytest.mark.rasa, pytest.mark.asyncio(loop_scope="module")]

TWO_HOURS_AGO = time.time() - 2 * 3600


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def agent() -> Any:
    from rasa.core.agent import load_agent

    model = ensure_model(Settings())
    return await load_agent(model_path=str(model))  # in-memory tracker and lock stores


@pytest_asyncio.fixture(loop_scope="module")
async def store(tmp_path: Path) -> Any:
    url = f"sqlite+aiosqlite:///{tmp_path / 'app.db'}"
    upgrade(url)
    async with Store(url) as started:
        yield started


async def handed_off(agent: Any, wa_id: str, at: float) -> None:
    """A tracker as it is right after action_human_handoff ran at ``at``."""
    tracker = await agent.processor.get_tracker(wa_id)
    intent = {"name": "human_handoff", "confidence": 0.99}
    for event in (
        SessionStarted(timestamp=at - 2),
        ActionExecuted("action_listen", timestamp=at - 1),
        UserUttered("quiero una persona", intent, [], {"intent": intent}, timestamp=at),
        ActionExecuted("action_human_handoff", timestamp=at),
        ConversationPaused(timestamp=at),
        ActionExecuted("action_listen", timestamp=at),
    ):
        tracker.update(event)
    await agent.processor.save_tracker(tracker)


async def test_rasa_alone_unpauses_a_conversation_after_a_new_session(agent: Any) -> None:
    wa_id = "573008880001"
    await handed_off(agent, wa_id, TWO_HOURS_AGO)
    tracker = await agent.processor.log_message(UserMessage("hola", sender_id=wa_id))
    assert not tracker.is_paused(), "if this fails, Rasa's pause alone would be enough"


async def test_the_gate_logs_parses_and_keeps_quiet(agent: Any, store: Store) -> None:
    wa_id = "573008880002"
    await handed_off(agent, wa_id, time.time())
    await store.open_handoff(wa_id, reason="user_request")
    gate = HandoffGate(lambda: store, lambda: agent)
    assert await gate.intercept(UserMessage("hola, me ayudan con mi boleta?", sender_id=wa_id))
    tracker = await agent.processor.get_tracker(wa_id)
    assert tracker.is_paused()
    assert tracker.latest_message.text == "hola, me ayudan con mi boleta?"
    assert tracker.latest_message.intent.get("name"), "the NLU result is in the transcript"


async def test_the_gate_pauses_again_after_a_new_session(agent: Any, store: Store) -> None:
    wa_id = "573008880003"
    await handed_off(agent, wa_id, TWO_HOURS_AGO)
    await store.open_handoff(wa_id, reason="user_request")
    gate = HandoffGate(lambda: store, lambda: agent)
    assert await gate.intercept(UserMessage("buenos días, sigo esperando", sender_id=wa_id))
    tracker = await agent.processor.get_tracker(wa_id)  # the latest session only
    texts = [e.text for e in tracker.events if isinstance(e, UserUttered)]
    assert texts == ["buenos días, sigo esperando"], "a new session began"
    assert any(isinstance(e, SessionStarted) for e in tracker.events)
    assert tracker.is_paused()


async def test_an_opt_out_keyword_resumes_and_passes(agent: Any, store: Store) -> None:
    wa_id = "573008880004"
    await handed_off(agent, wa_id, time.time())
    await store.open_handoff(wa_id, reason="user_request")
    gate = HandoffGate(lambda: store, lambda: agent)
    message = UserMessage("/opt_out", sender_id=wa_id)  # what the channel makes of "BAJA"
    assert not await gate.intercept(message)
    assert message.parse_data["intent"]["name"] == "opt_out"
    assert not (await agent.processor.get_tracker(wa_id)).is_paused()
    assert await store.get_open_handoff(wa_id) is None
