"""Configuration of the Mercado Pago emulator (contract §2, Checkout Pro).

A plain dataclass like :class:`bot.sandbox.config.SandboxConfig`: tests build it with
tiny retry delays, and ``from_settings`` is the one bridge to the environment, so the
sandbox and the bot read the same per-machine generated token and webhook secret.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover - typing only
    from bot.settings import Settings


@dataclass
class MercadoPagoConfig:
    """Everything the emulator needs; the token and secret are never echoed by its API."""

    #: ``Authorization: Bearer <token>`` every API call must carry (``TEST-…`` in the sandbox).
    access_token: str
    #: The application's webhook signing secret ("clave secreta" in Tus integraciones).
    webhook_secret: str
    #: The dashboard-configured webhook (contract: preferred over ``notification_url``).
    webhook_url: str = "http://127.0.0.1:5055/webhooks/mercadopago"
    #: The collector (seller) account: ``user_id`` in webhooks, ``collector_id`` elsewhere.
    user_id: int = 1_987_654_321
    #: Waits before each retry of a webhook that was not answered 200/201. Mercado Pago
    #: retries every 15 minutes; the sandbox compresses that so a developer sees it happen.
    retry_delays_s: tuple[float, ...] = (2.0, 10.0, 30.0)
    #: Mercado Pago gives the receiver 22 s to answer before it counts as a failure.
    webhook_timeout_s: float = 22.0
    #: Origin of ``init_point`` links (the buyer's browser opens them). ``None`` = the
    #: scheme and host the API call came in on, which is how the bot reached the sandbox.
    public_base_url: str | None = None
    #: Seconds before the hosted page follows ``auto_return`` (≈40 s and fixed at Mercado
    #: Pago; shorter here so testers are not kept waiting).
    auto_return_delay_s: float = 5.0
    #: Name shown on the hosted checkout page.
    business_name: str = "Fashionistas Medellín"
    #: Delivery records kept for ``GET /mercadopago/_sandbox/deliveries``.
    max_deliveries: int = 2_000
    #: Application id, echoed as ``client_id`` on preferences.
    client_id: str = field(default="6245132298573114")

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> MercadoPagoConfig:
        """The configuration the bot processes agree on; ``overrides`` win (tests, CLI)."""
        values: dict[str, Any] = {
            "access_token": settings.secret("mercadopago_access_token"),
            "webhook_secret": settings.secret("mercadopago_webhook_secret"),
            "webhook_url": f"{settings.action_url}/webhooks/mercadopago",
        }
        values.update(overrides)
        if "retry_delays_s" in values:
            values["retry_delays_s"] = tuple(float(d) for d in values["retry_delays_s"])
        return cls(**values)

    def replace(self, **changes: Any) -> MercadoPagoConfig:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)

    def public_view(self) -> dict[str, Any]:
        """The non-secret part, safe to show to a developer."""
        hidden = {"access_token", "webhook_secret"}
        return {k: v for k, v in dataclasses.asdict(self).items() if k not in hidden}
