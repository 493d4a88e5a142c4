"""Keep the bot quiet while a person of the team has the conversation.

Two layers, on purpose (see ``docs/decisions/handoff.md``):

1. **Rasa's native pause.** ``action_human_handoff`` returns ``ConversationPaused``.
   While a tracker is paused, Rasa still logs each user message but predicts no action
   (``MessageProcessor._should_handle_message`` in rasa 3.6 ``core/processor.py``).
2. **This gate in the WhatsApp channel, with the ``handoffs`` table as the authority.**
   Rasa's pause alone is not enough: a new session (``session_expiration_time``, 60
   minutes of silence) applies ``SessionStarted``, which resets the tracker and *unpauses*
   it, and a hand-off easily spans a night or a weekend. So for a person with an open
   hand-off the channel does not call ``handle_message``: it logs the message in the
   tracker under the conversation lock (the team sees it in the transcript), pauses the
   tracker again if a new session unpaused it, and answers nothing.

An opt-out must still take effect during a hand-off (Ley 2300, WhatsApp policy): when
the message is one (the bare keyword the channel maps to ``/opt_out``, the button, or
the NLU's ``opt_out``), the gate closes the hand-off with release reason ``opt_out``,
resumes the tracker and lets the message through to Rasa, where the opt-out journey
runs and confirms it. The message is parsed once; the result rides along in
``UserMessage.parse_data`` so Rasa does not parse it again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.shared.core.events import ConversationPaused, ConversationResumed

from bot.logging import event, mask_phone

log = logging.getLogger(__name__)

__all__ = ["OPT_OUT_INTENT", "HandoffGate"]

OPT_OUT_INTENT = "opt_out"


class HandoffGate:
    """Decides, per inbound message, whether Rasa may answer it.

    ``store_of()`` returns the channel's (started) Store; ``agent_of()`` the rasa
    server's current ``Agent`` (it can be swapped when a model is reloaded, so it is
    looked up per call), or ``None`` in tests that run the channel without Rasa.
    """

    def __init__(self, store_of: Callable[[], Any], agent_of: Callable[[], Any]) -> None:
        self._store_of = store_of
        self._agent_of = agent_of

    async def is_open(self, wa_id: str) -> bool:
        """True while a person of the team has this conversation."""
        store = self._store_of()
        return store is not None and await store.get_open_handoff(wa_id) is not None

    async def intercept(self, message: UserMessage) -> bool:
        """``True`` when the message was consumed quietly (hand-off open): do not answer.

        ``False``: hand the message to Rasa as usual (no hand-off, or an opt-out that
        just closed it).
        """
        wa_id = message.sender_id
        if not await self.is_open(wa_id):
            return False
        agent = self._agent_of()
        if agent is None or agent.processor is None:
            event(log, "handoff.quiet_unlogged", logging.WARNING, wa_id=mask_phone(wa_id))
            return True
        message.parse_data = await agent.processor.parse_message(message)
        if _intent(message.parse_data) == OPT_OUT_INTENT:
            await self._close_for_opt_out(agent, wa_id)
            return False
        await self._log_quietly(agent, message)
        event(log, "handoff.quiet", wa_id=mask_phone(wa_id))
        return True

    async def _close_for_opt_out(self, agent: Any, wa_id: str) -> None:
        store = self._store_of()
        await store.release_handoff(wa_id, released_by="user", release_reason="opt_out")
        async with agent.lock_store.lock(wa_id):
            tracker = await agent.processor.get_tracker(wa_id)
            tracker.update(ConversationResumed())
            await agent.processor.save_tracker(tracker)
        event(log, "handoff.closed_by_opt_out", wa_id=mask_phone(wa_id))

    async def _log_quietly(self, agent: Any, message: UserMessage) -> None:
        async with agent.lock_store.lock(message.sender_id):
            tracker = await agent.processor.log_message(message, should_save_tracker=False)
            if not tracker.is_paused():  # a new session unpaused it: pause again
                tracker.update(ConversationPaused())
            await agent.processor.save_tracker(tracker)


def _intent(parse_data: Any) -> str | None:
    intent = (parse_data or {}).get("intent") or {}
    return intent.get("name") if isinstance(intent, dict) else None
