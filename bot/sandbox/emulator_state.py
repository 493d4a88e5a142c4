"""In-memory state of the sandbox: conversations, windows, media, limiters, faults.

Everything lives in one event loop, so plain dicts are safe; what needs care is
telling long-pollers that something changed, which ``ChangeFeed`` does with one
event swapped per change (no busy loop, no lost wake-ups).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
import time
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Any

#: Order in which a message status may advance; ``failed`` and ``read`` are terminal.
STATUS_RANK = {"accepted": 0, "sent": 1, "delivered": 2, "read": 3, "failed": 4}

MB = 1024 * 1024
#: Contract §5: accepted MIME types and size limits per media category.
MEDIA_RULES: dict[str, tuple[frozenset[str], int]] = {
    "image": (frozenset({"image/jpeg", "image/png"}), 5 * MB),
    "video": (frozenset({"video/mp4", "video/3gpp"}), 16 * MB),
    "audio": (
        frozenset({"audio/aac", "audio/amr", "audio/mpeg", "audio/mp4", "audio/ogg"}),
        16 * MB,
    ),
    "document": (
        frozenset(
            {
                "text/plain",
                "application/pdf",
                "application/msword",
                "application/vnd.ms-excel",
                "application/vnd.ms-powerpoint",
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            }
        ),
        100 * MB,
    ),
    # 100 KB static / 500 KB animated: the sandbox cannot tell them apart, so 500 KB.
    "sticker": (frozenset({"image/webp"}), 500 * 1024),
}


def base_mime(mime: str | None) -> str:
    """``"audio/ogg; codecs=opus"`` -> ``"audio/ogg"``."""
    return (mime or "").split(";", 1)[0].strip().lower()


def media_category(mime: str | None) -> str | None:
    """The message type a MIME type belongs to, or None when WhatsApp refuses it."""
    plain = base_mime(mime)
    if plain == "audio/ogg" and "codecs" in (mime or "") and "opus" not in (mime or ""):
        return None  # contract §5: ogg audio must be opus
    for category, (mimes, _limit) in MEDIA_RULES.items():
        if plain in mimes:
            return category
    return None


def can_advance(current: str, new: str) -> bool:
    """Statuses only move forward: a late ``delivered`` never undoes a ``read``."""
    if current in ("read", "failed"):
        return False
    return STATUS_RANK[new] > STATUS_RANK[current]


def new_wamid(wa_id: str) -> str:
    """``wamid.<base64>`` shaped like Meta's (HBgM + number + random tail)."""
    raw = (
        b"\x1c\x18\x0c"
        + wa_id.encode()
        + b"\x15\x02\x00\x11\x18\x12"
        + secrets.token_hex(9).upper().encode()
    )
    return "wamid." + base64.b64encode(raw).decode()


def new_numeric_id() -> str:
    """Media ids are numeric strings (``1037543291543636``)."""
    return str(10**15 + secrets.randbelow(9 * 10**15))


@dataclass
class StoredMessage:
    """One message of a conversation, in either direction, as the web chat sees it."""

    seq: int
    rev: int
    id: str
    wa_id: str
    direction: str  # "in" (user -> bot) or "out" (bot -> user)
    type: str
    timestamp: int
    status: str
    body: dict[str, Any]
    error: dict[str, Any] | None = None
    template_rendered: dict[str, Any] | None = None
    context_id: str | None = None
    category: str = "service"
    biz_opaque_callback_data: str | None = None
    read_requested: bool = False
    history: list[tuple[str, int]] = field(default_factory=list)
    #: When the emulator accepted it, to the microsecond (benchmarks measure up to here).
    accepted_at: float = field(default_factory=time.time)

    def to_api(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "seq": self.seq,
            "rev": self.rev,
            "id": self.id,
            "wa_id": self.wa_id,
            "direction": self.direction,
            "type": self.type,
            "timestamp": self.timestamp,
            "status": self.status,
            "body": self.body,
            "accepted_at": self.accepted_at,
        }
        if self.error:
            data["error"] = self.error
        if self.template_rendered:
            data["template_rendered"] = self.template_rendered
        if self.context_id:
            data["context_id"] = self.context_id
        return data


@dataclass
class Contact:
    """A WhatsApp user of the sandbox: profile name, role and 24 h window."""

    wa_id: str
    name: str = ""
    role: str | None = None
    last_inbound_at: float | None = None
    typing_until: float = 0.0


@dataclass
class MediaItem:
    id: str
    data: bytes
    mime_type: str
    filename: str | None = None
    created_at: float = field(default_factory=time.time)

    @property
    def sha256_hex(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def sha256_b64(self) -> str:
        """Webhooks carry the hash base64-encoded (contract §2.3)."""
        return base64.b64encode(hashlib.sha256(self.data).digest()).decode()

    @property
    def category(self) -> str | None:
        return media_category(self.mime_type)


class TokenBucket:
    """Classic token bucket: ``rate`` tokens per second, bursts up to ``capacity``."""

    def __init__(self, rate: float, capacity: float) -> None:
        self.rate = rate
        self.capacity = capacity
        self.tokens = capacity
        self.updated = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


FAULT_MODES = frozenset({"429", "500", "503", "timeout", "window_closed", "token", "undeliverable"})


class FaultQueue:
    """Faults injected by tests: the next N send calls fail in the given mode."""

    def __init__(self) -> None:
        self._queue: deque[list[Any]] = deque()

    def add(self, mode: str, count: int) -> None:
        if count > 0:
            self._queue.append([mode, count])

    def take(self) -> str | None:
        if not self._queue:
            return None
        item = self._queue[0]
        item[1] -= 1
        if item[1] <= 0:
            self._queue.popleft()
        return str(item[0])

    def clear(self) -> None:
        self._queue.clear()

    def to_api(self) -> dict[str, Any]:
        remaining = [{"mode": mode, "count": count} for mode, count in self._queue]
        return {"remaining": remaining, "total": sum(c for _m, c in self._queue)}


class ChangeFeed:
    """A global revision counter plus a wake-up for long-polls."""

    def __init__(self) -> None:
        self.rev = 0
        self._event = asyncio.Event()

    def next_rev(self) -> int:
        self.rev += 1
        return self.rev

    def notify(self) -> None:
        event, self._event = self._event, asyncio.Event()
        event.set()

    async def wait(self, timeout: float) -> None:
        """Return on the next change or after ``timeout`` seconds, whichever first."""
        if timeout <= 0:
            return
        try:
            await asyncio.wait_for(self._event.wait(), timeout)
        except asyncio.TimeoutError:
            pass


@dataclass
class PricingConversation:
    """The §3.1 ``conversation`` block: one id per (user, category) for 24 h."""

    id: str
    expires_at: int
    announced: bool = False


class SandboxState:
    """All mutable data of one sandbox; ``reset`` wipes it between tests."""

    def __init__(self, max_messages: int) -> None:
        self.max_messages = max_messages
        self.feed = ChangeFeed()
        self.faults = FaultQueue()
        self.reset()

    def reset(self) -> None:
        self.messages: OrderedDict[str, StoredMessage] = OrderedDict()
        self.by_wa: dict[str, list[StoredMessage]] = {}
        self.contacts: dict[str, Contact] = {}
        self.media: dict[str, MediaItem] = {}
        self.pricing: dict[tuple[str, str], PricingConversation] = {}
        self.buckets: dict[str, TokenBucket] = {}
        self.faults.clear()
        self.feed.notify()

    # --- contacts and windows ----------------------------------------------------
    def contact(self, wa_id: str) -> Contact:
        if wa_id not in self.contacts:
            self.contacts[wa_id] = Contact(wa_id=wa_id)
        return self.contacts[wa_id]

    def window_open(self, wa_id: str, window_s: float) -> bool:
        contact = self.contacts.get(wa_id)
        if contact is None or contact.last_inbound_at is None:
            return False
        return time.time() - contact.last_inbound_at < window_s

    def window_view(self, wa_id: str, window_s: float) -> dict[str, Any]:
        contact = self.contacts.get(wa_id)
        opened = contact.last_inbound_at if contact else None
        is_open = self.window_open(wa_id, window_s)
        return {
            "open": is_open,
            "expires_at": int(opened + window_s) if is_open and opened else None,
        }

    # --- messages ----------------------------------------------------------------
    def add_message(self, **fields: Any) -> StoredMessage:
        rev = self.feed.next_rev()
        message = StoredMessage(seq=rev, rev=rev, **fields)
        message.history.append((message.status, message.timestamp))
        self.messages[message.id] = message
        self.by_wa.setdefault(message.wa_id, []).append(message)
        self._trim()
        self.feed.notify()
        return message

    def _trim(self) -> None:
        while len(self.messages) > self.max_messages:
            _id, oldest = self.messages.popitem(last=False)
            conversation = self.by_wa.get(oldest.wa_id) or []
            if conversation and conversation[0] is oldest:
                conversation.pop(0)

    def touch(self, message: StoredMessage) -> None:
        """Record a change so long-polls return the message again."""
        message.rev = self.feed.next_rev()
        self.feed.notify()

    def set_status(
        self, message: StoredMessage, status: str, error: dict[str, Any] | None = None
    ) -> bool:
        """Advance a status (never backwards); True when it changed."""
        if not can_advance(message.status, status):
            return False
        message.status = status
        message.history.append((status, int(time.time())))
        if error:
            message.error = error
        self.touch(message)
        return True

    def changed_since(self, wa_id: str, after: int) -> list[StoredMessage]:
        return [m for m in self.by_wa.get(wa_id, []) if m.rev > after]

    def query(
        self, wa_id: str | None, direction: str | None, since_seq: int
    ) -> list[StoredMessage]:
        source = self.by_wa.get(wa_id, []) if wa_id else self.messages.values()
        return [
            m
            for m in source
            if m.seq > since_seq and (direction is None or m.direction == direction)
        ]

    # --- limiters ------------------------------------------------------------------
    def take_token(self, key: str, rate: float, capacity: float) -> bool:
        bucket = self.buckets.get(key)
        if bucket is None or bucket.rate != rate or bucket.capacity != capacity:
            bucket = self.buckets[key] = TokenBucket(rate, capacity)
        return bucket.take()
