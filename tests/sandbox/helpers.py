"""Shared pieces of the sandbox tests: the stand-in bot and small request helpers."""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from bot.sandbox.config import SandboxConfig

ACCESS_TOKEN = "test-access-token-0123456789"
APP_SECRET = "test-app-secret-ñ-0123456789"
VERIFY_TOKEN = "test-verify-token"
ADMIN_TOKEN = "test-admin-token"
WEBHOOK_PATH = "/webhooks/wappbiz/webhook"


@dataclass
class Captured:
    """One webhook POST as the bot would have received it."""

    body: bytes
    signature: str | None
    content_type: str | None
    payload: dict[str, Any]
    answered: int

    @property
    def signature_valid(self) -> bool:
        expected = "sha256=" + hmac.new(APP_SECRET.encode(), self.body, hashlib.sha256).hexdigest()
        return self.signature is not None and hmac.compare_digest(expected, self.signature)

    @property
    def values(self) -> list[dict[str, Any]]:
        return [
            change["value"]
            for entry in self.payload.get("entry", [])
            for change in entry.get("changes", [])
        ]

    @property
    def field(self) -> str:
        return self.payload["entry"][0]["changes"][0]["field"]

    @property
    def statuses(self) -> list[dict[str, Any]]:
        return [s for v in self.values for s in v.get("statuses", [])]

    @property
    def messages(self) -> list[dict[str, Any]]:
        return [m for v in self.values for m in v.get("messages", [])]


@dataclass
class Receiver:
    """The bot's side: webhook endpoint, verification handshake and admin API."""

    cond: threading.Condition = field(default_factory=threading.Condition)
    webhooks: list[Captured] = field(default_factory=list)
    fail_next: list[int] = field(default_factory=list)
    admin_calls: list[dict[str, Any]] = field(default_factory=list)
    admin_status: int = 200

    def clear(self) -> None:
        with self.cond:
            self.webhooks.clear()
            self.fail_next.clear()
            self.admin_calls.clear()
            self.admin_status = 200

    def record(self, captured: Captured) -> None:
        with self.cond:
            self.webhooks.append(captured)
            self.cond.notify_all()

    def next_status(self) -> int:
        with self.cond:
            return self.fail_next.pop(0) if self.fail_next else 200

    def wait_for(
        self, predicate: Callable[[Captured], bool], count: int = 1, timeout: float = 5.0
    ) -> list[Captured]:
        """Block until ``count`` captured webhooks match ``predicate``."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                found = [c for c in self.webhooks if predicate(c)]
                remaining = deadline - time.monotonic()
                if len(found) >= count or remaining <= 0:
                    break
                self.cond.wait(remaining)
        assert len(found) >= count, f"expected {count} webhooks, got {len(found)}: {found!r}"
        return found

    def wait_status(self, wamid: str, status: str, timeout: float = 5.0) -> dict[str, Any]:
        def match(c: Captured) -> bool:
            return any(s["id"] == wamid and s["status"] == status for s in c.statuses)

        captured = self.wait_for(match, timeout=timeout)[0]
        assert captured.signature_valid
        return next(s for s in captured.statuses if s["id"] == wamid and s["status"] == status)

    def statuses_of(self, wamid: str) -> list[str]:
        with self.cond:
            return [s["status"] for c in self.webhooks for s in c.statuses if s["id"] == wamid]


@dataclass
class Sandbox:
    base_url: str
    config: SandboxConfig
    receiver: Receiver

    @property
    def graph_url(self) -> str:
        return f"{self.base_url}/graph/{self.config.api_version}"

    @property
    def messages_url(self) -> str:
        return f"{self.graph_url}/{self.config.phone_number_id}/messages"


def make_config(receiver_url: str, **overrides: Any) -> SandboxConfig:
    values: dict[str, Any] = {
        "access_token": ACCESS_TOKEN,
        "app_secret": APP_SECRET,
        "verify_token": VERIFY_TOKEN,
        "admin_token": ADMIN_TOKEN,
        "webhook_url": receiver_url + WEBHOOK_PATH,
        "bot_admin_url": receiver_url,
        "status_delay_s": 0.02,
        "template_review_delay_s": 0.05,
        "webhook_backoff_s": 0.02,
        "webhook_max_attempts": 3,
        "webhook_timeout_s": 2.0,
        "fault_timeout_s": 2.0,
        "max_poll_wait_s": 5.0,
    }
    values.update(overrides)
    return SandboxConfig(**values)


def open_window(api: httpx.Client, wa_id: str) -> None:
    api.post(f"/sandbox/api/conversations/{wa_id}/window", json={"open": True}).raise_for_status()


def send(graph: httpx.Client, sandbox: Sandbox, body: dict[str, Any]) -> httpx.Response:
    payload = {"messaging_product": "whatsapp", **body}
    return graph.post(f"/{sandbox.config.phone_number_id}/messages", json=payload)


def text_message(to: str, body: str = "Hola") -> dict[str, Any]:
    return {"to": to, "type": "text", "text": {"body": body}}
