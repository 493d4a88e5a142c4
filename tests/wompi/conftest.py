"""Real servers for the Wompi tests: the emulator and a stand-in for the bot's endpoint.

Both are Sanic apps on loopback sockets in one background loop
(``bot.sandbox.testing.ServerThread``), started once per session. The receiver keeps
every webhook's raw bytes and answers with scripted statuses, so tests assert what
crossed the wire and how the emulator reacted to each answer.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from sanic import Request, Sanic
from sanic.response import HTTPResponse, text

from bot.sandbox.testing import ServerThread
from bot.sandbox.wompi import WompiConfig, WompiEmulator, mount_wompi

PUBLIC_KEY = "pub_test_Q5yDA9xoKdePzhSGeVe9HAez7HgGORGf"
PRIVATE_KEY = "prv_test_Kx2Lz8Pq4Rb7Wn1Ys5Tv3Hc9Jm6Fd0Ga"
EVENTS_SECRET = "test_events_2PDUmhMywUkvb1LvxYnayFbmofT7w39N"
INTEGRITY_SECRET = "test_integrity_nAIBuqayW70XpUqJS4qf4STYiISd89Fp"
WEBHOOK_PATH = "/webhooks/wompi"

_names = itertools.count(1)


@dataclass
class Captured:
    body: bytes
    checksum_header: str | None
    payload: dict[str, Any]
    answered: int


@dataclass
class Receiver:
    """What the bot's webhook endpoint saw; ``script`` holds the next answers to give."""

    captured: list[Captured] = field(default_factory=list)
    script: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_status(self) -> int:
        with self.lock:
            return self.script.pop(0) if self.script else 200

    def record(self, item: Captured) -> None:
        with self.lock:
            self.captured.append(item)

    def clear(self) -> None:
        with self.lock:
            self.captured.clear()
            self.script.clear()

    def events(self, transaction_id: str | None = None) -> list[Captured]:
        with self.lock:
            items = list(self.captured)
        return [
            c
            for c in items
            if transaction_id is None or c.payload["data"]["transaction"]["id"] == transaction_id
        ]

    def wait_for(
        self, predicate: Callable[[list[Captured]], bool], timeout: float = 5.0
    ) -> list[Captured]:
        deadline = time.monotonic() + timeout
        while True:
            items = self.events()
            if predicate(items):
                return items
            if time.monotonic() > deadline:
                raise AssertionError(f"receiver condition not met; got {len(items)} events")
            time.sleep(0.01)


@dataclass
class Wompi:
    base_url: str
    config: WompiConfig
    emulator: WompiEmulator
    receiver: Receiver

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/wompi/v1"

    @property
    def port(self) -> int:
        return int(self.base_url.rsplit(":", 1)[1])


def _receiver_app(receiver: Receiver) -> Sanic:
    app = Sanic(f"wompi_test_receiver_{next(_names)}", configure_logging=False)

    @app.post(WEBHOOK_PATH)
    async def webhook(request: Request) -> HTTPResponse:
        status = receiver.next_status()
        receiver.record(
            Captured(
                body=request.body,
                checksum_header=request.headers.get("x-event-checksum"),
                payload=json.loads(request.body),
                answered=status,
            )
        )
        return text("ok" if status == 200 else "nope", status=status)

    return app


@pytest.fixture(scope="session")
def wompi() -> Iterator[Wompi]:
    servers = ServerThread()
    receiver = Receiver()
    receiver_url = servers.serve(_receiver_app(receiver))
    config = WompiConfig(
        public_key=PUBLIC_KEY,
        private_key=PRIVATE_KEY,
        events_secret=EVENTS_SECRET,
        integrity_secret=INTEGRITY_SECRET,
        events_url=receiver_url + WEBHOOK_PATH,
        webhook_retry_delays_s=[0.05, 0.1, 0.15],
        webhook_timeout_s=2.0,
        settle_delay_s=0.05,
        fault_timeout_s=1.0,
    )
    app = Sanic(f"wompi_test_sandbox_{next(_names)}", configure_logging=False)
    emulator = mount_wompi(app, config)
    base_url = servers.serve(app)
    emulator.config.checkout_base_url = f"{base_url}/wompi/checkout"
    try:
        yield Wompi(base_url, emulator.config, emulator, receiver)
    finally:
        servers.stop()


@pytest.fixture(scope="session")
def http(wompi: Wompi) -> Iterator[httpx.Client]:
    """Plain HTTP to the sandbox (no key): control routes, checkout page."""
    with httpx.Client(base_url=wompi.base_url, timeout=10, trust_env=False) as client:
        yield client


@pytest.fixture(autouse=True)
def _clean(request: pytest.FixtureRequest) -> None:
    """Every test starts with no links, transactions, deliveries, faults or scripts."""
    if "wompi" not in request.fixturenames:
        return
    box: Wompi = request.getfixturevalue("wompi")
    client: httpx.Client = request.getfixturevalue("http")
    client.post("/wompi/_sandbox/reset").raise_for_status()
    box.receiver.clear()


def private_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {PRIVATE_KEY}"}


def public_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {PUBLIC_KEY}"}


def link_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "2 entradas General",
        "description": "Fashion Week Medellín · 2 entradas General",
        "single_use": True,
        "collect_shipping": False,
        "currency": "COP",
        "amount_in_cents": 15_000_000,
        "sku": "FW-2026-0001",
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None or k == "amount_in_cents"}


def create_link(http: httpx.Client, **changes: Any) -> dict[str, Any]:
    response = http.post(
        "/wompi/v1/payment_links", json=link_body(**changes), headers=private_headers()
    )
    assert response.status_code == 201, response.text
    return response.json()["data"]


def pay(http: httpx.Client, link_id: str, **body: Any) -> httpx.Response:
    return http.post(f"/wompi/_sandbox/links/{link_id}/pay", json={"wait": True, **body})
