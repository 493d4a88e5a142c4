"""Plain, immutable results of :class:`bot.storage.store.Store` queries.

Callers get frozen dataclasses instead of ORM objects so they never hold a session,
never trigger lazy loads after the transaction ended, and can pass records across
tasks freely. All datetimes are aware UTC. ``payload`` dicts are shared, not copied:
treat them as read-only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class ContactRecord:
    id: int
    wa_id: str
    phone_e164: str
    profile_name: str | None
    language: str
    language_source: str
    role: str
    last_inbound_at: datetime | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class InboundRecord:
    id: int
    wamid: str
    wa_id: str
    msg_type: str
    text: str | None
    payload: dict[str, Any]
    wa_timestamp: datetime | None
    received_at: datetime
    state: str
    attempts: int
    error: str | None
    processed_at: datetime | None


@dataclass(frozen=True, slots=True)
class OutboundRecord:
    id: int
    wa_id: str
    msg_type: str
    payload: dict[str, Any]
    status: str
    wamid: str | None
    attempts: int
    error_code: int | None
    error_detail: str | None
    reply_to_wamid: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class StatusRecord:
    id: int
    wamid: str
    status: str
    recipient_id: str | None
    wa_timestamp: datetime | None
    error_code: int | None
    error_title: str | None
    error_detail: str | None
    conversation_id: str | None
    conversation_category: str | None
    pricing_category: str | None
    pricing_type: str | None
    billable: bool | None
    received_at: datetime
