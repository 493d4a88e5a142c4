"""The stand-in bot for the Mercado Pago tests: a webhook receiver that keeps raw bytes.

Everything a test asserts about a webhook (query, headers, body) is what crossed
the wire, so signature checks run on exactly what the real bot would get.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from sanic import Request, Sanic
from sanic.response import HTTPResponse, text

from bot.sandbox.mercadopago import MercadoPagoEmulator

ACCESS_TOKEN = "TEST-6245132298573114-010912-test-token-0123456789"
WEBHOOK_SECRET = "mp-webhook-secret-0123456789abcdef"
WEBHOOK_PATH = "/webhooks/mercadopago"
ALT_WEBHOOK_PATH = "/webhooks/mercadopago-notification-url"

_names = itertools.count(1)


@dataclass
class Captured:
    """One webhook POST as the bot would have received it."""

    path: str
    body: bytes
    headers: dict[str, str]
    query: dict[str, str]
    answered: int

    @property
    def payload(self) -> dict[str, Any]:
        return json.loads(self.body)

    @property
    def signature(self) -> str:
        return self.headers.get("x-signature", "")

    @property
    def request_id(self) -> str:
        return self.headers.get("x-request-id", "")


@dataclass
class Receiver:
    cond: threading.Condition = field(default_factory=threading.Condition)
    webhooks: list[Captured] = field(default_factory=list)
    fail_next: list[int] = field(default_factory=list)

    def clear(self) -> None:
        with self.cond:
            self.webhooks.clear()
            self.fail_next.clear()

    def next_status(self) -> int:
        with self.cond:
            return self.fail_next.pop(0) if self.fail_next else 200

    def record(self, captured: Captured) -> None:
        with self.cond:
            self.webhooks.append(captured)
            self.cond.notify_all()

    def wait_for(
        self,
        predicate: Callable[[Captured], bool] = lambda _c: True,
        count: int = 1,
        timeout: float = 5.0,
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

    def for_payment(self, payment_id: int | str, count: int = 1) -> list[Captured]:
        return self.wait_for(lambda c: c.query.get("data.id") == str(payment_id), count)


def receiver_app(receiver: Receiver) -> Sanic:
    app = Sanic(f"mp_test_receiver_{next(_names)}", configure_logging=False)

    async def capture(request: Request) -> HTTPResponse:
        status = receiver.next_status()
        receiver.record(
            Captured(
                path=request.path,
                body=request.body,
                headers={k.lower(): v for k, v in request.headers.items()},
                query={k: request.args.get(k) for k in request.args},
                answered=status,
            )
        )
        return text("ok" if status < 300 else "nope", status=status)

    app.add_route(capture, WEBHOOK_PATH, methods=["POST"], name="capture")
    app.add_route(capture, ALT_WEBHOOK_PATH, methods=["POST"], name="capture_alt")
    return app


@dataclass
class MP:
    """A running emulator: its base URL, the in-process object and the receiver."""

    base_url: str
    emulator: MercadoPagoEmulator
    receiver: Receiver
    receiver_url: str

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/mercadopago"

    def api(self, token: str = ACCESS_TOKEN) -> httpx.Client:
        return httpx.Client(
            base_url=self.api_url,
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
            trust_env=False,
        )

    def control(self) -> httpx.Client:
        return httpx.Client(base_url=f"{self.api_url}/_sandbox", timeout=10, trust_env=False)


def preference_body(reference: str = "FSH-0001", amount: int = 150_000, **extra: Any) -> dict:
    return {
        "items": [
            {
                "id": "vip",
                "title": "Fashionistas Night · VIP",
                "quantity": 1,
                "currency_id": "COP",
                "unit_price": amount,
            }
        ],
        "external_reference": reference,
        **extra,
    }


def in_minutes(minutes: float) -> str:
    moment = dt.datetime.now(dt.timezone(dt.timedelta(hours=-5))) + dt.timedelta(minutes=minutes)
    return moment.isoformat(timespec="milliseconds")
