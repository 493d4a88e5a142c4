"""Hand-off to a person, through the real processes: told when, then quiet, then released.

Nothing is mocked: the emulator signs the webhooks, the channel, Rasa and the action
server answer, and the release goes through the admin API, which resumes the Rasa
conversation over Rasa's HTTP API.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Any

import httpx
import pytest

from bot.cli import SandboxSession
from bot.handoff import handoff_text
from bot.i18n import t
from tests.support import chat
from tests.support.chat import phone_numbers, say, store_call
from tests.support.stack import RunningStack

pytestmark = pytest.mark.e2e

_numbers = phone_numbers(573160000001)


def new_user(running: RunningStack) -> SandboxSession:
    return chat.new_user(running, _numbers, "Valentina")


def tracker(running: RunningStack, wa_id: str) -> dict[str, Any]:
    response = httpx.get(
        f"{running.settings.rasa_url}/conversations/{wa_id}/tracker",
        params={"token": running.settings.secret("rasa_api_token")},
        timeout=10,
    )
    response.raise_for_status()
    return response.json()


def wait_processed(running: RunningStack, wamid: str, timeout: float = 20.0) -> str:
    """The inbox state of a message once the channel finished with it."""
    deadline = time.monotonic() + timeout
    while True:
        record = store_call(running, lambda s: s.get_inbound(wamid))
        if record is not None and record.state != "pending":
            return record.state
        if time.monotonic() > deadline:
            raise AssertionError(f"{wamid} still pending after {timeout} s")
        time.sleep(0.25)


def release(running: RunningStack, wa_id: str) -> httpx.Response:
    return httpx.post(
        f"{running.settings.action_url}/admin/handoffs/{wa_id}/release",
        headers={"Authorization": "Bearer " + running.settings.secret("admin_token")},
        json={"released_by": "e2e"},
        timeout=15,
    )


def test_handoff_tells_when_then_stays_quiet_until_released(running: RunningStack) -> None:
    user = new_user(running)
    asked_at = datetime.now(timezone.utc)
    replies = say(user, "quiero hablar con una persona")
    answered_at = datetime.now(timezone.utc)
    assert replies, "the hand-off is confirmed"
    assert replies[0]["text"] in {handoff_text("es", asked_at), handoff_text("es", answered_at)}
    handoff = store_call(running, lambda s: s.get_open_handoff(user.wa_id))
    assert handoff is not None and handoff.reason == "user_request"
    assert handoff.last_user_text == "quiero hablar con una persona"

    # quiet: the message is processed (and logged in the tracker), but nobody answers
    wamid = user.send({"type": "text", "text": "hola? sigue ahí alguien?"})
    assert user.replies(first_timeout=6) == []
    assert wait_processed(running, wamid) == "done"
    state = tracker(running, user.wa_id)
    assert state["paused"] is True
    assert "hola? sigue ahí alguien?" in [e.get("text") for e in state["events"]]

    # released by the team: the bot answers again
    response = release(running, user.wa_id)
    assert response.status_code == 200, response.text
    assert response.json()["released_by"] == "e2e"
    assert tracker(running, user.wa_id)["paused"] is False
    assert store_call(running, lambda s: s.get_open_handoff(user.wa_id)) is None
    assert say(user, "muchas gracias")[0]["text"] == t("es", "thank.text")


def test_an_opt_out_during_a_hand_off_still_takes_effect(running: RunningStack) -> None:
    user = new_user(running)
    assert say(user, "necesito un asesor por favor")
    assert store_call(running, lambda s: s.get_open_handoff(user.wa_id)) is not None
    replies = say(user, "BAJA")
    assert replies, "the opt-out is answered (confirmed) despite the hand-off"
    [closed] = store_call(running, lambda s: s.handoffs_for(user.wa_id))
    assert closed.release_reason == "opt_out" and closed.released_by == "user"
    assert tracker(running, user.wa_id)["paused"] is False
