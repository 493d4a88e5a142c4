"""Configuration of the Wappbíz sandbox (the local WhatsApp Cloud API stand-in).

A plain dataclass rather than pydantic settings: tests build it directly with tiny
delays and free ports, and ``from_settings`` is the single bridge to the environment.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover - typing only
    from bot.settings import Settings

#: Fields that may be changed at runtime through ``POST /sandbox/api/config``
#: (tests and the web chat toggle behaviour without restarting the sandbox).
RUNTIME_TUNABLE = frozenset(
    {
        "auto_read",
        "sync_window_error",
        "rate_limit_per_s",
        "status_delay_s",
        "status_batch_window_s",
        "pair_rate_limit",
        "pair_burst",
        "pair_interval_s",
        "template_review_delay_s",
        "webhook_max_attempts",
        "webhook_backoff_s",
        "webhook_url",
    }
)


@dataclass
class SandboxConfig:
    """Everything the emulator needs; secrets are never logged or echoed by the API."""

    access_token: str
    app_secret: str
    verify_token: str
    phone_number_id: str = "106540352242922"
    waba_id: str = "102290129340398"
    display_phone_number: str = "573145550100"
    api_version: str = "v21.0"
    #: Where the bot's Rasa channel listens for signed webhooks.
    webhook_url: str = "http://127.0.0.1:5006/webhook"
    #: Base URL of the action server (admin routes such as contact roles).
    bot_admin_url: str = "http://127.0.0.1:5055"
    admin_token: str = ""
    #: Business profile name shown in the web chat header.
    business_name: str = "Fashionistas Medellín"
    #: Throughput per phone number (messages/second, token bucket) -> 130429.
    rate_limit_per_s: float = 80.0
    #: Delay between successive status webhooks (sent, delivered, read).
    status_delay_s: float = 0.05
    #: 0: one webhook per status. Above 0: statuses emitted within this many seconds go
    #: in one webhook (``statuses[]`` holds many, as Meta batches them under load).
    status_batch_window_s: float = 0.0
    #: At most this many statuses per batched webhook.
    status_batch_max: int = 100
    #: Emit ``read`` for every outbound message without a human (CLI, tests, bench).
    auto_read: bool = False
    #: 131047 answered synchronously (HTTP 400) when True, else a later ``failed`` status.
    sync_window_error: bool = True
    #: Customer-service window length; contract §8 says 24 h.
    window_s: float = 24 * 3600.0
    #: Optional (business, consumer) pair limit -> 131056; off by default.
    pair_rate_limit: bool = False
    pair_burst: int = 45
    pair_interval_s: float = 6.0
    #: Webhook delivery: attempts, exponential backoff base and per-attempt timeout.
    webhook_max_attempts: int = 5
    webhook_backoff_s: float = 0.5
    webhook_timeout_s: float = 10.0
    #: Seconds a new template stays PENDING before it is decided.
    template_review_delay_s: float = 1.0
    #: Lifetime of a media download URL (contract §5: about 5 minutes).
    media_url_ttl_s: float = 300.0
    #: How long the "timeout" fault sleeps before answering 504.
    fault_timeout_s: float = 30.0
    #: Upper bound for the long-poll ``wait`` parameter.
    max_poll_wait_s: float = 25.0
    #: Timeout when forwarding role changes to the bot's admin API.
    admin_timeout_s: float = 5.0
    #: Messages kept in memory (oldest are dropped first).
    max_messages: int = 20_000
    #: Delivery records kept for ``GET /sandbox/api/webhook-deliveries``.
    max_deliveries: int = 2_000

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> SandboxConfig:
        """Build the sandbox configuration the bot processes agree on.

        Secrets come from ``settings.secret`` so the sandbox and the bot read the same
        per-machine generated values in embedded mode.
        """
        values: dict[str, Any] = {
            "access_token": settings.secret("wappbiz_access_token"),
            "app_secret": settings.secret("wappbiz_app_secret"),
            "verify_token": settings.secret("wappbiz_verify_token"),
            "admin_token": settings.secret("admin_token"),
            "phone_number_id": settings.wappbiz_phone_number_id,
            "waba_id": settings.wappbiz_waba_id,
            "display_phone_number": settings.wappbiz_display_number,
            "api_version": settings.wappbiz_api_version,
            "webhook_url": settings.webhook_url,
            "bot_admin_url": settings.action_url,
        }
        values.update(overrides)
        return cls(**values)

    def replace(self, **changes: Any) -> SandboxConfig:
        """A copy with some fields changed (used for runtime tuning and reset)."""
        return dataclasses.replace(self, **changes)

    def public_view(self) -> dict[str, Any]:
        """The non-secret part of the configuration, safe to show in the web chat."""
        hidden = {"access_token", "app_secret", "verify_token", "admin_token"}
        return {k: v for k, v in dataclasses.asdict(self).items() if k not in hidden}
