"""Run Sanic apps (the sandbox, a stand-in bot) inside a test process.

Shipped with the code, like procrastinate's ``testing.py``, so every test suite that
needs the emulator starts it the same way: a private event loop in a daemon thread,
real loopback sockets, no subprocess start-up cost.

Sanic 21.12 rewrites some of its own methods when an app starts ("touch-up"); with
two apps in one process the second rewrite fails unless ``Sanic.test_mode`` is on,
which is why ``ServerThread`` turns it on. Never use this in production code.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any

from sanic import Sanic

from bot.sandbox.app import create_sandbox_app
from bot.sandbox.config import SandboxConfig


class ServerThread:
    """Hosts Sanic apps on ``127.0.0.1`` ephemeral ports in one background loop."""

    def __init__(self) -> None:
        Sanic.test_mode = True
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()
        self._servers: list[Any] = []

    def serve(self, app: Sanic, timeout: float = 15.0, port: int = 0) -> str:
        """Start ``app`` and return its base URL (``http://127.0.0.1:<port>``).

        ``port`` 0 picks a free one; a fixed port is for apps that must know each
        other's URLs before they start (the sandbox posts webhooks to the action server).
        """
        sock = socket.socket()
        sock.bind(("127.0.0.1", port))
        port = sock.getsockname()[1]
        future = asyncio.run_coroutine_threadsafe(self._start(app, sock), self.loop)
        future.result(timeout=timeout)
        return f"http://127.0.0.1:{port}"

    async def _start(self, app: Sanic, sock: socket.socket) -> None:
        server = await app.create_server(sock=sock, return_asyncio_server=True, access_log=False)
        if server is None:  # pragma: no cover - only when return_asyncio_server is False
            raise RuntimeError("Sanic did not return a server")
        # create_server already awaited the AsyncioServer: it is listening now.
        await server.startup()
        await server.before_start()
        await server.after_start()
        self._servers.append(server)

    async def _stop_all(self) -> None:
        for server in self._servers:
            await server.before_stop()
            server.close()
            for connection in list(server.connections):
                connection.close_if_idle()
            await server.after_stop()
        self._servers.clear()

    def stop(self, timeout: float = 15.0) -> None:
        asyncio.run_coroutine_threadsafe(self._stop_all(), self.loop).result(timeout=timeout)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=timeout)

    def __enter__(self) -> ServerThread:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


@contextmanager
def running_sandbox(config: SandboxConfig) -> Iterator[tuple[str, Sanic]]:
    """``with running_sandbox(cfg) as (base_url, app):`` for a one-off sandbox."""
    with ServerThread() as servers:
        app = create_sandbox_app(config)
        yield servers.serve(app), app
