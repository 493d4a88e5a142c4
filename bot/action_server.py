"""The action server: rasa-sdk's app plus the project's own routes.

We build the app ourselves (instead of ``rasa run actions``) to bind to
``BIND_HOST`` rather than 0.0.0.0, add the admin API and open the application
database once per process.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from rasa_sdk.endpoint import create_app

from bot import services
from bot.clients.rasa import RasaClient
from bot.http.admin import admin_blueprint
from bot.http.webhooks import webhooks_blueprint
from bot.logging import configure
from bot.proactive.delivery import OutboxDelivery
from bot.settings import Settings, get_settings
from bot.storage.store import Store
from bot.templates.sandbox_sync import sync_in_sandbox
from bot.ticketing.context import Ticketing
from bot.ticketing.fulfilment import FulfilmentWorker

log = logging.getLogger(__name__)


def build_app(settings: Settings) -> Any:
    app = create_app("actions", cors_origins=[])
    store = Store.from_settings(settings)

    @app.listener("before_server_start")
    async def _open(app: Any, loop: Any) -> None:
        await store.start()
        app.ctx.store = store
        # hand-offs (issue 3): actions share this store; the admin API resumes Rasa
        services.set_store(store)
        app.ctx.rasa = RasaClient(settings.rasa_url, settings.secret("rasa_api_token"))
        # tickets (issue 4): Hi.Events, the payment gateway and the fulfilment worker
        app.ctx.ticketing = Ticketing.from_settings(settings, store)
        services.set_ticketing(app.ctx.ticketing)
        app.ctx.fulfilment = FulfilmentWorker(app.ctx.ticketing)
        app.ctx.fulfilment.start()
        # proactive messages (issue 5): the outbox delivery worker
        app.ctx.outbox = OutboxDelivery(store, settings)
        await app.ctx.outbox.start()
        # sandbox only: the template library submitted to the emulated Wappbíz
        app.ctx.template_sync = asyncio.get_running_loop().create_task(
            sync_in_sandbox(store, settings)
        )

    @app.listener("before_server_stop")
    async def _stop_worker(app: Any, loop: Any) -> None:
        await app.ctx.fulfilment.stop()
        await app.ctx.outbox.stop()
        app.ctx.template_sync.cancel()

    @app.listener("after_server_stop")
    async def _close(app: Any, loop: Any) -> None:
        services.set_store(None)
        services.set_ticketing(None)
        await app.ctx.ticketing.aclose()
        await app.ctx.outbox.aclose()
        await app.ctx.rasa.aclose()
        await store.close()

    app.blueprint(
        admin_blueprint(
            lambda request: request.app.ctx.store,
            settings.secret("admin_token"),
            tokens=settings.admin_tokens,  # ADMIN_TOKENS: viewer/organizer tokens
        )
    )
    app.blueprint(
        webhooks_blueprint(
            lambda request: request.app.ctx.ticketing, settings.secret("hi_events_webhook_secret")
        )
    )
    return app


def main() -> None:
    settings = get_settings()
    configure("actions", settings.log_level, settings.log_format)
    app = build_app(settings)
    log.info("action server on http://%s:%s", settings.bind_host, settings.action_port)
    app.run(settings.bind_host, settings.action_port, workers=1, access_log=False, motd=False)


if __name__ == "__main__":
    main()
