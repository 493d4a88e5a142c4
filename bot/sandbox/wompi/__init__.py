"""In-memory emulator of Wompi (Bancolombia's payment gateway), sandbox environment.

Follows ``shared/contracts/payments_colombia.md`` §1: the REST API under ``/wompi/v1``,
a hosted checkout for payment links under ``/wompi/checkout`` and the signed events
webhook, plus control routes under ``/wompi/_sandbox``. Choices where the contract is
silent are listed in ``docs/decisions/wompi.md``.

``mount_wompi`` adds it to an existing Sanic app (the sandbox process), so the bot
needs no extra port or process for payments in embedded mode.
"""

from __future__ import annotations

from sanic import Sanic

from bot.sandbox.wompi.api import API_PREFIX, api_blueprint
from bot.sandbox.wompi.checkout import CHECKOUT_PREFIX, checkout_blueprint
from bot.sandbox.wompi.config import CONTRACT_RETRY_DELAYS_S, WompiConfig
from bot.sandbox.wompi.control import CONTROL_PREFIX, control_blueprint
from bot.sandbox.wompi.emulator import WompiApiError, WompiEmulator

__all__ = [
    "API_PREFIX",
    "CHECKOUT_PREFIX",
    "CONTRACT_RETRY_DELAYS_S",
    "CONTROL_PREFIX",
    "WompiApiError",
    "WompiConfig",
    "WompiEmulator",
    "mount_wompi",
]


def mount_wompi(app: Sanic, config: WompiConfig) -> WompiEmulator:
    """Register the Wompi blueprints on ``app`` and return the emulator (``app.ctx.wompi``).

    Blueprint names are unique per app; mounting twice on one app is refused by Sanic.
    The emulator's webhook client and background tasks end before the server stops.
    """
    emulator = WompiEmulator(config)
    app.ctx.wompi = emulator
    app.blueprint(api_blueprint(emulator))
    app.blueprint(checkout_blueprint(emulator))
    app.blueprint(control_blueprint(emulator))

    async def close_wompi(_app: Sanic, _loop: object) -> None:
        await emulator.close()

    app.register_listener(close_wompi, "before_server_stop")
    return emulator
