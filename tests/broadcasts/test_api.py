"""The broadcast admin API over real HTTP: the action server, its worker, the emulator.

``running_ticketing`` starts the action server (with its delivery worker) and the
Wappbíz emulator; the templates are synced to the emulator, which approves them. The
clock of the broadcast routes is ``app.ctx.broadcast_clock`` (set per test, removed
after); the outbox worker keeps the real clock, so rows due in 2027 stay queued.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest

from bot.clients.wappbiz_templates import WappbizTemplatesClient
from bot.http.broadcasts import ROUTES
from bot.storage.store import Store
from bot.templates import sync_templates, wait_for_review
from tests.broadcasts.support import add_holder, bogota, consent
from tests.support.ticketing import TicketingHarness, running_ticketing

EVENT = 9101
GRANTED = ["573150001001", "573150001002"]
EN_GRANTED = "573150001003"
STOPPED = "573150001004"
FRIDAY_NIGHT = bogota(2027, 3, 5, 21, 0)
OFFER = {
    "name": "Descuento socios",
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


@pytest.fixture(scope="module")
def h(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TicketingHarness]:
    with running_ticketing(tmp_path_factory.mktemp("broadcasts")) as harness:
        harness.run(_prepare(harness), timeout=90)
        yield harness


async def _prepare(h: TicketingHarness) -> None:
    store: Store = h.action_app.ctx.store
    client = WappbizTemplatesClient.from_settings(h.settings)
    try:
        await sync_templates(store, client)
        await wait_for_review(store, client, timeout_s=30, poll_s=0.1)
    finally:
        await client.aclose()
    for wa_id in GRANTED:
        await add_holder(store, wa_id, EVENT)
    await add_holder(store, EN_GRANTED, EVENT, language="en", holder_name="Ann Lee")
    await add_holder(store, STOPPED, EVENT)
    for wa_id in (*GRANTED, EN_GRANTED, STOPPED):
        await consent(store, wa_id, ("transactional", "marketing"), True)
    await consent(store, STOPPED, ("marketing", "casting"), False)


@pytest.fixture
def friday_night(h: TicketingHarness) -> Iterator[datetime]:
    h.action_app.ctx.broadcast_clock = lambda: FRIDAY_NIGHT
    yield FRIDAY_NIGHT
    del h.action_app.ctx.broadcast_clock


def _auth(h: TicketingHarness) -> dict[str, str]:
    return {"Authorization": f"Bearer {h.settings.secret('admin_token')}"}


def _call(h: TicketingHarness, method: str, path: str, **kwargs: Any) -> httpx.Response:
    return httpx.request(method, f"{h.action_url}{path}", headers=_auth(h), timeout=15, **kwargs)


def test_every_route_needs_the_token(h: TicketingHarness) -> None:
    for method, path in ROUTES:
        url = f"{h.action_url}{path.replace('{id}', '1')}"
        answer = httpx.request(method.upper(), url, json={}, timeout=10)
        assert answer.status_code == 401, (method, path)
        wrong = httpx.request(
            method.upper(), url, json={}, headers={"Authorization": "Bearer nope"}, timeout=10
        )
        assert wrong.status_code == 401, (method, path)


def test_openapi_is_served_and_lists_every_route(h: TicketingHarness) -> None:
    answer = _call(h, "GET", "/admin/openapi.json")
    assert answer.status_code == 200
    document = answer.json()
    assert document["openapi"].startswith("3.")
    for method, path in ROUTES:
        assert method in document["paths"][path], (method, path)
    served = set()
    for route in h.action_app.router.routes:
        path = "/" + route.path.lstrip("/")
        if path.startswith(("/admin/broadcasts", "/admin/openapi")):
            openapi_path = path.replace("<broadcast_id:int>", "{id}")
            served |= {(m.lower(), openapi_path) for m in route.methods if m != "HEAD"}
    assert served and served <= set(ROUTES)
    assert served == set(ROUTES)


def test_bad_requests(h: TicketingHarness) -> None:
    assert _call(h, "POST", "/admin/broadcasts", json=[]).status_code == 400
    unknown = _call(h, "POST", "/admin/broadcasts", json={**OFFER, "template": "nope"})
    assert unknown.status_code == 400 and "nope" in unknown.json()["error"]
    naive = _call(
        h, "POST", "/admin/broadcasts", json={**OFFER, "scheduled_for": "2027-03-06T10:00"}
    )
    assert naive.status_code == 400 and "offset" in naive.json()["error"]
    assert _call(h, "GET", "/admin/broadcasts/999999").status_code == 404
    assert _call(h, "POST", "/admin/broadcasts/999999/send").status_code == 404
    assert _call(h, "GET", "/admin/broadcasts?status=nope").status_code == 400


def test_friday_night_broadcast_waits_for_saturday_and_can_be_cancelled(
    h: TicketingHarness, friday_night: datetime
) -> None:
    created = _call(h, "POST", "/admin/broadcasts", json=OFFER)
    assert created.status_code == 201, created.text
    broadcast = created.json()
    assert broadcast["status"] == "draft" and broadcast["purpose"] == "marketing"
    bid = broadcast["id"]

    preview = _call(h, "GET", f"/admin/broadcasts/{bid}/preview").json()
    assert set(preview["languages"]) == {"es", "en"}
    assert "FASHION20" in preview["languages"]["es"]["text"]

    dry = _call(h, "POST", f"/admin/broadcasts/{bid}/dry-run")
    assert dry.status_code == 200
    assert dry.json()["recipients"] == 3
    assert dry.json()["by_language"] == {"es": 2, "en": 1}
    assert dry.json()["excluded"] == {"opted_out": 1}

    sent = _call(h, "POST", f"/admin/broadcasts/{bid}/send")
    assert sent.status_code == 202, sent.text
    assert sent.json()["status"] == "scheduled" and sent.json()["queued"] == 3
    assert sent.json()["first_slot"] == "2027-03-06T13:00:00+00:00"  # Sat 08:00 Bogotá
    rows = h.run(h.action_app.ctx.store.list_outbox(broadcast_id=bid))
    assert {r.next_attempt_at for r in rows} == {bogota(2027, 3, 6, 8, 0)}
    assert _call(h, "POST", f"/admin/broadcasts/{bid}/send").status_code == 409

    status = _call(h, "GET", f"/admin/broadcasts/{bid}").json()
    assert status["status"] == "scheduled" and status["progress"]["queued"] == 3

    cancelled = _call(h, "POST", f"/admin/broadcasts/{bid}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["cancelled_rows"] == 3
    status = _call(h, "GET", f"/admin/broadcasts/{bid}").json()
    assert status["status"] == "cancelled"
    assert status["progress"]["cancelled"] == 3 and status["progress"]["queued"] == 0
    listed = _call(h, "GET", "/admin/broadcasts?status=cancelled").json()["broadcasts"]
    assert bid in {b["id"] for b in listed}


def test_saturday_10_schedule_is_honoured(h: TicketingHarness, friday_night: datetime) -> None:
    body = {**OFFER, "name": "Sábado", "scheduled_for": "2027-03-06T10:00:00-05:00"}
    bid = _call(h, "POST", "/admin/broadcasts", json=body).json()["id"]
    sent = _call(h, "POST", f"/admin/broadcasts/{bid}/send")
    assert sent.status_code == 202
    rows = h.run(h.action_app.ctx.store.list_outbox(broadcast_id=bid))
    assert len(rows) == 3 and {r.next_attempt_at for r in rows} == {bogota(2027, 3, 6, 10, 0)}
    _call(h, "POST", f"/admin/broadcasts/{bid}/cancel")


def test_a_template_that_is_not_approved_is_refused(
    h: TicketingHarness, friday_night: datetime
) -> None:
    store: Store = h.action_app.ctx.store
    h.run(
        store.set_message_template_status(
            name="community_update", language="es_CO", status="REJECTED"
        )
    )
    body = {
        **OFFER,
        "template": "community_update",
        "variables": {
            "headline": "Convocatoria abierta",
            "summary": "Postúlate hasta el 30 de marzo.",
            "post_slug": "convocatoria-2027",
        },
    }
    bid = _call(h, "POST", "/admin/broadcasts", json=body).json()["id"]
    refused = _call(h, "POST", f"/admin/broadcasts/{bid}/send")
    assert refused.status_code == 409
    assert "community_update [es_CO] is REJECTED" in refused.json()["error"]
    assert h.run(store.list_outbox(broadcast_id=bid)) == []


def test_utility_broadcast_goes_out_now_and_progress_counts_it(h: TicketingHarness) -> None:
    body = {
        "name": "Cambio de hora",
        "template": "schedule_update",
        "variables": {
            "event": "Pasarela Otoño 2026",
            "new_date_time": "sábado, 8:30 p. m.",
            "venue": "Plaza Mayor, Medellín",
            "details": "Empezamos 30 minutos más tarde.",
        },
        "segment": {"event_id": EVENT},
        "created_by": "laura",
    }
    bid = _call(h, "POST", "/admin/broadcasts", json=body).json()["id"]
    sent = _call(h, "POST", f"/admin/broadcasts/{bid}/send")
    assert sent.status_code == 202 and sent.json()["queued"] == 4  # STOP: still utility
    deadline = time.monotonic() + 20
    status: dict[str, Any] = {}
    while time.monotonic() < deadline:
        status = _call(h, "GET", f"/admin/broadcasts/{bid}").json()
        if status["progress"]["sent"] == 4:
            break
        time.sleep(0.2)
    assert status["progress"]["sent"] == 4, status
    assert status["status"] == "done" and status["finished_at"]
    for wa_id in GRANTED:
        received = [m for m in h.messages_to(wa_id) if m["type"] == "template"]
        assert len(received) == 1, received
        assert "schedule_update" in json.dumps(received[0]["body"], ensure_ascii=False)


def test_cli_is_a_client_of_the_api(
    h: TicketingHarness,
    friday_night: datetime,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from bot import broadcasts_cli
    from bot.cli import main

    monkeypatch.setattr(broadcasts_cli, "get_settings", lambda: h.settings)
    assert broadcasts_cli.parse_vars(["code=X1", "es.until=lunes", "en.until=Monday"]) == {
        "code": "X1",
        "es": {"until": "lunes"},
        "en": {"until": "Monday"},
    }
    argv = ["broadcasts", "create", "--name", "CLI", "--template", "special_offer"]
    for key, value in OFFER["variables"].items():
        argv += ["--var", f"{key}={value}"]
    argv += ["--event", str(EVENT), "--opt-in", "--at", "2027-03-06T10:00:00-05:00"]
    assert main(argv) == 0
    bid = json.loads(capsys.readouterr().out)["id"]
    assert main(["broadcasts", "dry-run", str(bid)]) == 0
    assert json.loads(capsys.readouterr().out)["recipients"] == 3
    assert main(["broadcasts", "preview", str(bid)]) == 0
    assert "FASHION20" in capsys.readouterr().out
    assert main(["broadcasts", "send", str(bid)]) == 0
    assert json.loads(capsys.readouterr().out)["queued"] == 3
    assert main(["broadcasts", "send", str(bid)]) == 1
    assert "only a draft" in capsys.readouterr().err
    assert main(["broadcasts", "status", str(bid)]) == 0
    assert json.loads(capsys.readouterr().out)["progress"]["queued"] == 3
    assert main(["broadcasts", "cancel", str(bid)]) == 0
    assert json.loads(capsys.readouterr().out)["cancelled_rows"] == 3
    assert main(["broadcasts", "list", "--status", "cancelled"]) == 0
    assert f'"id": {bid}' in capsys.readouterr().out
