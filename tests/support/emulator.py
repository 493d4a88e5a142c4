"""A Wappbíz emulator running in the test process, for suites that talk to it directly.

Shared by the outbox and template tests: the same quiet configuration (status webhooks
go to port 9, which refuses at once; a high throughput limit) and the same handle.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from bot.sandbox.app import create_sandbox_app
from bot.sandbox.config import SandboxConfig
from bot.sandbox.testing import ServerThread


@dataclass
class EmulatorHandle:
    """The running emulator's base URL and configuration, and its sandbox API."""

    base_url: str
    config: SandboxConfig

    @property
    def graph_url(self) -> str:
        return f"{self.base_url}/graph/{self.config.api_version}"

    def api(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.base_url, timeout=10)

    async def tune(self, **changes: Any) -> None:
        async with self.api() as api:
            (await api.post("/sandbox/api/config", json=changes)).raise_for_status()


def quiet_config(access_token: str, name: str, **overrides: Any) -> SandboxConfig:
    """Test secrets; status webhooks to port 9 (discard refuses connections), tried once."""
    values: dict[str, Any] = {
        "access_token": access_token,
        "app_secret": f"{name}-test-app-secret",
        "verify_token": f"{name}-test-verify",
        "webhook_url": "http://127.0.0.1:9/webhook",
        "webhook_max_attempts": 1,
        "webhook_timeout_s": 0.5,
        "status_delay_s": 0.01,
        "rate_limit_per_s": 2000.0,
        **overrides,
    }
    return SandboxConfig(**values)


@contextmanager
def serving(config: SandboxConfig) -> Iterator[str]:
    """Serve the emulator with ``config``; yields its base URL."""
    with ServerThread() as servers:
        yield servers.serve(create_sandbox_app(config))
