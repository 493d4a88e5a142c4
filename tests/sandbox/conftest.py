"""Real servers for the sandbox tests: the emulator and a stand-in for the bot.

Both run as Sanic apps on loopback sockets in one background event loop, started
once per session with ``bot.sandbox.testing.ServerThread``. The stand-in bot
(``Receiver``) records every webhook with its raw bytes and checks the signature
itself, so tests assert what actually crossed the wire.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator

import httpx
import pytest
from sanic import Request, Sanic
from sanic.response import HTTPResponse, text
from sanic.response import json as json_response

from bot.sandbox.app import create_sandbox_app
from bot.sandbox.testing import ServerThread
from tests.sandbox.helpers import (
    ACCESS_TOKEN,
    ADMIN_TOKEN,
    VERIFY_TOKEN,
    WEBHOOK_PATH,
    Captured,
    Receiver,
    Sandbox,
    make_config,
)

_names = itertools.count(1)


def _receiver_app(receiver: Receiver) -> Sanic:
    app = Sanic(f"sandbox_test_receiver_{next(_names)}", configure_logging=False)

    @app.post(WEBHOOK_PATH)
    async def webhook(request: Request) -> HTTPResponse:
        status = receiver.next_status()
        receiver.record(
            Captured(
                body=request.body,
                signature=request.headers.get("x-hub-signature-256"),
                content_type=request.headers.get("content-type"),
                payload=json.loads(request.body),
                answered=status,
            )
        )
        return text("ok" if status < 300 else "nope", status=status)

    @app.get(WEBHOOK_PATH)
    async def verify(request: Request) -> HTTPResponse:
        if request.args.get("hub.verify_token") != VERIFY_TOKEN:
            return text("forbidden", status=403)
        return text(request.args.get("hub.challenge", ""))

    @app.put("/admin/contacts/<wa_id>")
    async def admin_contact(request: Request, wa_id: str) -> HTTPResponse:
        call = {
            "wa_id": wa_id,
            "json": request.json,
            "authorization": request.headers.get("authorization"),
        }
        receiver.admin_calls.append(call)
        if call["authorization"] != f"Bearer {ADMIN_TOKEN}":
            return json_response({"error": "unauthorized"}, status=401)
        if receiver.admin_status >= 300:
            return json_response({"error": "boom"}, status=receiver.admin_status)
        return json_response({"wa_id": wa_id, **(request.json or {})})

    return app


@pytest.fixture(scope="session")
def server_loop() -> Iterator[ServerThread]:
    servers = ServerThread()
    yield servers
    servers.stop()


@pytest.fixture(scope="session")
def sandbox(server_loop: ServerThread) -> Sandbox:
    receiver = Receiver()
    receiver_url = server_loop.serve(_receiver_app(receiver))
    config = make_config(receiver_url)
    return Sandbox(server_loop.serve(create_sandbox_app(config)), config, receiver)


@pytest.fixture(autouse=True)
def _clean_sandbox(request: pytest.FixtureRequest) -> None:
    """Each test starts from seeded templates, no messages and no pending webhooks."""
    if "sandbox" not in request.fixturenames:
        return
    box: Sandbox = request.getfixturevalue("sandbox")
    client: httpx.Client = request.getfixturevalue("api")
    client.delete("/sandbox/api/reset").raise_for_status()
    box.receiver.clear()


@pytest.fixture
def receiver(sandbox: Sandbox) -> Receiver:
    return sandbox.receiver


@pytest.fixture(scope="session")
def api(sandbox: Sandbox) -> Iterator[httpx.Client]:
    """The sandbox API (what the web chat and the CLI use)."""
    with httpx.Client(base_url=sandbox.base_url, timeout=10) as client:
        yield client


@pytest.fixture(scope="session")
def graph(sandbox: Sandbox) -> Iterator[httpx.Client]:
    """The Graph API with the right token, as the bot's client calls it."""
    headers = {"Authorization": f"Bearer {ACCESS_TOKEN}"}
    with httpx.Client(base_url=sandbox.graph_url, headers=headers, timeout=10) as client:
        yield client


_numbers = itertools.count(1)


@pytest.fixture
def wa_id() -> str:
    """A fresh Colombian mobile per test, so conversations never mix."""
    return f"57300{next(_numbers):07d}"
