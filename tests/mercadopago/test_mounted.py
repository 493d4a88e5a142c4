"""The emulator mounted into the real sandbox app, the way the lead wires it.

``create_sandbox_app`` has app-wide exception handlers; the emulator's own blueprint
handlers must still answer in Mercado Pago's envelope, and both emulators must be
able to live in one app (unique blueprint and route names).
"""

from __future__ import annotations

import httpx

from bot.sandbox.app import create_sandbox_app
from bot.sandbox.config import SandboxConfig
from bot.sandbox.mercadopago import MercadoPagoConfig, mount_mercadopago
from bot.sandbox.testing import ServerThread
from tests.mercadopago.helpers import ACCESS_TOKEN, WEBHOOK_SECRET, preference_body


def test_mounted_in_the_sandbox_app(mp_servers: ServerThread) -> None:
    app = create_sandbox_app(
        SandboxConfig(access_token="wa-token", app_secret="wa-secret", verify_token="wa-verify")
    )
    config = MercadoPagoConfig(
        access_token=ACCESS_TOKEN, webhook_secret=WEBHOOK_SECRET, webhook_url=""
    )
    emulator = mount_mercadopago(app, config)
    assert app.ctx.mercadopago is emulator
    base = mp_servers.serve(app)
    headers = {"Authorization": f"Bearer {ACCESS_TOKEN}"}
    with httpx.Client(base_url=f"{base}/mercadopago", trust_env=False, timeout=10) as api:
        unauthorized = api.get("/v1/payments/1")
        created = api.post("/checkout/preferences", json=preference_body(), headers=headers)
        invalid = api.post("/checkout/preferences", json={"items": []}, headers=headers)
        pay = api.post(
            f"/_sandbox/preferences/{created.json()['id']}/pay", json={"outcome": "approved"}
        )
        health = httpx.get(f"{base}/health", trust_env=False)
    assert unauthorized.status_code == 401 and unauthorized.json()["error"] == "unauthorized"
    assert created.status_code == 201
    assert invalid.status_code == 400 and invalid.json()["cause"]
    assert pay.status_code == 201 and pay.json()["delivery"] is None  # no webhook_url set
    assert health.json() == {"status": "ok"}
