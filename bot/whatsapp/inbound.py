"""Parse Cloud API webhook payloads into typed inbound messages and status updates.

The text handed to Rasa is chosen here: a typed text goes to the NLU (with any
leading ``/`` removed, so nobody can inject ``/intent{...}`` through Rasa's
shortcut syntax), while button and list replies carry the payload we set when
sending, and media, locations and contacts become synthetic intents whose
details travel in the message metadata.

What the NLU gets of a typed text (docs/decisions/entities.md): no leading ``/``; of
a text shaped like Rasa's shortcut (``/buy_ticket{"quantity": 99}``, ``/greet@0.9``)
only the words, without the ``{...}`` entities or ``@`` confidence; no HTML/XML tags
(WhatsApp shows none, and "<script>" read as "suscripción" to the model); at most
:data:`NLU_MAX_CHARS` characters. ``user_text`` keeps what the person wrote.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

#: Synthetic intents for inbound types that carry no text of their own.
INTENT_MEDIA = "/inbound_media"
INTENT_LOCATION = "/inbound_location"
INTENT_CONTACTS = "/inbound_contacts"
INTENT_UNSUPPORTED = "/unsupported_message"
INTENT_WELCOME = "/greet"
#: Nothing left to understand (an empty text or a lone "/"): the normal fallback answers.
#: The "@1.0" keeps it apart from the fallback's own "Otra cosa" button ("/nlu_fallback",
#: actions/fallback.py): an empty message after a fallback is a second miss, not a tap.
INTENT_EMPTY = "/nlu_fallback@1.0"
#: Longest text handed to the NLU. Parsing grows faster than the length and Rasa parses
#: on its event loop: measured 0.3 s at 4,096 characters and 23 s at 65,536 (WhatsApp's
#: own limit for a typed message), during which no other conversation moves. 4,096 is
#: the Cloud API's limit for a text body.
NLU_MAX_CHARS = 4096

#: Rasa's ``/intent@confidence{entities}`` shortcut, once the slash is gone
#: (rasa.shared.core.training_data.story_reader.yaml_story_reader).
_SHORTCUT = re.compile(
    r"^(?P<intent>[^{@]+)(?P<confidence>@[0-9.]*)?(?P<entities>\{.*\})?(?P<rest>.*)$", re.S
)
#: Control characters other than tab and newlines (a NUL breaks PostgreSQL text), and
#: the invisible characters a paste can leave around a message.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_INVISIBLE = "\u200b\u200c\u200d\u200e\u200f\u2060\ufeff"
#: An HTML/XML tag: ``<b>``, ``</script>``, ``<img src=x onerror=...>``; not "<3" or
#: "<laura@gmail.com>".
_TAG = re.compile(r"</?[a-zA-Z][\w:-]*(?:\s[^<>]*)?/?>")

MEDIA_TYPES = ("image", "video", "document", "audio", "sticker")
#: Types that are recorded but not answered (answering a reaction would be noise).
SILENT_TYPES = ("reaction", "system", "revoke")


class InvalidWebhook(ValueError):
    """The body is JSON but not a WhatsApp Business Account notification."""


@dataclass(frozen=True)
class InboundMessage:
    wamid: str
    wa_id: str
    msg_type: str
    timestamp: datetime | None
    text: str | None  # what Rasa receives; None for silent types
    user_text: str | None  # what the person typed, for language detection
    metadata: dict[str, Any]
    raw: dict[str, Any]
    profile_name: str | None = None

    @property
    def silent(self) -> bool:
        return self.text is None

    def stored_payload(self) -> dict[str, Any]:
        """What the inbox keeps so the message can be parsed again after a restart."""
        return {
            "message": self.raw,
            "profile_name": self.profile_name,
            "phone_number_id": self.metadata.get("phone_number_id"),
        }


@dataclass(frozen=True)
class StatusUpdate:
    wamid: str
    status: str
    recipient_id: str | None
    timestamp: datetime | None
    errors: list[dict[str, Any]] = field(default_factory=list)
    conversation: dict[str, Any] | None = None
    pricing: dict[str, Any] | None = None
    #: ``biz_opaque_callback_data`` of the send, echoed by WhatsApp: the outbox row's
    #: idempotency key for outbox sends, so a restarted worker can tell it was accepted.
    callback_data: str | None = None


@dataclass
class WebhookBatch:
    messages: list[InboundMessage] = field(default_factory=list)
    statuses: list[StatusUpdate] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    other_fields: list[str] = field(default_factory=list)


def without_nul(value: Any) -> Any:
    """``value`` with every U+0000 removed from its strings (keys included).

    A person can type a NUL (``"\\u0000"`` in the webhook JSON). PostgreSQL refuses it in
    ``text`` and ``jsonb``, so the inbox insert failed, the webhook got 503 and Wappbíz
    retried it for days, failing every webhook that shared its group commit as well.
    """
    if isinstance(value, str):
        return value.replace("\x00", "") if "\x00" in value else value
    if isinstance(value, dict):
        return {without_nul(k): without_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [without_nul(v) for v in value]
    return value


def parse_timestamp(value: Any) -> datetime | None:
    """Webhooks send unix seconds as strings; tolerate ints and garbage."""
    try:
        return datetime.fromtimestamp(int(str(value)), tz=timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def parse_webhook(data: Any) -> WebhookBatch:
    """Flatten ``entry[].changes[]`` into messages and statuses, sorted by timestamp."""
    if not isinstance(data, dict):
        raise InvalidWebhook("body must be a JSON object")
    data = without_nul(data)
    if data.get("object") != "whatsapp_business_account":
        raise InvalidWebhook("object must be 'whatsapp_business_account'")
    entries = data.get("entry")
    if not isinstance(entries, list):
        raise InvalidWebhook("'entry' must be a list")
    batch = WebhookBatch()
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("changes", []), list):
            raise InvalidWebhook("each entry needs a 'changes' list")
        for change in entry.get("changes", []):
            if not isinstance(change, dict) or not isinstance(change.get("value"), dict):
                raise InvalidWebhook("each change needs a 'value' object")
            if change.get("field") != "messages":
                batch.other_fields.append(str(change.get("field")))
                continue
            _parse_value(change["value"], batch)
    batch.messages.sort(key=lambda m: m.timestamp or datetime.min.replace(tzinfo=timezone.utc))
    return batch


def _parse_value(value: dict[str, Any], batch: WebhookBatch) -> None:
    meta = value.get("metadata") if isinstance(value.get("metadata"), dict) else {}
    names = {
        str(c.get("wa_id")): _obj(c, "profile").get("name") for c in _dicts(value.get("contacts"))
    }
    for raw in _list(value.get("messages")):
        sender = str(raw.get("from") or raw.get("from_user_id") or "")
        batch.messages.append(
            parse_message(
                raw, profile_name=names.get(sender), phone_number_id=meta.get("phone_number_id")
            )
        )
    for raw in _list(value.get("statuses")):
        batch.statuses.append(parse_status(raw))
    batch.errors.extend(_list(value.get("errors")))


def _dicts(value: Any) -> list[dict[str, Any]]:
    """The dict items of an optional list; anything else counts as empty."""
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _list(value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise InvalidWebhook("messages/statuses must be lists of objects")
    return value


def parse_status(raw: dict[str, Any]) -> StatusUpdate:
    if not raw.get("id") or not raw.get("status"):
        raise InvalidWebhook("a status needs 'id' and 'status'")
    return StatusUpdate(
        wamid=str(raw["id"]),
        status=str(raw["status"]),
        recipient_id=raw.get("recipient_id") or raw.get("recipient_user_id"),
        timestamp=parse_timestamp(raw.get("timestamp")),
        errors=_dicts(raw.get("errors")),
        conversation=raw.get("conversation") if isinstance(raw.get("conversation"), dict) else None,
        pricing=raw.get("pricing") if isinstance(raw.get("pricing"), dict) else None,
        callback_data=_callback_data(raw.get("biz_opaque_callback_data")),
    )


def _callback_data(value: Any) -> str | None:
    """The echoed ``biz_opaque_callback_data``: a non-empty string (WhatsApp caps it at
    512 characters), anything else is ignored rather than refusing the status."""
    return value if isinstance(value, str) and value else None


def parse_message(
    raw: dict[str, Any], *, profile_name: str | None = None, phone_number_id: str | None = None
) -> InboundMessage:
    """Turn one ``messages[]`` item into what the channel hands to Rasa."""
    raw = without_nul(raw)
    profile_name = without_nul(profile_name)
    wamid = raw.get("id")
    sender = raw.get("from") or raw.get("from_user_id")
    if not sender and raw.get("type") == "system":
        # ``user_changed_user_id`` notices carry no ``from``; the ids are in ``system``.
        system = _obj(raw, "system")
        sender = system.get("previous_user_id") or system.get("user_id") or system.get("wa_id")
    if not wamid or not sender:
        raise InvalidWebhook("a message needs 'id' and 'from'")
    msg_type = str(raw.get("type") or "unknown")
    timestamp = parse_timestamp(raw.get("timestamp"))
    metadata: dict[str, Any] = {
        "wamid": str(wamid),
        "wa_id": str(sender),
        "message_type": msg_type,
        "phone_number_id": phone_number_id,
        "profile_name": profile_name,
        # when the person wrote (ISO 8601, UTC): "mañana" is relative to it, also when
        # the message is replayed later (bot.nlu_entities)
        "timestamp": timestamp.isoformat() if timestamp else None,
    }
    for key in ("context", "referral"):
        if isinstance(raw.get(key), dict):
            metadata[key] = raw[key]
    text, user_text = _text_for(msg_type, raw, metadata)
    return InboundMessage(
        wamid=str(wamid),
        wa_id=str(sender),
        msg_type=msg_type,
        timestamp=timestamp,
        text=text,
        user_text=user_text,
        metadata=metadata,
        raw=raw,
        profile_name=profile_name,
    )


def sanitize_user_text(text: str) -> str:
    """What the NLU gets of anything a person typed (see the module docstring)."""
    cleaned = _CONTROL.sub("", text).strip().strip(_INVISIBLE).strip()
    shortcut = cleaned.startswith("/")
    while cleaned.startswith("/"):
        cleaned = cleaned[1:].lstrip()
    if shortcut:
        match = _SHORTCUT.match(cleaned)
        if match and (match.group("confidence") or match.group("entities")):
            cleaned = f"{match.group('intent').strip()} {match.group('rest').strip()}".strip()
    if "<" in cleaned:
        cleaned = re.sub(r"\s+", " ", _TAG.sub(" ", cleaned)).strip()
        while cleaned.startswith("/"):
            cleaned = cleaned[1:].lstrip()
    return _cap(cleaned)


def _cap(text: str) -> str:
    """At most NLU_MAX_CHARS characters, cut at a space when there is one near the end."""
    if len(text) <= NLU_MAX_CHARS:
        return text
    cut = text[:NLU_MAX_CHARS]
    space = cut.rfind(" ", NLU_MAX_CHARS - 200)
    return (cut[:space] if space > 0 else cut).rstrip()


def _obj(raw: dict[str, Any], key: str) -> dict[str, Any]:
    value = raw.get(key)
    return value if isinstance(value, dict) else {}


def _text_for(
    msg_type: str, raw: dict[str, Any], metadata: dict[str, Any]
) -> tuple[str | None, str | None]:
    """Return (text for Rasa, text the user typed) and fill type-specific metadata."""
    if msg_type == "text":
        body = str(_obj(raw, "text").get("body") or "")
        if len(body) > NLU_MAX_CHARS:
            metadata["truncated_from"] = len(body)  # the NLU saw the first NLU_MAX_CHARS
        return (sanitize_user_text(body) or INTENT_EMPTY), body
    if msg_type == "interactive":
        interactive = _obj(raw, "interactive")
        kind = interactive.get("type")
        reply = _obj(interactive, str(kind)) if kind in ("button_reply", "list_reply") else {}
        if reply.get("id"):
            metadata["interactive"] = {"type": kind, "id": reply["id"], "title": reply.get("title")}
            return str(reply["id"]), None
        return INTENT_UNSUPPORTED, None
    if msg_type == "button":
        button = _obj(raw, "button")
        metadata["button"] = button
        payload = str(button.get("payload") or button.get("text") or "")
        return (payload or INTENT_UNSUPPORTED), None
    if msg_type in MEDIA_TYPES:
        media = _obj(raw, msg_type)
        metadata["media"] = {
            "type": msg_type,
            "id": media.get("id"),
            "mime_type": media.get("mime_type"),
            "sha256": media.get("sha256"),
            "caption": media.get("caption"),
            "filename": media.get("filename"),
            "voice": media.get("voice"),
            "animated": media.get("animated"),
        }
        caption = media.get("caption")
        if caption and sanitize_user_text(str(caption)):
            return sanitize_user_text(str(caption)), str(caption)
        return INTENT_MEDIA, None
    if msg_type == "location":
        location = _obj(raw, "location")
        metadata["location"] = {
            k: location.get(k) for k in ("latitude", "longitude", "name", "address", "url")
        }
        return INTENT_LOCATION, None
    if msg_type == "contacts":
        metadata["contacts"] = _dicts(raw.get("contacts"))
        return INTENT_CONTACTS, None
    if msg_type == "reaction":
        metadata["reaction"] = _obj(raw, "reaction")
        return None, None
    if msg_type in ("system", "revoke"):
        metadata[msg_type] = _obj(raw, msg_type)
        return None, None
    if msg_type == "request_welcome":
        return INTENT_WELCOME, None
    if msg_type == "edit":
        edited = _obj(_obj(raw, "edit"), "message")
        if edited.get("type") == "text":
            body = str(_obj(edited, "text").get("body") or "")
            return (sanitize_user_text(body) or INTENT_EMPTY), body
    metadata["unsupported"] = {
        "type": (raw.get("unsupported") or {}).get("type")
        if isinstance(raw.get("unsupported"), dict)
        else msg_type,
        "errors": raw.get("errors"),
    }
    return INTENT_UNSUPPORTED, None
