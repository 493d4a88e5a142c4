"""The sandbox's own API: faults, long-poll, verification, roles, reset, web chat assets."""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from tests.sandbox.helpers import Receiver, Sandbox, open_window, send, text_message


# --- fault injection ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("mode", "http_status", "code"),
    [
        ("429", 429, 4),
        ("500", 500, 131000),
        ("503", 503, 131016),
        ("token", 401, 190),
        ("window_closed", 400, 131047),
    ],
)
def test_faults_fail_the_next_sends(
    api: httpx.Client,
    graph: httpx.Client,
    sandbox: Sandbox,
    wa_id: str,
    mode: str,
    http_status: int,
    code: int,
) -> None:
    open_window(api, wa_id)
    assert api.post("/sandbox/api/faults", json={"mode": mode, "count": 2}).json()["total"] == 2
    for remaining in (1, 0):
        response = send(graph, sandbox, text_message(wa_id))
        assert response.status_code == http_status
        assert response.json()["error"]["code"] == code
        assert api.get("/sandbox/api/faults").json()["total"] == remaining
    assert send(graph, sandbox, text_message(wa_id)).status_code == 200


def test_undeliverable_fault_is_an_async_failure(
    api: httpx.Client, graph: httpx.Client, sandbox: Sandbox, receiver: Receiver, wa_id: str
) -> None:
    open_window(api, wa_id)
    api.post("/sandbox/api/faults", json={"mode": "undeliverable", "count": 1}).raise_for_status()
    response = send(graph, sandbox, text_message(wa_id))
    assert response.status_code == 200
    failed = receiver.wait_status(response.json()["messages"][0]["id"], "failed")
    assert failed["errors"][0]["code"] == 131026


def test_timeout_fault_outlasts_the_client_timeout(
    api: httpx.Client, sandbox: Sandbox, wa_id: str
) -> None:
    open_window(api, wa_id)
    api.post("/sandbox/api/faults", json={"mode": "timeout", "count": 1}).raise_for_status()
    headers = {"Authorization": f"Bearer {sandbox.config.access_token}"}
    body = {"messaging_product": "whatsapp", **text_message(wa_id)}
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(sandbox.messages_url, json=body, headers=headers, timeout=0.3)


def test_bad_fault_requests(api: httpx.Client) -> None:
    assert api.post("/sandbox/api/faults", json={"mode": "boom"}).status_code == 400
    assert api.post("/sandbox/api/faults", json={"mode": "500", "count": -1}).status_code == 400
    api.post("/sandbox/api/faults", json={"mode": "500", "count": 3})
    assert api.delete("/sandbox/api/faults").json() == {"remaining": [], "total": 0}


# --- long-poll --------------------------------------------------------------------------------
def test_long_poll_times_out_within_wait(api: httpx.Client, wa_id: str) -> None:
    started = time.monotonic()
    result = api.get(
        f"/sandbox/api/conversations/{wa_id}/messages", params={"after": 0, "wait": 0.4}
    ).json()
    elapsed = time.monotonic() - started
    assert result["messages"] == [] and 0.35 <= elapsed < 2.0
    assert result["window"] == {"open": False, "expires_at": None}


def test_long_poll_wakes_on_new_message_and_on_status_change(
    api: httpx.Client, graph: httpx.Client, sandbox: Sandbox, receiver: Receiver, wa_id: str
) -> None:
    inbound = api.post(
        "/sandbox/api/inbound", params={"sync": 1}, json={"from": wa_id, "text": "hola"}
    ).json()
    first = api.get(f"/sandbox/api/conversations/{wa_id}/messages", params={"after": 0}).json()
    cursor = first["last_seq"]

    timer = threading.Timer(0.2, lambda: send(graph, sandbox, text_message(wa_id, "¡Hola!")))
    timer.start()
    started = time.monotonic()
    woke = api.get(
        f"/sandbox/api/conversations/{wa_id}/messages", params={"after": cursor, "wait": 5}
    ).json()
    timer.join()
    assert time.monotonic() - started < 2.0
    outbound = [m for m in woke["messages"] if m["direction"] == "out"]
    assert outbound and outbound[0]["body"]["text"]["body"] == "¡Hola!"
    assert outbound[0]["seq"] > inbound["seq"]

    receiver.wait_status(outbound[0]["id"], "delivered")
    later = api.get(
        f"/sandbox/api/conversations/{wa_id}/messages",
        params={"after": woke["last_seq"], "wait": 2},
    ).json()
    again = [m for m in later["messages"] if m["id"] == outbound[0]["id"]]
    assert again and again[0]["status"] in ("sent", "delivered")
    assert again[0]["seq"] == outbound[0]["seq"] and again[0]["rev"] > outbound[0]["rev"]


# --- verification handshake ------------------------------------------------------------------
def test_verify_handshake(api: httpx.Client) -> None:
    ok = api.post("/sandbox/api/verify").json()
    assert ok["ok"] is True and ok["status"] == 200 and ok["echo"] == ok["challenge"]
    wrong = api.post("/sandbox/api/verify", json={"verify_token": "nope"}).json()
    assert wrong["ok"] is False and wrong["status"] == 403


# --- roles ---------------------------------------------------------------------------------------
def test_role_is_forwarded_to_the_bot_admin_api(
    api: httpx.Client, receiver: Receiver, wa_id: str
) -> None:
    response = api.post(
        f"/sandbox/api/contacts/{wa_id}/role", json={"role": "model", "name": "Laura"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["ok"] is True
    (call,) = receiver.admin_calls
    assert call["wa_id"] == wa_id
    assert call["json"] == {"role": "model", "profile_name": "Laura"}
    assert call["authorization"] == "Bearer test-admin-token"
    poll = api.get(f"/sandbox/api/conversations/{wa_id}/messages").json()
    assert poll["contact"] == {"name": "Laura", "role": "model"}


def test_role_errors(api: httpx.Client, receiver: Receiver, wa_id: str) -> None:
    assert api.post(f"/sandbox/api/contacts/{wa_id}/role", json={"role": "king"}).status_code == 400
    receiver.admin_status = 500
    rejected = api.post(f"/sandbox/api/contacts/{wa_id}/role", json={"role": "staff"})
    assert rejected.status_code == 502 and rejected.json()["error"] == "bot_rejected"
    api.post("/sandbox/api/config", json={"webhook_url": "http://127.0.0.1:9/x"})  # tunable
    assert api.get("/sandbox/api/config").json()["webhook_url"] == "http://127.0.0.1:9/x"


def test_role_with_unreachable_bot_is_502(sandbox: Sandbox, wa_id: str) -> None:
    from bot.sandbox.testing import running_sandbox
    from tests.sandbox.helpers import make_config

    config = make_config("http://127.0.0.1:9")  # nothing listens on port 9
    with running_sandbox(config) as (base_url, _app):
        response = httpx.post(
            f"{base_url}/sandbox/api/contacts/{wa_id}/role", json={"role": "staff"}
        )
    assert response.status_code == 502
    assert response.json()["error"] == "bot_unreachable"


# --- misc -----------------------------------------------------------------------------------------
def test_health_config_reset_and_webchat(
    api: httpx.Client, graph: httpx.Client, sandbox: Sandbox, wa_id: str
) -> None:
    assert api.get("/health").json() == {"status": "ok"}
    config = api.get("/sandbox/api/config").json()
    assert "access_token" not in config and "app_secret" not in config
    assert config["phone_number_id"] == sandbox.config.phone_number_id
    assert api.post("/sandbox/api/config", json={"access_token": "x"}).status_code == 400
    assert api.post("/sandbox/api/config", json={"auto_read": "yes"}).status_code == 400
    assert api.post("/sandbox/api/config", json={"rate_limit_per_s": -1}).status_code == 400
    number = graph.get(f"/{sandbox.config.phone_number_id}").json()
    assert number["display_phone_number"] == sandbox.config.display_phone_number

    api.post("/sandbox/api/inbound", json={"from": wa_id, "text": "hola"})
    assert api.get("/sandbox/api/messages").json()["messages"]
    api.delete("/sandbox/api/reset").raise_for_status()
    assert api.get("/sandbox/api/messages").json()["messages"] == []
    assert send(graph, sandbox, text_message(wa_id)).status_code == 400  # window gone too

    page = api.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    for asset in ("app.js", "style.css"):
        assert asset in page.text
        assert api.get(f"/webchat/{asset}").status_code == 200
    assert api.get("/sandbox/api/nothing").status_code == 404
