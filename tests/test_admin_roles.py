"""Roles of the admin API (issue 5, item 6): viewer, organizer, admin tokens over real HTTP.

``running_ticketing`` starts the real action server (``build_app``, so the wiring of
``ADMIN_TOKENS`` from the settings is under test too) and the Wappbíz emulator, with
one token of every role in ``ADMIN_TOKENS`` besides the sandbox ``ADMIN_TOKEN``. The
sweep takes the role each operation needs from the OpenAPI document and checks the
server enforces exactly that, so the document and the enforcement cannot drift apart.
"""

from __future__ import annotations

import itertools
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.clients.wappbiz_templates import WappbizTemplatesClient
from bot.http.admin import admin_blueprint
from bot.http.auth import (
    ADMIN_ROLES,
    READ_METHODS,
    TokenTable,
    parse_admin_tokens,
    required_role,
    requires,
    role_allows,
)
from bot.http.openapi import openapi_document
from bot.sandbox.testing import ServerThread
from bot.storage.migrate import upgrade
from bot.storage.store import Store
from bot.templates import sync_templates, wait_for_review
from tests.broadcasts.support import add_holder, bogota, consent
from tests.support.ticketing import TicketingHarness, running_ticketing

VIEWER = "viewer-token-3b1f0c9a7d"
ORGANIZER = "organizer-token-8e2d4a6c1b"
SECOND_ADMIN = "admin-token-5c7e9b2d4f"
ADMIN_TOKENS = f"viewer:{VIEWER}, organizer:{ORGANIZER}, admin:{SECOND_ADMIN}"
EVENT = 9301
HOLDER = "573150009001"
FRIDAY_NIGHT = bogota(2027, 3, 5, 21, 0)
OFFER = {
    "name": "Roles: descuento socios",
    "template": "special_offer",
    "variables": {
        "discount": "20 %",
        "event": "Pasarela Otoño 2026",
        "code": "FASHION20",
        "until": "domingo 8 de marzo",
        "event_slug": "pasarela-otono-2026",
    },
    "segment": {"event_id": EVENT, "marketing_opt_in": True},
    "created_by": "laura",
}
ALERT = {
    "message_es": "Evacuación por la salida norte.",
    "message_en": "Please leave by the north exit.",
    "requested_by": "laura",
    "alert_key": "roles-test",
}
#: Values for the path parameters of the sweep: nothing of the kind exists.
DUMMY = {"id": "999999", "event_id": "999999", "alert_id": "999999", "request_id": "999999"}
DUMMY_WA_ID = "573009999999"
_names = itertools.count(1)


# --- the real action server with tokens of every role -------------------------------------


@pytest.fixture(scope="module")
def h(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TicketingHarness]:
    with running_ticketing(tmp_path_factory.mktemp("roles"), admin_tokens=ADMIN_TOKENS) as harness:
        harness.run(_prepare(harness), timeout=90)
        harness.action_app.ctx.broadcast_clock = lambda: FRIDAY_NIGHT
        try:
            yield harness
        finally:
            del harness.action_app.ctx.broadcast_clock


async def _prepare(h: TicketingHarness) -> None:
    store: Store = h.action_app.ctx.store
    client = WappbizTemplatesClient.from_settings(h.settings)
    try:
        await sync_templates(store, client)
        await wait_for_review(store, client, timeout_s=30, poll_s=0.1)
    finally:
        await client.aclose()
    await add_holder(store, HOLDER, EVENT)
    await consent(store, HOLDER, ("transactional", "marketing"), True)


def _tokens(h: TicketingHarness) -> dict[str, str]:
    """A token of every role; ``admin`` is the plain ``ADMIN_TOKEN``."""
    return {"viewer": VIEWER, "organizer": ORGANIZER, "admin": h.settings.secret("admin_token")}


def _call(
    h: TicketingHarness, method: str, path: str, token: str | None, **kwargs: Any
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return httpx.request(method, f"{h.action_url}{path}", headers=headers, timeout=15, **kwargs)


def _operations() -> list[tuple[str, str, str]]:
    """(METHOD, concrete path, x-required-role) of every operation in the document."""
    found = []
    for path, item in openapi_document()["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            concrete = re.sub(r"\{(\w+)\}", lambda m: DUMMY.get(m.group(1), DUMMY_WA_ID), path)
            found.append((method.upper(), concrete, operation["x-required-role"]))
    return found


def _normalized(path: str) -> str:
    """``/admin/x/<a:int>/y`` and ``/admin/x/{a}/y`` both → ``/admin/x/{}/y``."""
    path = "/" + path.lstrip("/")
    return re.sub(r"<[^>]+>|\{[^}]+\}", "{}", path)


# --- the document and the enforcement agree ----------------------------------------------


def test_every_admin_route_is_documented_with_the_role_it_enforces(h: TicketingHarness) -> None:
    operations = {}
    for path, item in openapi_document()["paths"].items():
        for method, operation in item.items():
            if method != "parameters":
                operations[(method.upper(), _normalized(path))] = operation
    served = set()
    for route in h.action_app.router.routes:
        path = _normalized(route.path)
        if not path.startswith("/admin/"):
            continue
        for method in route.methods - {"HEAD", "OPTIONS"}:
            served.add((method, path))
            operation = operations.get((method, path))
            assert operation is not None, f"{method} {path} is not in the OpenAPI document"
            enforced = required_role(method, route.handler)
            assert operation["x-required-role"] == enforced, (method, path)
            assert f"Role: {enforced}" in operation["description"], (method, path)
            assert ("403" in operation["responses"]) == (enforced != "viewer"), (method, path)
    assert served == set(operations), "documented operations the server does not serve"


@pytest.mark.parametrize("role", ADMIN_ROLES)
def test_each_role_gets_exactly_the_operations_the_document_grants(
    h: TicketingHarness, role: str
) -> None:
    token = _tokens(h)[role]
    for method, path, needs in _operations():
        answer = _call(h, method, path, token, json={})
        if role_allows(role, needs):
            assert answer.status_code not in (401, 403), (role, method, path, answer.text)
        else:
            assert answer.status_code == 403, (role, method, path, answer.text)
            assert answer.json() == {"error": "forbidden", "role": role, "needs": needs}


def test_reads_need_viewer_and_writes_at_least_organizer() -> None:
    for method, path, needs in _operations():
        if method in READ_METHODS:
            assert needs == "viewer", (method, path)
        else:
            assert needs in ("organizer", "admin"), (method, path)


# --- 401: no token, unknown token ---------------------------------------------------------


def test_no_token_or_an_unknown_token_is_401_with_a_bearer_challenge(h: TicketingHarness) -> None:
    for method, path, _needs in _operations():
        for token in (None, "not-a-token", VIEWER + "x"):
            answer = _call(h, method, path, token, json={})
            assert answer.status_code == 401, (method, path, token)
            assert answer.headers["www-authenticate"].startswith("Bearer"), (method, path)
            assert answer.json() == {"error": "missing or invalid bearer token"}
    basic = httpx.get(
        f"{h.action_url}/admin/broadcasts",
        headers={"Authorization": f"Basic {VIEWER}"},
        timeout=10,
    )
    assert basic.status_code == 401


# --- the journeys of the issue ----------------------------------------------------------


def test_viewer_reads_broadcasts_but_cannot_send_them(h: TicketingHarness) -> None:
    created = _call(h, "POST", "/admin/broadcasts", ORGANIZER, json=OFFER)
    assert created.status_code == 201, created.text
    bid = created.json()["id"]

    listing = _call(h, "GET", "/admin/broadcasts", VIEWER)
    assert listing.status_code == 200
    assert bid in [b["id"] for b in listing.json()["broadcasts"]]
    assert _call(h, "GET", f"/admin/broadcasts/{bid}", VIEWER).status_code == 200
    assert _call(h, "GET", f"/admin/broadcasts/{bid}/preview", VIEWER).status_code == 200
    assert _call(h, "GET", "/admin/openapi.json", VIEWER).status_code == 200

    refused = _call(h, "POST", f"/admin/broadcasts/{bid}/send", VIEWER)
    assert refused.status_code == 403
    assert refused.json() == {"error": "forbidden", "role": "viewer", "needs": "organizer"}
    assert _call(h, "GET", f"/admin/broadcasts/{bid}", VIEWER).json()["status"] == "draft"
    _call(h, "POST", f"/admin/broadcasts/{bid}/cancel", ORGANIZER)


def test_organizer_runs_a_broadcast_and_an_emergency_but_decides_no_refund(
    h: TicketingHarness,
) -> None:
    created = _call(h, "POST", "/admin/broadcasts", ORGANIZER, json=OFFER)
    assert created.status_code == 201, created.text
    bid = created.json()["id"]
    assert _call(h, "POST", f"/admin/broadcasts/{bid}/dry-run", ORGANIZER).status_code == 200
    sent = _call(h, "POST", f"/admin/broadcasts/{bid}/send", ORGANIZER)
    assert sent.status_code == 202, sent.text
    assert sent.json()["queued"] >= 1  # due on Saturday 2027: it stays queued
    cancelled = _call(h, "POST", f"/admin/broadcasts/{bid}/cancel", ORGANIZER)
    assert cancelled.status_code == 200, cancelled.text

    alert = _call(h, "POST", f"/admin/events/{EVENT}/emergency", ORGANIZER, json=ALERT)
    assert alert.status_code == 202, alert.text
    alert_id = alert.json()["alert_id"]
    assert _call(h, "GET", f"/admin/emergency/{alert_id}", VIEWER).status_code == 200
    assert _call(h, "POST", f"/admin/events/{EVENT}/emergency", VIEWER, json=ALERT).json() == {
        "error": "forbidden",
        "role": "viewer",
        "needs": "organizer",
    }

    refund = _call(h, "POST", "/admin/refunds/1/decision", ORGANIZER, json={"approved": True})
    assert refund.status_code == 403
    assert refund.json() == {"error": "forbidden", "role": "organizer", "needs": "admin"}
    release = _call(h, "POST", f"/admin/handoffs/{DUMMY_WA_ID}/release", ORGANIZER)
    assert release.status_code == 403


def test_admin_tokens_from_both_settings_reach_admin_routes(h: TicketingHarness) -> None:
    for token in (h.settings.secret("admin_token"), SECOND_ADMIN):
        missing = _call(h, "POST", "/admin/refunds/999999/decision", token, json={"approved": True})
        assert missing.status_code == 404, missing.text  # past the guard: no such request
        assert _call(h, "GET", "/admin/refunds", token).status_code == 200


def test_tokens_are_not_logged(h: TicketingHarness, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO):
        _call(h, "POST", "/admin/refunds/1/decision", ORGANIZER, json={"approved": True})
        _call(h, "GET", "/admin/broadcasts", "wrong-token-123456")
        _call(h, "POST", "/admin/broadcasts/999999/cancel", ORGANIZER)
    text = caplog.text
    assert "admin.forbidden" in text and "organizer#2" in text
    for token in (VIEWER, ORGANIZER, SECOND_ADMIN, "wrong-token-123456"):
        assert token not in text


# --- ADMIN_TOKEN alone, and what handlers see ------------------------------------------------


@pytest.fixture
def bare(tmp_path: Path) -> Iterator[str]:
    """The admin blueprint built with ``ADMIN_TOKEN`` only (as before roles existed)."""
    db_url = f"sqlite+aiosqlite:///{tmp_path / 'app.db'}"
    upgrade(db_url)
    app = Sanic(f"admin_roles_{next(_names)}", configure_logging=False)

    @app.listener("before_server_start")
    async def _open(app: Sanic, loop: Any) -> None:
        app.ctx.store = Store(db_url)
        await app.ctx.store.start()

    @app.listener("after_server_stop")
    async def _close(app: Sanic, loop: Any) -> None:
        await app.ctx.store.close()

    bp = admin_blueprint(lambda request: request.app.ctx.store, "only-admin-token-0123")

    @bp.get("/whoami")
    @requires("viewer")
    async def whoami(request: Request) -> HTTPResponse:
        return response.json(
            {"role": request.ctx.admin_role, "label": request.ctx.admin_token_label}
        )

    @bp.post("/undeclared")
    async def undeclared(request: Request) -> HTTPResponse:
        return response.json({"ok": True})

    app.blueprint(bp)
    with ServerThread() as servers:
        yield servers.serve(app)


def test_admin_token_alone_still_has_every_role(bare: str) -> None:
    auth = {"Authorization": "Bearer only-admin-token-0123"}
    whoami = httpx.get(f"{bare}/admin/whoami", headers=auth, timeout=10)
    assert whoami.json() == {"role": "admin", "label": "ADMIN_TOKEN"}
    assert httpx.get(f"{bare}/admin/handoffs", headers=auth, timeout=10).status_code == 200
    put = httpx.put(
        f"{bare}/admin/contacts/573001112233", json={"language": "en"}, headers=auth, timeout=10
    )
    assert put.status_code == 200, put.text
    assert httpx.post(f"{bare}/admin/undeclared", headers=auth, timeout=10).status_code == 200
    assert httpx.get(f"{bare}/admin/whoami", timeout=10).status_code == 401


def test_a_route_that_declares_no_role_needs_admin() -> None:
    async def handler(request: Request) -> HTTPResponse:  # pragma: no cover - never called
        return response.empty()

    assert required_role("GET", handler) == "admin"
    assert required_role("POST", None) == "admin"
    assert required_role("POST", requires("viewer")(handler)) == "organizer"  # writes never viewer
    assert required_role("GET", requires("viewer")(handler)) == "viewer"


# --- parsing ADMIN_TOKENS ----------------------------------------------------------------


def test_admin_tokens_are_parsed_in_order() -> None:
    assert parse_admin_tokens(" organizer:abc , Viewer:d:e:f,, ") == (
        ("organizer", "abc"),
        ("viewer", "d:e:f"),
    )
    assert parse_admin_tokens("") == ()
    assert parse_admin_tokens(None) == ()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("boss:tok-1", "entry 1 has role 'boss'"),
        ("viewer:tok-1,organiser:tok-2", "entry 2 has role 'organiser'"),
        ("organizer:", "entry 1 (organizer) has an empty token"),
        ("organizer:   ", "empty token"),
        ("tok-without-role", "entry 1 must be role:token"),
        ("viewer:changeme", "placeholder"),
        ("viewer:same-tok,admin:same-tok", "entry 2 (admin) repeats a token"),
    ],
)
def test_bad_admin_tokens_are_refused_without_echoing_a_token(value: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)) as raised:
        parse_admin_tokens(value)
    for secret in ("tok-1", "tok-2", "tok-without-role", "same-tok"):
        assert secret not in str(raised.value)


def test_admin_token_may_not_be_listed_with_a_smaller_role() -> None:
    with pytest.raises(ValueError, match="reuses ADMIN_TOKEN"):
        TokenTable("the-admin-token", "viewer:the-admin-token")
    table = TokenTable("the-admin-token", "admin:the-admin-token,viewer:v-token")
    assert len(table) == 2
    assert "v-token" not in repr(table) and "the-admin-token" not in repr(table)
    with pytest.raises(ValueError, match="needs ADMIN_TOKEN or ADMIN_TOKENS"):
        TokenTable(None, "")


def test_roles_include_the_ones_before_them() -> None:
    assert role_allows("admin", "viewer") and role_allows("admin", "organizer")
    assert role_allows("organizer", "viewer") and not role_allows("organizer", "admin")
    assert role_allows("viewer", "viewer") and not role_allows("viewer", "organizer")
