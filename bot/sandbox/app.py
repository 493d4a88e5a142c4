"""App factory of the sandbox: the Wappbíz emulator plus the WhatsApp-like web chat.

``create_sandbox_app`` is the only way the sandbox is built (CLI, tests, launcher),
so every process gets the same routes, limits and error mapping.
"""

from __future__ import annotations

import itertools
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from sanic import Request, Sanic
from sanic.exceptions import MethodNotSupported, NotFound, SanicException
from sanic.response import HTTPResponse, file

from bot.logging import event
from bot.sandbox.config import SandboxConfig
from bot.sandbox.graph_errors import GraphError
from bot.sandbox.graph_routes import graph_blueprint, graph_error_response
from bot.sandbox.http import reply
from bot.sandbox.sandbox_api import sandbox_blueprint
from bot.sandbox.wappbiz_emulator import WappbizEmulator

if TYPE_CHECKING:  # the other emulators are imported only when mounted
    from bot.sandbox.hi_events import HiEventsConfig
    from bot.sandbox.mercadopago import MercadoPagoConfig
    from bot.sandbox.wompi import WompiConfig

log = logging.getLogger(__name__)

WEBCHAT_DIR = Path(__file__).resolve().parent / "webchat"
_APP_NUMBERS = itertools.count(1)


def create_sandbox_app(
    config: SandboxConfig,
    name: str | None = None,
    *,
    hi_events: HiEventsConfig | None = None,
    wompi: WompiConfig | None = None,
    mercadopago: MercadoPagoConfig | None = None,
) -> Sanic:
    """Build the sandbox Sanic app; ``name`` must be unique per process (Sanic 21.12 rule).

    The Hi.Events, Wompi and Mercado Pago emulators are mounted when their configuration
    is given (``python -m bot.sandbox`` always gives them; the Wappbíz-only tests don't).
    """
    app = Sanic(name or f"wappbiz_sandbox_{next(_APP_NUMBERS)}", configure_logging=False)
    # 100 MB documents (contract §5) plus multipart/base64 overhead.
    app.config.REQUEST_MAX_SIZE = 150 * 1024 * 1024
    app.config.RESPONSE_TIMEOUT = max(60, int(config.fault_timeout_s) + 15)
    app.config.FALLBACK_ERROR_FORMAT = "json"
    emulator = WappbizEmulator(config)
    app.ctx.emulator = emulator

    app.blueprint(graph_blueprint(emulator))
    app.blueprint(sandbox_blueprint(emulator))
    if hi_events is not None:
        from bot.sandbox.hi_events import mount_hi_events

        mount_hi_events(app, hi_events)
    if wompi is not None:
        from bot.sandbox.wompi import mount_wompi

        mount_wompi(app, wompi)
    if mercadopago is not None:
        from bot.sandbox.mercadopago import mount_mercadopago

        mount_mercadopago(app, mercadopago)
    _mount_webchat(app)

    @app.exception(NotFound, MethodNotSupported)
    async def not_found(request: Request, error: Exception) -> HTTPResponse:
        if request.path.startswith("/graph/"):
            return graph_error_response(
                GraphError(100, f"Unknown path components: {request.method} {request.path}")
            )
        status = 405 if isinstance(error, MethodNotSupported) else 404
        return reply({"error": "not_found", "message": f"{request.method} {request.path}"}, status)

    @app.exception(Exception)
    async def unexpected(request: Request, error: Exception) -> HTTPResponse:
        """Sanic's own errors keep their status; bugs become 500 in the caller's dialect."""
        status = error.status_code if isinstance(error, SanicException) else 500
        if not isinstance(error, SanicException):
            log.exception("sandbox.unhandled", exc_info=error)
        if request.path.startswith("/graph/"):
            code = 131000 if status >= 500 else 100
            return graph_error_response(GraphError(code, str(error) or None, http_status=status))
        return reply(
            {"error": "internal" if status >= 500 else "bad_request", "message": str(error)}, status
        )

    @app.after_server_start
    async def started(_app: Sanic, _loop: object) -> None:
        event(
            log,
            "sandbox.started",
            phone_number_id=config.phone_number_id,
            webhook_url=config.webhook_url,
            auto_read=config.auto_read,
        )

    @app.before_server_stop
    async def stopping(_app: Sanic, _loop: object) -> None:
        await emulator.close()

    return app


def _mount_webchat(app: Sanic) -> None:
    """``GET /`` serves the chat page; its assets live under ``/webchat/``."""

    @app.get("/")
    async def index(_request: Request) -> HTTPResponse:
        return await file(WEBCHAT_DIR / "index.html", mime_type="text/html; charset=utf-8")

    app.static("/webchat", str(WEBCHAT_DIR), name="webchat")
