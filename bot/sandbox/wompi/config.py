"""Configuration of the Wompi sandbox emulator.

A plain dataclass, like :class:`bot.sandbox.config.SandboxConfig`: tests build it with
tiny delays, and ``from_settings`` is the one bridge to the environment, so the bot's
client and the emulator read the same per-machine generated keys.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover - typing only
    from bot.settings import Settings

#: Wompi's documented retry policy for the events webhook: 30 min, 3 h, 24 h.
CONTRACT_RETRY_DELAYS_S: tuple[float, ...] = (1800.0, 10800.0, 86400.0)

#: Fields ``POST /wompi/_sandbox/config`` may change at runtime (tests, the launcher).
RUNTIME_TUNABLE = frozenset(
    {"events_url", "webhook_retry_delays_s", "settle_delay_s", "send_pending_event"}
)


@dataclass
class WompiConfig:
    """Everything the emulator needs; the keys are never echoed by its API."""

    public_key: str
    private_key: str
    events_secret: str
    integrity_secret: str
    #: The bot's events endpoint (Wompi allows one per environment).
    events_url: str = "http://127.0.0.1:5055/webhooks/wompi"
    environment: str = "test"
    #: Delays before the 2nd, 3rd, 4th delivery attempt. The contract says 30 min, 3 h,
    #: 24 h (:data:`CONTRACT_RETRY_DELAYS_S`); the sandbox compresses them to seconds so
    #: a developer sees retries happen, with the same count of attempts.
    webhook_retry_delays_s: list[float] = field(default_factory=lambda: [2.0, 10.0, 30.0])
    webhook_timeout_s: float = 10.0
    #: Absolute base of the hosted checkout, used for links shown by the sandbox API.
    checkout_base_url: str = "http://127.0.0.1:5080/wompi/checkout"
    #: Seconds a transaction stays PENDING before the sandbox rules decide it.
    settle_delay_s: float = 0.3
    #: Also send ``transaction.updated`` for the initial PENDING (off: only finals).
    send_pending_event: bool = False
    #: How long a ``"timeout"`` fault holds the request before answering 504.
    fault_timeout_s: float = 15.0
    merchant_name: str = "Fashionistas Medellín"
    merchant_email: str = "pagos@fashionistas.co"
    #: First part of transaction ids (``<merchant>-<unix s>-<5 digits>``).
    merchant_id: int = 15113
    #: Delivery records kept for ``GET /wompi/_sandbox/deliveries``.
    max_deliveries: int = 2_000

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> WompiConfig:
        """Keys from ``settings.secret`` (sandbox values with Wompi's test prefixes)."""
        values: dict[str, Any] = {
            "public_key": settings.secret("wompi_public_key"),
            "private_key": settings.secret("wompi_private_key"),
            "events_secret": settings.secret("wompi_events_secret"),
            "integrity_secret": settings.secret("wompi_integrity_secret"),
            "events_url": f"{settings.action_url}/webhooks/wompi",
            "checkout_base_url": settings.wompi_checkout_base,
        }
        values.update(overrides)
        return cls(**values)

    def replace(self, **changes: Any) -> WompiConfig:
        """A copy with some fields changed (runtime tuning)."""
        return dataclasses.replace(self, **changes)

    def public_view(self) -> dict[str, Any]:
        """The non-secret fields (the public key is public by design)."""
        hidden = {"private_key", "events_secret", "integrity_secret"}
        return {k: v for k, v in dataclasses.asdict(self).items() if k not in hidden}
