"""``python -m bot.sandbox``: serve the Wappbíz emulator and the web chat.

Listens on ``BIND_HOST:SANDBOX_PORT`` with secrets and ids from ``bot.settings`` so the
bot processes (which read the same settings) talk to it without extra setup.
"""

from __future__ import annotations

import argparse

from bot.logging import configure
from bot.sandbox.app import create_sandbox_app
from bot.sandbox.config import SandboxConfig
from bot.sandbox.hi_events import HiEventsConfig
from bot.sandbox.mercadopago import MercadoPagoConfig
from bot.sandbox.wompi import WompiConfig
from bot.settings import get_settings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bot.sandbox", description=__doc__)
    parser.add_argument("--auto-read", action="store_true", help="emit read for every outbound")
    parser.add_argument(
        "--async-window-error",
        action="store_true",
        help="accept sends outside the 24 h window and fail them later (status webhook)",
    )
    args = parser.parse_args(argv)
    settings = get_settings()
    configure("sandbox", settings.log_level, settings.log_format)
    overrides = {}
    if args.auto_read:
        overrides["auto_read"] = True
    if args.async_window_error:
        overrides["sync_window_error"] = False
    config = SandboxConfig.from_settings(settings, **overrides)
    app = create_sandbox_app(
        config,
        name="wappbiz_sandbox",
        hi_events=HiEventsConfig.from_settings(settings),
        wompi=WompiConfig.from_settings(settings),
        mercadopago=MercadoPagoConfig.from_settings(settings),
    )
    app.run(host=settings.bind_host, port=settings.sandbox_port, access_log=False, motd=False)


if __name__ == "__main__":
    main()
