"""In-memory Hi.Events emulator (``../shared/contracts/hi_events.md``) for the sandbox.

``mount_hi_events(app, config)`` adds it to any Sanic app: the API under
``/hi-events/api`` (what ``settings.hi_events_url`` points at when no real Hi.Events is
configured), the controls under ``/hi-events/_sandbox`` and the staff door page at
``/door``. The bot's organizer-level webhook is registered at start, so order,
attendee and check-in events reach ``/webhooks/hi-events`` with no set-up.
"""

from __future__ import annotations

from sanic import Sanic

from bot.sandbox.hi_events.config import HiEventsConfig
from bot.sandbox.hi_events.door import door_blueprint
from bot.sandbox.hi_events.emulator import HiEventsEmulator
from bot.sandbox.hi_events.routes import api_blueprint, sandbox_blueprint

__all__ = ["HiEventsConfig", "HiEventsEmulator", "mount_hi_events"]


def mount_hi_events(app: Sanic, config: HiEventsConfig) -> HiEventsEmulator:
    """Register the emulator's blueprints on ``app``; ``app.ctx.hi_events`` holds it."""
    emulator = HiEventsEmulator(config)
    app.ctx.hi_events = emulator
    app.blueprint(api_blueprint(emulator))
    app.blueprint(sandbox_blueprint(emulator))
    app.blueprint(door_blueprint(emulator, config))

    @app.before_server_stop
    async def _close_hi_events(_app: Sanic, _loop: object) -> None:
        await emulator.close()

    return emulator
