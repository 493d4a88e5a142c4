"""A real Mercado Pago emulator and a stand-in bot, both on loopback sockets.

Started once per session with ``bot.sandbox.testing.ServerThread`` (one background
event loop); each test resets the emulator so no payment or delivery leaks across.
Retry delays are tiny so the whole suite stays within seconds.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import httpx
import pytest
from sanic import Sanic

from bot.sandbox.mercadopago import MercadoPagoConfig, mount_mercadopago
from bot.sandbox.testing import ServerThread
from tests.mercadopago.helpers import (
    ACCESS_TOKEN,
    MP,
    WEBHOOK_PATH,
    WEBHOOK_SECRET,
    Receiver,
    receiver_app,
)

_names = itertools.count(1)


@pytest.fixture(scope="session")
def mp_servers() -> Iterator[ServerThread]:
    servers = ServerThread()
    yield servers
    servers.stop()


@pytest.fixture(scope="session")
def mp_session(mp_servers: ServerThread) -> MP:
    receiver = Receiver()
    receiver_url = mp_servers.serve(receiver_app(receiver))
    config = MercadoPagoConfig(
        access_token=ACCESS_TOKEN,
        webhook_secret=WEBHOOK_SECRET,
        webhook_url=receiver_url + WEBHOOK_PATH,
        retry_delays_s=(0.05, 0.1),
        webhook_timeout_s=2.0,
        auto_return_delay_s=0.5,
    )
    app = Sanic(f"mp_test_sandbox_{next(_names)}", configure_logging=False)
    app.config.FALLBACK_ERROR_FORMAT = "json"
    emulator = mount_mercadopago(app, config)
    base_url = mp_servers.serve(app)
    return MP(base_url, emulator, receiver, receiver_url)


@pytest.fixture
def mp(mp_session: MP) -> MP:
    """The emulator, reset: no preferences, payments, deliveries or faults."""
    with httpx.Client(trust_env=False, timeout=10) as client:
        client.post(f"{mp_session.api_url}/_sandbox/reset").raise_for_status()
    mp_session.receiver.clear()
    return mp_session
