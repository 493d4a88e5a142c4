"""Configuration of the Hi.Events emulator.

A plain dataclass like :class:`bot.sandbox.config.SandboxConfig`: tests build it
directly (tiny timeouts, a local receiver as webhook target) and ``from_settings``
is the one bridge to the environment, so the emulator and the bot's client always
agree on the credentials and on the webhook secret.
"""

from __future__ import annotations

import dataclasses
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover - typing only
    from bot.settings import Settings


@dataclass
class HiEventsConfig:
    """Everything the emulator needs; the password and secrets are never echoed."""

    #: Login of the single emulated user (owner of account ``account_id``).
    email: str
    password: str
    #: Pre-registered organizer-level webhook (the bot's ``/webhooks/hi-events``);
    #: empty = none, the bot would have to register one itself.
    webhook_url: str = ""
    webhook_secret: str = ""
    organizer_id: int = 1
    account_id: int = 1
    #: Key of the HS256 JWTs; random per process unless pinned (tokens then survive restarts).
    jwt_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    #: ``JWT_TTL`` of Hi.Events: 10080 min = 7 days.
    jwt_ttl_min: int = 10080
    #: ``order_timeout_in_minutes`` of the seeded events (Hi.Events default 15).
    order_timeout_min: int = 15
    #: Per-call timeout of outgoing webhooks (spatie webhook-server config: 3 s).
    webhook_timeout_s: float = 3.0
    #: Hosts a webhook may point at although they are internal
    #: (``app.allowed_internal_webhook_hosts``); the sandbox allows loopback.
    allowed_internal_webhook_hosts: tuple[str, ...] = ()
    #: Where people reach the sandbox (printed door URL); None = the local address.
    public_base_url: str | None = None
    #: How long the "timeout" fault sleeps before answering 504.
    fault_timeout_s: float = 30.0
    #: ``APP_API_RATE_LIMIT_PER_MINUTE``; 0 = no throttle (the default, so benches run free).
    rate_limit_per_min: int = 0

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> HiEventsConfig:
        """The sandbox side of the settings the bot's ``HiEventsClient`` reads."""
        values: dict[str, Any] = {
            "email": settings.hi_events_email,
            "password": settings.secret("hi_events_password"),
            "webhook_url": f"{settings.action_url}/webhooks/hi-events",
            "webhook_secret": settings.secret("hi_events_webhook_secret"),
            "organizer_id": settings.hi_events_organizer_id,
            "account_id": settings.hi_events_account_id or 1,
            "allowed_internal_webhook_hosts": ("127.0.0.1",),
            "public_base_url": settings.public_base_url,
        }
        values.update(overrides)
        return cls(**values)

    def door_url(self, local_base_url: str) -> str:
        """Where staff open the door page (the public address when there is one)."""
        return f"{(self.public_base_url or local_base_url).rstrip('/')}/door"

    def replace(self, **changes: Any) -> HiEventsConfig:
        return dataclasses.replace(self, **changes)

    def __repr__(self) -> str:  # secrets stay out of logs and tracebacks
        return (
            f"HiEventsConfig(email={self.email!r}, webhook_url={self.webhook_url!r}, "
            f"organizer_id={self.organizer_id}, account_id={self.account_id})"
        )
