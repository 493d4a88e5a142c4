"""Answers to WhatsApp messages that carry no text: media, locations, contacts.

The channel turns them into the synthetic intents ``inbound_media``,
``inbound_location`` and ``inbound_contacts`` and puts the details (media id, MIME
type, coordinates, vCards) in the message metadata; later journeys (portfolio,
payment proof) read them from there.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.base import LocalizedAction, SimpleReplyAction
from bot.i18n import t

MEDIA_KINDS = ("image", "video", "document", "audio", "sticker")


class ActionInboundMedia(LocalizedAction):
    def name(self) -> str:
        return "action_inbound_media"

    async def respond(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
        lang: str,
    ) -> list[EventType]:
        media = (tracker.latest_message.get("metadata") or {}).get("media") or {}
        kind = media.get("type") if media.get("type") in MEDIA_KINDS else "document"
        key = "channel.kind_" + kind
        dispatcher.utter_message(text=t(lang, "channel.media", kind=t(lang, key)))
        return []


class ActionInboundLocation(SimpleReplyAction):
    copy_key = "channel.location"

    def name(self) -> str:
        return "action_inbound_location"


class ActionInboundContacts(SimpleReplyAction):
    copy_key = "channel.contacts"

    def name(self) -> str:
        return "action_inbound_contacts"
