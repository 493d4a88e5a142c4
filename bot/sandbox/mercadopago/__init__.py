"""Local stand-in for Mercado Pago Checkout Pro (contract §2), mounted at ``/mercadopago``.

``mount_mercadopago`` adds the emulator to an existing Sanic app (the sandbox) so
one process serves every provider; the lead wires it into ``bot.sandbox.app``.
"""

from __future__ import annotations

from sanic import Sanic

from bot.sandbox.mercadopago.config import MercadoPagoConfig
from bot.sandbox.mercadopago.emulator import MercadoPagoApiError, MercadoPagoEmulator
from bot.sandbox.mercadopago.routes import api_blueprint, checkout_blueprint, sandbox_blueprint

__all__ = [
    "MercadoPagoApiError",
    "MercadoPagoConfig",
    "MercadoPagoEmulator",
    "mount_mercadopago",
]


def mount_mercadopago(app: Sanic, config: MercadoPagoConfig) -> MercadoPagoEmulator:
    """Register the API, hosted checkout and control blueprints; expose ``app.ctx.mercadopago``.

    The emulator's webhook HTTP client and pending deliveries are closed before the
    server stops, so a test run or a Ctrl-C leaves no task talking to a dead loop.
    """
    emulator = MercadoPagoEmulator(config)
    app.ctx.mercadopago = emulator
    app.blueprint(api_blueprint(emulator))
    app.blueprint(checkout_blueprint(emulator))
    app.blueprint(sandbox_blueprint(emulator))

    async def close_mercadopago(_app: Sanic, _loop: object) -> None:
        await emulator.close()

    app.register_listener(close_mercadopago, "before_server_stop")
    return emulator
