"""Admin API for hand-offs (``/admin/handoffs``), its Rasa client and the CLI on top of it.

Real servers on loopback sockets (``ServerThread``): the admin blueprint on a Sanic app
with a Store on a SQLite file, and a stand-in Rasa server that records the events it
is asked to append and can be told to fail.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sanic import Request, Sanic
from sanic.response import HTTPResponse
from sanic.response import json as json_response

from bot.clients.rasa import RasaClient
from bot.errors import ProviderError, ProviderUnavailable
from bot.http.admin import admin_blueprint
from bot.sandbox.testing import ServerThread
from bot.storage.migrate import upgrade
from bot.storage.store import Store

ADMIN_TOKEN = "test-admin-token-handoffs"
RASA_TOKEN = "test-rasa-token"
ROOT = Path(__file__).resolve().parents[1]
_names = itertools.count(1)


@dataclass
class FakeRasa:
    """Records ``POST /conversations/<id>/tracker/events`` calls; ``status`` is its answer."""

    calls: list[dict[str, Any]] = field(default_factory=list)
    status: int = 200

    def app(self) -> Sanic:
        app = Sanic(f"fake_rasa_{next(_names)}", configure_logging=False)

        @app.post("/conversations/<conversation_id>/tracker/events")
        async def events(request: Request, conversation_id: str) -> HTTPResponse:
            self.calls.append(
                {"id": conversation_id, "token": request.args.get("token"), "body": request.json}
            )
            return json_response({"paused": False}, status=self.status)

        return app


@dataclass
class Admin:
    url: str
    db_url: str
    rasa: FakeRasa

    def store_call(self, fn: Any) -> Any:
        async def go() -> Any:
            async with Store(self.db_url) as store:
                return await fn(store)

        return asyncio.run(go())

    def request(self, method: str, path: str, token: str | None = ADMIN_TOKEN, **kw: Any) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.request(method, f"{self.url}{path}", headers=headers, timeout=10, **kw)


def admin_app(db_url: str, rasa_url: str) -> Sanic:
    app = Sanic(f"admin_handoffs_{next(_names)}", configure_logging=False)

    @app.listener("before_server_start")
    async def _open(app: Sanic, loop: Any) -> None:
        app.ctx.store = Store(db_url)
        await app.ctx.store.start()
        app.ctx.rasa = RasaClient(rasa_url, RASA_TOKEN, timeout_s=3)

    @app.listener("after_server_stop")
    async def _close(app: Sanic, loop: Any) -> None:
        await app.ctx.rasa.aclose()
        await app.ctx.store.close()

    app.blueprint(admin_blueprint(lambda request: request.app.ctx.store, ADMIN_TOKEN))
    return app


@pytest.fixture
def admin(tmp_path: Path) -> Iterator[Admin]:
    db_url = f"sqlite+aiosqlite:///{tmp_path / 'app.db'}"
    upgrade(db_url)
    rasa = FakeRasa()
    with ServerThread() as servers:
        rasa_url = servers.serve(rasa.app())
        yield Admin(servers.serve(admin_app(db_url, rasa_url)), db_url, rasa)


def test_the_routes_need_the_admin_token(admin: Admin) -> None:
    assert admin.request("GET", "/admin/handoffs", token=None).status_code == 401
    assert admin.request("GET", "/admin/handoffs", token="wrong").status_code == 401
    release = admin.request("POST", "/admin/handoffs/573001234567/release", token="wrong")
    assert release.status_code == 401
    assert admin.request("GET", "/admin/incidents", token=None).status_code == 401
    assert admin.rasa.calls == []


def test_open_hand_offs_are_listed_oldest_first(admin: Admin) -> None:
    admin.store_call(lambda s: s.open_handoff("573001000001", reason="user_request",
                                              last_user_text="necesito factura"))  # fmt: skip
    admin.store_call(lambda s: s.open_handoff("573001000002", reason="fallback"))
    response = admin.request("GET", "/admin/handoffs")
    assert response.status_code == 200
    handoffs = response.json()["handoffs"]
    assert [h["wa_id"] for h in handoffs] == ["573001000001", "573001000002"]
    assert handoffs[0]["last_user_text"] == "necesito factura"
    assert handoffs[0]["released_at"] is None
    assert handoffs[0]["requested_at"].endswith("+00:00")


def test_release_resumes_rasa_then_marks_it_released(admin: Admin) -> None:
    admin.store_call(lambda s: s.open_handoff("573001000003", reason="user_request"))
    response = admin.request(
        "POST", "/admin/handoffs/573001000003/release", json={"released_by": "laura"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["released_by"] == "laura" and body["release_reason"] == "released"
    assert body["released_at"]
    assert admin.rasa.calls == [
        {"id": "573001000003", "token": RASA_TOKEN, "body": [{"event": "resume"}]}
    ]
    assert admin.store_call(lambda s: s.get_open_handoff("573001000003")) is None
    assert admin.request("GET", "/admin/handoffs").json()["handoffs"] == []


def test_releasing_what_is_not_open_is_404_and_leaves_rasa_alone(admin: Admin) -> None:
    assert admin.request("POST", "/admin/handoffs/573001000004/release").status_code == 404
    admin.store_call(lambda s: s.open_handoff("573001000004", reason="user_request"))
    assert admin.request("POST", "/admin/handoffs/573001000004/release").status_code == 200
    assert admin.request("POST", "/admin/handoffs/573001000004/release").status_code == 404
    assert len(admin.rasa.calls) == 1


def test_when_rasa_fails_nothing_changes_and_a_retry_works(admin: Admin) -> None:
    admin.store_call(lambda s: s.open_handoff("573001000005", reason="user_request"))
    admin.rasa.status = 500
    response = admin.request("POST", "/admin/handoffs/573001000005/release")
    assert response.status_code == 502
    assert "retry" in response.json()["error"]
    assert admin.store_call(lambda s: s.get_open_handoff("573001000005")) is not None
    admin.rasa.status = 200
    assert admin.request("POST", "/admin/handoffs/573001000005/release").status_code == 200
    assert admin.store_call(lambda s: s.get_open_handoff("573001000005")) is None


def test_a_malformed_wa_id_is_refused(admin: Admin) -> None:
    response = admin.request("POST", "/admin/handoffs/abc/release")
    assert response.status_code == 400
    assert admin.rasa.calls == []


def test_incidents_are_listed_newest_first(admin: Admin) -> None:
    admin.store_call(lambda s: s.record_incident("573001000006", text="lector caído"))
    admin.store_call(lambda s: s.record_incident("573001000007", text="pelea", event="MFN"))
    response = admin.request("GET", "/admin/incidents")
    assert response.status_code == 200
    assert [i["text"] for i in response.json()["incidents"]] == ["pelea", "lector caído"]
    assert admin.request("GET", "/admin/incidents?limit=x").status_code == 400


# --- the CLI on top of it ---------------------------------------------------------------


def _cli(admin: Admin, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    port = admin.url.rsplit(":", 1)[1]
    env = {
        **os.environ,
        "ACTION_PORT": port,
        "BIND_HOST": "127.0.0.1",
        "ADMIN_TOKEN": ADMIN_TOKEN,
        "STATE_DIR": str(tmp_path / "state"),
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", "handoffs", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_cli_lists_and_releases(admin: Admin, tmp_path: Path) -> None:
    admin.store_call(lambda s: s.open_handoff("573001000008", reason="user_request"))
    listed = _cli(admin, tmp_path, "list")
    assert listed.returncode == 0, listed.stderr
    assert '"wa_id": "573001000008"' in listed.stdout
    released = _cli(admin, tmp_path, "release", "300 100 0008", "--by", "ana")
    assert released.returncode == 0, released.stderr
    assert '"released_by": "ana"' in released.stdout
    again = _cli(admin, tmp_path, "release", "573001000008")
    assert again.returncode == 1 and "no open hand-off" in again.stderr
    assert "no open hand-offs" in _cli(admin, tmp_path, "list").stderr


# --- the Rasa client alone ----------------------------------------------------------------


async def test_rasa_client_maps_answers_to_typed_errors() -> None:
    seen: list[httpx.Request] = []
    answers = iter([200, 401, 503])

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(next(answers), json={})

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    client = RasaClient("http://rasa:5005/", "tok", http=http)
    await client.resume("573001234567")
    assert str(seen[0].url) == (
        "http://rasa:5005/conversations/573001234567/tracker/events?token=tok"
    )
    assert seen[0].content == b'[{"event":"resume"}]'
    with pytest.raises(ProviderError) as refused:
        await client.resume("573001234567")
    assert not refused.value.retryable and refused.value.http_status == 401
    with pytest.raises(ProviderUnavailable):
        await client.resume("573001234567")
    await http.aclose()


async def test_rasa_client_unreachable_is_retryable() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        with pytest.raises(ProviderUnavailable) as exc:
            await RasaClient("http://rasa", "tok", http=http).resume("573001234567")
    assert "tok" not in str(exc.value)
