"""The channel's part in consent and language: STOP keywords and an explicit language choice."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from rasa.core.channels.channel import UserMessage

from bot.settings import Settings
from bot.storage.migrate import upgrade
from bot.whatsapp.inbound import parse_message
from connectors.wappbiz import ChannelRuntime

WA = "573001234567"


@dataclass
class Channel:
    runtime: ChannelRuntime
    received: list[UserMessage] = field(default_factory=list)
    count: int = 0

    async def deliver(self, raw_message: dict[str, Any]) -> UserMessage:
        """Record one inbound message as the ingress would, and let the channel process it."""
        self.count += 1
        raw = {"from": WA, "id": f"wamid.{self.count}", "timestamp": "1750000000", **raw_message}
        store = self.runtime.store
        assert store is not None and self.runtime.executor is not None
        await store.record_inbound(
            wamid=raw["id"],
            wa_id=WA,
            msg_type=raw["type"],
            text=None,
            payload={"message": raw},
            wa_timestamp=None,
        )
        self.runtime.submit(parse_message(raw))
        assert await self.runtime.executor.drain(timeout=10)
        return self.received[-1]

    async def say(self, body: str) -> UserMessage:
        return await self.deliver({"type": "text", "text": {"body": body}})


@pytest.fixture
async def channel(tmp_path: Path) -> AsyncIterator[Channel]:
    settings = Settings(state_dir=tmp_path, wappbiz_mark_read=False)
    upgrade(settings.resolved_database_url)
    runtime = ChannelRuntime(settings, app_secret="s", verify_token="v", access_token="a")
    result = Channel(runtime)

    async def on_new_message(message: UserMessage) -> None:
        result.received.append(message)

    await runtime.start(on_new_message)
    try:
        yield result
    finally:
        await runtime.stop()


@pytest.mark.parametrize("body", ["STOP", "baja", "¡PARAR!", " Stop. ", "BAJA 🙏"])
async def test_a_bare_keyword_reaches_rasa_as_opt_out(channel: Channel, body: str) -> None:
    message = await channel.say(body)
    assert message.text == "/opt_out"
    assert message.metadata["consent_source"] == "keyword"
    assert message.message_id == message.metadata["wamid"]


@pytest.mark.parametrize(
    "body", ["stop sending me promos", "me quiero dar de baja", "/opt_out", "para"]
)
async def test_sentences_go_to_the_nlu_unchanged(channel: Channel, body: str) -> None:
    message = await channel.say(body)
    assert message.text == body.lstrip("/")
    assert "consent_source" not in message.metadata


async def test_the_keyword_keeps_the_conversation_language(channel: Channel) -> None:
    await channel.say("hello, how much are the tickets for the show?")
    message = await channel.say("STOP")
    assert message.metadata["language"] == "en"


async def test_a_button_payload_is_not_a_keyword(channel: Channel) -> None:
    message = await channel.deliver(
        {
            "type": "interactive",
            "interactive": {
                "type": "button_reply",
                "button_reply": {"id": "/opt_in", "title": "Acepto"},
            },
        }
    )
    assert message.text == "/opt_in"
    assert "consent_source" not in message.metadata


async def test_an_explicit_language_wins_over_detection(channel: Channel) -> None:
    """After "hablame en inglés" (action_change_language), Spanish text keeps English."""
    assert channel.runtime.store is not None
    first = await channel.say("hola parce, que mas pues")
    assert first.metadata["language"] == "es"
    await channel.runtime.store.set_language(WA, "en", "explicit")
    message = await channel.say("hola parce, cuanto vale la boleta para el desfile?")
    assert message.metadata["language"] == "en"
    contact = await channel.runtime.store.get_contact(WA)
    assert contact is not None
    assert (contact.language, contact.language_source) == ("en", "explicit")
