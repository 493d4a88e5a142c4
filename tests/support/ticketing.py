"""The ticket journey without Rasa: sandbox (all emulators) + action server in-process.

Both apps run in one :class:`bot.sandbox.testing.ServerThread` on fixed free ports so
each knows the other's URL before starting: the Wompi, Mercado Pago and Hi.Events
emulators post their signed webhooks to the real action server routes, which send
QR tickets through the real Wappbíz emulator. Used by ``tests/ticketing`` and by
``python -m bench purchases``.
"""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import zxingcpp
from PIL import Image

from bot.action_server import build_app
from bot.sandbox.app import create_sandbox_app
from bot.sandbox.config import SandboxConfig
from bot.sandbox.hi_events import HiEventsConfig
from bot.sandbox.mercadopago import MercadoPagoConfig
from bot.sandbox.testing import ServerThread
from bot.sandbox.wompi import WompiConfig
from bot.settings import Settings
from bot.storage.migrate import upgrade
from tests.support.stack import free_port


@dataclass
class TicketingHarness:
    settings: Settings
    sandbox_url: str
    action_url: str
    sandbox_app: Any
    action_app: Any
    servers: ServerThread

    def run(self, coro: Any, timeout: float = 60.0) -> Any:
        """Run a coroutine on the servers' loop (where the action server's objects live)."""
        return asyncio.run_coroutine_threadsafe(coro, self.servers.loop).result(timeout)

    @property
    def ticketing(self) -> Any:
        return self.action_app.ctx.ticketing

    def messages_to(self, wa_id: str) -> list[dict[str, Any]]:
        """Messages the bot sent to ``wa_id``, as the Wappbíz emulator accepted them."""
        response = httpx.get(
            f"{self.sandbox_url}/sandbox/api/conversations/{wa_id}/messages",
            params={"after": 0},
            timeout=10,
        )
        response.raise_for_status()
        return [m for m in response.json()["messages"] if m.get("direction") == "out"]

    def open_window(self, wa_id: str) -> None:
        """As if ``wa_id`` had just written to us: WhatsApp's 24-hour window is open."""
        response = httpx.post(
            f"{self.sandbox_url}/sandbox/api/conversations/{wa_id}/window",
            json={"open": True},
            timeout=10,
        )
        response.raise_for_status()

    def wait_for(self, wa_id: str, predicate: Any, timeout: float = 20.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while True:
            messages = self.messages_to(wa_id)
            if predicate(messages):
                return messages
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; messages so far: {messages}")
            time.sleep(0.05)

    def decode_qr(self, media_id: str) -> str:
        """Download an image the bot sent and read its QR code with a real decoder."""
        response = httpx.get(f"{self.sandbox_url}/sandbox/media/{media_id}", timeout=10)
        response.raise_for_status()
        found = zxingcpp.read_barcodes(Image.open(io.BytesIO(response.content)))
        if len(found) != 1:
            raise AssertionError(f"expected one QR code in {media_id}, found {len(found)}")
        return found[0].text


def images(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m for m in messages if m.get("type") == "image"]


@contextmanager
def running_ticketing(
    state_dir: Path, *, database_url: str | None = None, **overrides: Any
) -> Iterator[TicketingHarness]:
    """Start the sandbox and the action server for ticket tests (SQLite by default)."""
    settings = Settings(
        state_dir=state_dir,
        sandbox_port=free_port(),
        action_port=free_port(),
        database_url=database_url or f"sqlite:///{state_dir / 'app.db'}",
        **overrides,
    )
    upgrade(settings.resolved_database_url)
    sandbox = create_sandbox_app(
        SandboxConfig.from_settings(
            # no ingress runs here: status webhooks are tried once and dropped
            settings,
            auto_read=False,
            webhook_max_attempts=1,
        ),
        hi_events=HiEventsConfig.from_settings(settings),
        wompi=WompiConfig.from_settings(settings),
        mercadopago=MercadoPagoConfig.from_settings(settings),
    )
    action = build_app(settings)
    with ServerThread() as servers:
        sandbox_url = servers.serve(sandbox, port=settings.sandbox_port)
        action_url = servers.serve(action, port=settings.action_port)
        yield TicketingHarness(settings, sandbox_url, action_url, sandbox, action, servers)
