"""``mount_hi_events`` on the real sandbox app: routes coexist, the door reads Wappbíz media."""

from __future__ import annotations

import io

import httpx
import pytest
import qrcode

from bot.sandbox.app import create_sandbox_app
from bot.sandbox.config import SandboxConfig
from bot.sandbox.hi_events import HiEventsConfig, mount_hi_events
from bot.sandbox.hi_events.seed import check_in_list_short_id
from bot.sandbox.testing import ServerThread
from tests.hi_events.conftest import EMAIL, PASSWORD, buy


def test_mounted_on_the_sandbox_app(servers: ServerThread) -> None:
    pytest.importorskip("zxingcpp")
    app = create_sandbox_app(
        SandboxConfig(access_token="t", app_secret="s", verify_token="v", webhook_url="")
    )
    emulator = mount_hi_events(app, HiEventsConfig(email=EMAIL, password=PASSWORD))
    base = servers.serve(app)
    assert app.ctx.hi_events is emulator
    with httpx.Client(
        base_url=base + "/hi-events/api", headers={"Accept": "application/json"}, timeout=10
    ) as api:
        assert api.get("/public/events/1").json()["data"]["id"] == 1
        token = api.post("/auth/login", json={"email": EMAIL, "password": PASSWORD}).json()
        order = buy(api, {"Authorization": f"Bearer {token['token']}"})
    png = io.BytesIO()
    qrcode.make(order["attendees"][0]["public_id"]).save(png, format="PNG")
    media = app.ctx.emulator.store_media(png.getvalue(), "image/png", "ticket.png")
    scanned = httpx.post(
        base + "/door/scan", json={"list": check_in_list_short_id(1), "media_id": media.id}
    ).json()
    assert scanned["status"] == "welcome"
    assert httpx.get(base + "/").status_code == 200  # the web chat is still there
