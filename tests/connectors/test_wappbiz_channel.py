"""The channel's own contract with Rasa: routes, output channel, replay after a crash."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from rasa.core.channels.channel import UserMessage
from sanic import Sanic

from bot.settings import Settings
from bot.storage.migrate import upgrade
from bot.storage.store import Store
from connectors.wappbiz import ChannelRuntime, WappbizInput, WappbizOutput


def make_runtime(tmp_path: Path) -> ChannelRuntime:
    settings = Settings(state_dir=tmp_path, wappbiz_mark_read=False)
    upgrade(settings.resolved_database_url)
    return ChannelRuntime(settings, app_secret="s3cr3t-app", verify_token="v", access_token="a")


def test_routes_follow_rasas_channel_contract(tmp_path: Path) -> None:
    channel = WappbizInput(make_runtime(tmp_path))
    assert WappbizInput.name() == "wappbiz"
    Sanic.test_mode = True
    app = Sanic(f"routes_{id(channel)}")

    async def on_new_message(message: UserMessage) -> None:
        return None

    app.blueprint(channel.blueprint(on_new_message), url_prefix="/webhooks/wappbiz")
    paths = {(route.path, tuple(sorted(route.methods))) for route in app.router.routes}
    assert ("webhooks/wappbiz", ("GET",)) in paths
    assert ("webhooks/wappbiz/webhook", ("GET",)) in paths
    assert ("webhooks/wappbiz/webhook", ("POST",)) in paths
    assert ("webhooks/wappbiz/inbox", ("POST",)) in paths
    output = channel.get_output_channel()
    assert isinstance(output, WappbizOutput) and output.name() == "wappbiz"


def test_from_credentials_prefers_explicit_values(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("STATE_DIR", str(tmp_path))
    from bot import settings as settings_module

    settings_module.get_settings.cache_clear()
    try:
        channel = WappbizInput.from_credentials({"app_secret": "from-yaml"})
        assert channel.runtime.app_secret == "from-yaml"
        # the others fall back to the per-machine sandbox secrets
        assert channel.runtime.verify_token == Settings(state_dir=tmp_path).secret(
            "wappbiz_verify_token"
        )
    finally:
        settings_module.get_settings.cache_clear()


async def test_pending_messages_are_replayed_at_start(tmp_path: Path) -> None:
    """A message acknowledged before a crash is handed to Rasa when the server starts."""
    runtime = make_runtime(tmp_path)
    store = Store(runtime.settings.resolved_database_url)
    await store.start()
    raw = {
        "from": "573001234567",
        "id": "wamid.crashed",
        "timestamp": "1750000000",
        "type": "text",
        "text": {"body": "hola parce"},
    }
    assert await store.record_inbound(
        wamid="wamid.crashed",
        wa_id="573001234567",
        msg_type="text",
        text="hola parce",
        payload={"message": raw, "profile_name": "Laura", "phone_number_id": "1"},
        wa_timestamp=datetime.fromtimestamp(1750000000, tz=timezone.utc),
    )
    received: list[UserMessage] = []

    async def on_new_message(message: UserMessage) -> None:
        received.append(message)

    await runtime.start(on_new_message)
    try:
        assert runtime.executor is not None
        assert await runtime.executor.drain(timeout=10)
    finally:
        await runtime.stop()
    assert [m.text for m in received] == ["hola parce"]
    assert received[0].message_id == "wamid.crashed"
    assert received[0].metadata["language"] == "es"
    assert received[0].metadata["profile_name"] == "Laura"
    record = await store.get_inbound("wamid.crashed")
    contact = await store.get_contact("573001234567")
    await store.close()
    assert record is not None and record.state == "done"
    assert contact is not None and contact.profile_name == "Laura"


async def test_a_failing_turn_is_recorded_as_failed(tmp_path: Path) -> None:
    runtime = make_runtime(tmp_path)

    async def broken(message: UserMessage) -> None:
        raise RuntimeError("model exploded")

    await runtime.start(broken)
    try:
        assert runtime.store is not None and runtime.executor is not None
        raw = {
            "from": "573001234569",
            "id": "wamid.boom",
            "timestamp": "1750000000",
            "type": "text",
            "text": {"body": "hola"},
        }
        await runtime.store.record_inbound(
            wamid="wamid.boom",
            wa_id="573001234569",
            msg_type="text",
            text="hola",
            payload={"message": raw},
            wa_timestamp=None,
        )
        from bot.whatsapp.inbound import parse_message

        runtime.executor.submit("573001234569", parse_message(raw))
        await runtime.executor.drain(timeout=10)
        record = await runtime.store.get_inbound("wamid.boom")
    finally:
        await runtime.stop()
    assert record is not None and record.state == "failed"
    assert "model exploded" in (record.error or "")


@pytest.mark.parametrize(
    "custom",
    [
        {
            "type": "list",
            "body": "Elige",
            "sections": [{"rows": [{"id": "/help", "title": "Ayuda"}]}],
        }
    ],
)
async def test_custom_payload_replaces_its_text(tmp_path: Path, custom: dict) -> None:
    runtime = make_runtime(tmp_path)
    sent: list[dict] = []

    async def capture(body: dict, reply_to: str | None = None) -> str:
        sent.append(body)
        return "wamid.x"

    runtime.send = capture  # type: ignore[method-assign]
    output = WappbizOutput(runtime)
    await output.send_response("573001234567", {"text": "1. Ayuda", "custom": custom})
    assert [b["type"] for b in sent] == ["interactive"]
    assert sent[0]["interactive"]["type"] == "list"


async def test_a_lost_hand_off_is_swept_up_once(tmp_path: Path) -> None:
    """The ingress recorded a message but its hand-off never arrived: the sweep takes it."""
    runtime = make_runtime(tmp_path)
    received: list[UserMessage] = []

    async def on_new_message(message: UserMessage) -> None:
        received.append(message)

    await runtime.start(on_new_message)
    try:
        assert runtime.store is not None and runtime.executor is not None
        raw = {
            "from": "573001234570",
            "id": "wamid.lost",
            "timestamp": "1750000000",
            "type": "text",
            "text": {"body": "hola"},
        }
        await runtime.store.record_inbound(
            wamid="wamid.lost",
            wa_id="573001234570",
            msg_type="text",
            text="hola",
            payload={"message": raw},
            wa_timestamp=None,
        )
        # too recent for a sweep that waits for the hand-off first
        assert await runtime.submit_pending(older_than_s=60) == 0
        assert await runtime.submit_pending(older_than_s=0) == 1
        # a late hand-off of the same message is not processed a second time
        from bot.whatsapp.inbound import parse_message

        runtime.submit(parse_message(raw))
        await runtime.executor.drain(timeout=10)
        assert await runtime.submit_pending(older_than_s=0) == 0
    finally:
        await runtime.stop()
    assert [m.message_id for m in received] == ["wamid.lost"]
