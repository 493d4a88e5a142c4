"""Real servers for the Hi.Events tests: the emulator and a stand-in for the bot.

Both are Sanic apps on loopback sockets in one background loop
(``bot.sandbox.testing.ServerThread``), started once per session. The stand-in
records every webhook with its raw bytes, so tests check the signature over what
actually crossed the wire. Every test starts from freshly seeded data.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from sanic import Request, Sanic
from sanic.response import HTTPResponse, text

from bot.clients.hi_events import HiEventsClient
from bot.sandbox.emulator_state import MediaItem
from bot.sandbox.hi_events import HiEventsConfig, HiEventsEmulator, mount_hi_events
from bot.sandbox.testing import ServerThread
from bot.ticketing import catalog

EMAIL = "bot@fashionistas.co"
PASSWORD = "pasarela-2026-secreta"
WEBHOOK_SECRET = "whsec_test_0123456789abcdef"
WEBHOOK_PATH = "/webhooks/hi-events"

_names = itertools.count(1)


@dataclass
class Captured:
    body: bytes
    headers: dict[str, str]
    event_type: str
    payload: dict[str, Any]


@dataclass
class Receiver:
    """The bot's webhook endpoint, as far as these tests care."""

    captured: list[Captured] = field(default_factory=list)
    status: int = 200
    _cond: threading.Condition = field(default_factory=threading.Condition)

    def record(self, item: Captured) -> None:
        with self._cond:
            self.captured.append(item)
            self._cond.notify_all()

    def clear(self) -> None:
        with self._cond:
            self.captured.clear()
        self.status = 200

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Captured]:
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.captured) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    types = [c.event_type for c in self.captured]
                    raise AssertionError(f"expected {count} webhooks, got {types}")
                self._cond.wait(left)
            return list(self.captured)

    def types(self) -> list[str]:
        return [c.event_type for c in self.captured]


class FakeWappbiz:
    """Stands in for the Wappbíz emulator's media store (``app.ctx.emulator``)."""

    def __init__(self) -> None:
        self.media: dict[str, MediaItem] = {}

    def get_media(self, media_id: str) -> MediaItem | None:
        return self.media.get(media_id)


@dataclass
class Hi:
    base_url: str
    api_url: str
    config: HiEventsConfig
    emulator: HiEventsEmulator
    receiver: Receiver
    wappbiz: FakeWappbiz


def _receiver_app(receiver: Receiver) -> Sanic:
    app = Sanic(f"hi_events_test_receiver_{next(_names)}", configure_logging=False)

    @app.post(WEBHOOK_PATH)
    async def webhook(request: Request) -> HTTPResponse:
        import json

        payload = json.loads(request.body)
        receiver.record(
            Captured(
                body=request.body,
                headers={k.lower(): v for k, v in request.headers.items()},
                event_type=payload["event_type"],
                payload=payload["payload"],
            )
        )
        return text("ok" if receiver.status < 300 else "nope", status=receiver.status)

    return app


@pytest.fixture(scope="session")
def servers() -> Iterator[ServerThread]:
    thread = ServerThread()
    yield thread
    thread.stop()


@pytest.fixture(scope="session")
def hi(servers: ServerThread) -> Hi:
    receiver = Receiver()
    receiver_url = servers.serve(_receiver_app(receiver))
    config = HiEventsConfig(
        email=EMAIL,
        password=PASSWORD,
        webhook_url=receiver_url + WEBHOOK_PATH,
        webhook_secret=WEBHOOK_SECRET,
        allowed_internal_webhook_hosts=("127.0.0.1",),
        fault_timeout_s=0.4,
        webhook_timeout_s=2.0,
    )
    app = Sanic(f"hi_events_test_app_{next(_names)}", configure_logging=False)
    wappbiz = FakeWappbiz()
    app.ctx.emulator = wappbiz
    emulator = mount_hi_events(app, config)
    base_url = servers.serve(app)
    return Hi(base_url, base_url + "/hi-events/api", config, emulator, receiver, wappbiz)


@pytest.fixture(autouse=True)
def _fresh(request: pytest.FixtureRequest) -> None:
    """Seeded data, no faults, no captured webhooks, an empty catalog cache."""
    catalog.clear_cache()
    if "hi" not in request.fixturenames:
        return
    box: Hi = request.getfixturevalue("hi")
    httpx.post(box.base_url + "/hi-events/_sandbox/reset", timeout=10).raise_for_status()
    box.receiver.clear()


@pytest.fixture
def api(hi: Hi) -> Iterator[httpx.Client]:
    """Raw HTTP to the API, ``Accept: application/json`` as the contract requires."""
    with httpx.Client(
        base_url=hi.api_url, headers={"Accept": "application/json"}, timeout=10
    ) as client:
        yield client


@pytest.fixture
def token(api: httpx.Client) -> str:
    response = api.post("/auth/login", json={"email": EMAIL, "password": PASSWORD})
    response.raise_for_status()
    return str(response.json()["token"])


@pytest.fixture
def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class SleepRecorder:
    """Injected ``sleep``: records the delays instead of waiting them."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
async def client(hi: Hi, sleeps: SleepRecorder) -> AsyncIterator[HiEventsClient]:
    hi_client = HiEventsClient(
        base_url=hi.api_url,
        email=EMAIL,
        password=PASSWORD,
        max_attempts=4,
        timeout_s=5.0,
        sleep=sleeps,
    )
    yield hi_client
    await hi_client.aclose()


def sandbox(hi: Hi, method: str, path: str, **kwargs: Any) -> httpx.Response:
    """Call a ``/hi-events/_sandbox`` control route."""
    response = httpx.request(
        method, f"{hi.base_url}/hi-events/_sandbox{path}", timeout=10, **kwargs
    )
    response.raise_for_status()
    return response


def buy(
    api: httpx.Client,
    auth: dict[str, str],
    *,
    event_id: int = 1,
    product_id: int = 1,
    price_id: int = 101,
    quantity: int = 1,
    first_name: str = "Valentina",
    last_name: str = "Restrepo",
    pay: bool = True,
) -> dict[str, Any]:
    """Reserve, complete, go offline and (optionally) mark as paid; the JWT order."""
    reserved = api.post(
        f"/public/events/{event_id}/order",
        json={
            "products": [
                {
                    "product_id": product_id,
                    "quantities": [{"price_id": price_id, "quantity": quantity}],
                }
            ]
        },
    )
    assert reserved.status_code == 201, reserved.text
    order = reserved.json()["data"]
    params = {"session_identifier": order["session_identifier"]}
    person = {"first_name": first_name, "last_name": last_name, "email": "vale@example.co"}
    completed = api.put(
        f"/public/events/{event_id}/order/{order['short_id']}",
        params=params,
        json={"order": person, "products": [{"product_price_id": price_id}] * quantity},
    )
    assert completed.status_code == 200, completed.text
    offline = api.post(
        f"/public/events/{event_id}/order/{order['short_id']}/await-offline-payment", params=params
    )
    assert offline.status_code == 200, offline.text
    found = api.get(
        f"/events/{event_id}/orders",
        params={"filter_fields[public_id][eq]": order["public_id"]},
        headers=auth,
    ).json()["data"]
    assert len(found) == 1
    if not pay:
        return found[0]
    paid = api.post(f"/events/{event_id}/orders/{found[0]['id']}/mark-as-paid", headers=auth)
    assert paid.status_code == 200, paid.text
    return paid.json()["data"]
