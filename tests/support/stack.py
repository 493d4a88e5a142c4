"""Start the real assistant (rasa, action server, sandbox) once per test session."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path

from bot.settings import Settings
from bot.stack import Stack
from bot.training import ensure_model


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RunningStack:
    settings: Settings
    stack: Stack
    env: dict[str, str]
    state_dir: Path

    @property
    def sandbox_url(self) -> str:
        return self.settings.sandbox_url

    @property
    def webhook_url(self) -> str:
        """The public webhook (the ingress), where Wappbíz posts."""
        return self.settings.webhook_url

    @property
    def rasa_webhook_url(self) -> str:
        """The channel's own route, for one-process deployments."""
        return f"{self.settings.rasa_url}/webhooks/wappbiz/webhook"


def start_stack(state_dir: Path, extra_env: dict[str, str] | None = None) -> RunningStack:
    """Free ports, a private state dir (SQLite files, sandbox secrets), output to log files."""
    env = {
        "STATE_DIR": str(state_dir),
        "RASA_PORT": str(free_port()),
        "ACTION_PORT": str(free_port()),
        "SANDBOX_PORT": str(free_port()),
        "INGRESS_PORT": str(free_port()),
        "LOG_LEVEL": "INFO",
        **(extra_env or {}),
    }
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        settings = Settings()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    from bot.storage.migrate import upgrade

    upgrade(settings.resolved_database_url)
    model = ensure_model(settings)
    stack = Stack(settings, model, env=env, log_dir=state_dir / "logs")
    stack.start(timeout=300)
    return RunningStack(settings, stack, env, state_dir)
