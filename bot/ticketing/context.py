"""Everything the ticket journeys need, built once per action-server process.

Actions cannot receive dependencies (rasa-sdk instantiates them), so the action
server registers one :class:`Ticketing` in :mod:`bot.services`; tests build their own
against the emulators.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from bot.clients.hi_events import HiEventsClient
from bot.clients.wappbiz import WappbizClient
from bot.payments.base import PaymentGateway
from bot.settings import Settings
from bot.ticketing.messenger import Messenger

__all__ = ["Ticketing", "gateway_from_settings"]


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def gateway_from_settings(settings: Settings) -> PaymentGateway:
    """The configured provider; the conversation is the same for both."""
    if settings.payment_provider == "mercadopago":
        from bot.payments.mercadopago import MercadoPagoGateway

        return MercadoPagoGateway.from_settings(settings)
    from bot.payments.wompi import WompiGateway

    return WompiGateway.from_settings(settings)


@dataclass
class Ticketing:
    settings: Settings
    store: Any
    hi_events: HiEventsClient
    #: Every provider we can receive webhooks from (links made before a switch still pay).
    gateways: dict[str, PaymentGateway]
    messenger: Messenger
    clock: Callable[[], datetime] = _utcnow
    #: Set to wake the fulfilment worker at once after a payment (no polling delay).
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    _tasks: set[asyncio.Task] = field(default_factory=set)

    @classmethod
    def from_settings(cls, settings: Settings, store: Any) -> Ticketing:
        wappbiz = WappbizClient.from_settings(settings)
        gateways = {
            name: gateway_from_settings(settings.copy(update={"payment_provider": name}))
            for name in ("wompi", "mercadopago")
        }
        return cls(
            settings=settings,
            store=store,
            hi_events=HiEventsClient.from_settings(settings),
            gateways=gateways,
            messenger=Messenger(wappbiz, store),
        )

    @property
    def gateway(self) -> PaymentGateway:
        """The provider new payment links are made with (``PAYMENT_PROVIDER``)."""
        return self.gateways[self.settings.payment_provider]

    def now(self) -> datetime:
        return self.clock()

    def background(self, coro: Coroutine[Any, Any, Any]) -> None:
        """Run a courtesy message after the webhook has been answered."""
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for background messages (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def aclose(self) -> None:
        await self.drain()
        await self.hi_events.aclose()
        for gateway in self.gateways.values():
            await gateway.aclose()
        await self.messenger.client.aclose()
