"""The send endpoint: auth, validation envelopes, success, statuses and the 24 h window."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from tests.sandbox.helpers import (
    Receiver,
    Sandbox,
    open_window,
    send,
    text_message,
)


def assert_graph_error(response: httpx.Response, http_status: int, code: int, title: str) -> str:
    """The exact §7.1 envelope; returns ``details`` for further checks."""
    assert response.status_code == http_status, response.text
    error = response.json()["error"]
    assert set(error) == {"message", "type", "code", "error_data", "fbtrace_id"}
    assert error["message"] == f"(#{code}) {title}"
    assert error["type"] == "OAuthException"
    assert error["code"] == code
    assert error["error_data"]["messaging_product"] == "whatsapp"
    assert isinstance(error["fbtrace_id"], str) and error["fbtrace_id"]
    return error["error_data"]["details"]


def buttons(*titles: str) -> dict[str, Any]:
    return {
        "type": "button",
        "body": {"text": "¿Qué quieres hacer?"},
        "action": {
            "buttons": [
                {"type": "reply", "reply": {"id": f"b{i}", "title": t}}
                for i, t in enumerate(titles)
            ]
        },
    }


def list_rows(count: int, sections: int = 1) -> dict[str, Any]:
    per = count // sections
    return {
        "type": "list",
        "body": {"text": "Elige un evento"},
        "action": {
            "button": "Ver eventos",
            "sections": [
                {
                    "title": f"Sección {s}",
                    "rows": [{"id": f"r{s}_{i}", "title": f"Evento {s}.{i}"} for i in range(per)],
                }
                for s in range(sections)
            ],
        },
    }


# --- authentication -----------------------------------------------------------------------
@pytest.mark.parametrize("header", [None, "Bearer wrong-token", "Basic abc"])
def test_bad_or_missing_token_is_401_code_190(
    sandbox: Sandbox, wa_id: str, header: str | None
) -> None:
    headers = {"Authorization": header} if header else {}
    response = httpx.post(sandbox.messages_url, json=text_message(wa_id), headers=headers)
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["code"] == 190
    assert error["type"] == "OAuthException"
    assert error["message"].startswith("(#190) ")
    assert "error_data" not in error  # token errors carry none (contract §7.1)


def test_unknown_phone_number_id_is_code_100(graph: httpx.Client, wa_id: str) -> None:
    response = graph.post(
        "/999/messages", json={"messaging_product": "whatsapp", **text_message(wa_id)}
    )
    details = assert_graph_error(response, 400, 100, "Invalid parameter")
    assert "999" in details


def test_any_api_version_is_accepted(
    sandbox: Sandbox, graph: httpx.Client, api: httpx.Client, wa_id: str
) -> None:
    open_window(api, wa_id)
    url = f"{sandbox.base_url}/graph/v19.0/{sandbox.config.phone_number_id}/messages"
    response = graph.post(url, json={"messaging_product": "whatsapp", **text_message(wa_id)})
    assert response.status_code == 200


def test_unknown_graph_path_uses_the_error_envelope(graph: httpx.Client) -> None:
    response = graph.get("/1/2/3/4")
    assert_graph_error(response, 400, 100, "Invalid parameter")


# --- validation ---------------------------------------------------------------------------------
INVALID = [
    ("text too long", {"type": "text", "text": {"body": "x" * 4097}}, 131009, "4096"),
    ("text missing body", {"type": "text", "text": {}}, 131008, "text['body']"),
    (
        "four buttons",
        {"type": "interactive", "interactive": buttons("a", "b", "c", "d")},
        131009,
        "between 1 and 3",
    ),
    (
        "duplicate titles",
        {"type": "interactive", "interactive": buttons("Sí", "Sí")},
        131009,
        "unique",
    ),
    (
        "title too long",
        {"type": "interactive", "interactive": buttons("x" * 21)},
        131009,
        "Max length: 20",
    ),
    (
        "eleven rows",
        {"type": "interactive", "interactive": list_rows(11)},
        131009,
        "Total row count exceed max allowed count: 10",
    ),
    (
        "eleven rows in two sections",
        {"type": "interactive", "interactive": list_rows(12, 2)},
        131009,
        "Total row count",
    ),
    (
        "unknown interactive type",
        {
            "type": "interactive",
            "interactive": {"type": "poll", "body": {"text": "x"}, "action": {}},
        },
        131009,
        "interactive['type']",
    ),
    (
        "caption too long",
        {"type": "image", "image": {"link": "https://x.co/a.png", "caption": "c" * 1025}},
        131009,
        "1024",
    ),
    ("image without id or link", {"type": "image", "image": {}}, 131008, "image['id']"),
    ("unknown media id", {"type": "image", "image": {"id": "123"}}, 131053, "123"),
    (
        "latitude as string",
        {"type": "location", "location": {"latitude": "6.2", "longitude": -75.5}},
        131009,
        "latitude",
    ),
    (
        "contacts without formatted_name",
        {"type": "contacts", "contacts": [{"name": {}}]},
        131008,
        "formatted_name",
    ),
    (
        "reaction without message_id",
        {"type": "reaction", "reaction": {"emoji": "👍"}},
        131008,
        "message_id",
    ),
    ("unknown type", {"type": "poll", "poll": {}}, 100, "Param type"),
]


@pytest.mark.parametrize(("case", "body", "code", "needle"), INVALID, ids=[c[0] for c in INVALID])
def test_invalid_bodies_get_exact_error_envelopes(
    graph: httpx.Client,
    sandbox: Sandbox,
    api: httpx.Client,
    wa_id: str,
    case: str,
    body: dict[str, Any],
    code: int,
    needle: str,
) -> None:
    open_window(api, wa_id)
    response = send(graph, sandbox, {"to": wa_id, **body})
    titles = {
        100: "Invalid parameter",
        131008: "Required parameter is missing",
        131009: "Parameter value is not valid",
        131053: "Media upload error",
    }
    details = assert_graph_error(response, 400, code, titles[code])
    assert needle in details, case


def test_envelope_problems_are_code_100(graph: httpx.Client, sandbox: Sandbox, wa_id: str) -> None:
    url = f"/{sandbox.config.phone_number_id}/messages"
    no_product = graph.post(url, json=text_message(wa_id))
    assert "messaging_product" in assert_graph_error(no_product, 400, 100, "Invalid parameter")
    not_json = graph.post(url, content=b"{nope", headers={"Content-Type": "application/json"})
    assert_graph_error(not_json, 400, 100, "Invalid parameter")
    bad_to = graph.post(url, json={"messaging_product": "whatsapp", **text_message("hola")})
    assert_graph_error(bad_to, 400, 100, "Invalid parameter")


def test_list_with_ten_rows_and_string_action_is_accepted(
    graph: httpx.Client, sandbox: Sandbox, api: httpx.Client, wa_id: str
) -> None:
    open_window(api, wa_id)
    interactive = list_rows(10, 2)
    interactive["action"] = json.dumps(interactive["action"])  # chatwoot sends a string
    response = send(
        graph, sandbox, {"to": wa_id, "type": "interactive", "interactive": interactive}
    )
    assert response.status_code == 200, response.text
    stored = api.get("/sandbox/api/messages", params={"to": wa_id}).json()["messages"][0]
    assert isinstance(stored["body"]["interactive"]["action"], dict)  # parsed for the chat


def test_cta_url_and_three_buttons_are_accepted(
    graph: httpx.Client, sandbox: Sandbox, api: httpx.Client, wa_id: str
) -> None:
    open_window(api, wa_id)
    cta = {
        "type": "cta_url",
        "body": {"text": "Compra tu entrada"},
        "action": {
            "name": "cta_url",
            "parameters": {"display_text": "Comprar", "url": "https://example.com/t"},
        },
    }
    for interactive in (cta, buttons("Sí", "No", "Tal vez")):
        response = send(
            graph, sandbox, {"to": wa_id, "type": "interactive", "interactive": interactive}
        )
        assert response.status_code == 200, response.text


# --- success and statuses ----------------------------------------------------------------------
def test_success_shape_and_signed_sent_then_delivered(
    graph: httpx.Client, sandbox: Sandbox, api: httpx.Client, receiver: Receiver, wa_id: str
) -> None:
    open_window(api, wa_id)
    response = send(
        graph,
        sandbox,
        {**text_message("+" + wa_id, "Hola 👗"), "biz_opaque_callback_data": "out-42"},
    )
    assert response.status_code == 200
    data = response.json()
    assert data["messaging_product"] == "whatsapp"
    assert data["contacts"] == [{"input": "+" + wa_id, "wa_id": wa_id}]
    (message,) = data["messages"]
    assert message["id"].startswith("wamid.") and message["message_status"] == "accepted"

    sent = receiver.wait_status(message["id"], "sent")
    delivered = receiver.wait_status(message["id"], "delivered")
    assert sent["recipient_id"] == wa_id
    assert sent["biz_opaque_callback_data"] == "out-42"
    assert isinstance(sent["timestamp"], str) and sent["timestamp"].isdigit()
    assert sent["conversation"]["origin"] == {"type": "service"}
    assert "expiration_timestamp" in sent["conversation"]
    assert "expiration_timestamp" not in delivered["conversation"]
    assert sent["pricing"] == {
        "billable": False,
        "pricing_model": "PMP",
        "category": "service",
        "type": "free_customer_service",
    }
    assert receiver.statuses_of(message["id"]) == ["sent", "delivered"]  # no read without a human
    captured = receiver.webhooks[0]
    assert captured.content_type == "application/json"
    assert captured.body.isascii()  # non-ASCII is escaped before signing
    value = captured.values[0]
    assert value["metadata"] == {
        "display_phone_number": sandbox.config.display_phone_number,
        "phone_number_id": sandbox.config.phone_number_id,
    }


def test_auto_read_emits_read(
    graph: httpx.Client, sandbox: Sandbox, api: httpx.Client, receiver: Receiver, wa_id: str
) -> None:
    api.post("/sandbox/api/config", json={"auto_read": True}).raise_for_status()
    open_window(api, wa_id)
    wamid = send(graph, sandbox, text_message(wa_id)).json()["messages"][0]["id"]
    receiver.wait_status(wamid, "read")
    assert receiver.statuses_of(wamid) == ["sent", "delivered", "read"]


def test_statuses_in_a_batch_window_share_one_webhook(
    graph: httpx.Client, sandbox: Sandbox, api: httpx.Client, receiver: Receiver, wa_id: str
) -> None:
    """``status_batch_window_s``: several statuses in one ``statuses[]``, as under load."""
    api.post("/sandbox/api/config", json={"status_batch_window_s": 0.3}).raise_for_status()
    open_window(api, wa_id)
    wamids = [
        send(
            graph, sandbox, {**text_message(wa_id, f"n{i}"), "biz_opaque_callback_data": f"k{i}"}
        ).json()["messages"][0]["id"]
        for i in range(3)
    ]
    for wamid in wamids:
        receiver.wait_status(wamid, "delivered")
    sent = [c for c in receiver.webhooks if any(s["status"] == "sent" for s in c.statuses)]
    assert any(len(c.statuses) > 1 for c in sent), [len(c.statuses) for c in sent]
    assert all(c.signature_valid for c in receiver.webhooks)
    echoed = {s["id"]: s.get("biz_opaque_callback_data") for c in sent for s in c.statuses}
    assert [echoed[w] for w in wamids] == ["k0", "k1", "k2"]


def test_chat_read_endpoint_emits_read(
    graph: httpx.Client, sandbox: Sandbox, api: httpx.Client, receiver: Receiver, wa_id: str
) -> None:
    open_window(api, wa_id)
    wamid = send(graph, sandbox, text_message(wa_id)).json()["messages"][0]["id"]
    receiver.wait_status(wamid, "delivered")
    seq = api.get("/sandbox/api/messages", params={"to": wa_id}).json()["messages"][-1]["seq"]
    assert api.post(f"/sandbox/api/conversations/{wa_id}/read", json={"up_to_seq": seq}).json() == {
        "marked": 1
    }
    receiver.wait_status(wamid, "read")


def test_mark_as_read_marks_inbound_and_earlier(
    graph: httpx.Client, sandbox: Sandbox, api: httpx.Client, wa_id: str
) -> None:
    first = api.post(
        "/sandbox/api/inbound", params={"sync": 1}, json={"from": wa_id, "text": "uno"}
    ).json()
    second = api.post(
        "/sandbox/api/inbound", params={"sync": 1}, json={"from": wa_id, "text": "dos"}
    ).json()
    response = send(
        graph,
        sandbox,
        {"status": "read", "message_id": second["id"], "typing_indicator": {"type": "text"}},
    )
    assert response.status_code == 200 and response.json() == {"success": True}
    poll = api.get(f"/sandbox/api/conversations/{wa_id}/messages").json()
    statuses = {m["id"]: m["status"] for m in poll["messages"]}
    assert statuses[first["id"]] == statuses[second["id"]] == "read"
    assert poll["typing"] is True
    unknown = send(graph, sandbox, {"status": "read", "message_id": "wamid.nope"})
    assert_graph_error(unknown, 400, 100, "Invalid parameter")


# --- 24 h window ---------------------------------------------------------------------------------
def test_closed_window_is_131047_sync(graph: httpx.Client, sandbox: Sandbox, wa_id: str) -> None:
    response = send(graph, sandbox, text_message(wa_id))
    details = assert_graph_error(response, 400, 131047, "Re-engagement message")
    assert "24 hours" in details


def test_window_opens_with_inbound_and_closes_on_demand(
    graph: httpx.Client, sandbox: Sandbox, api: httpx.Client, wa_id: str
) -> None:
    api.post("/sandbox/api/inbound", json={"from": wa_id, "text": "hola"}).raise_for_status()
    assert send(graph, sandbox, text_message(wa_id)).status_code == 200
    closed = api.post(f"/sandbox/api/conversations/{wa_id}/window", json={"open": False}).json()
    assert closed == {"open": False, "expires_at": None}
    assert send(graph, sandbox, text_message(wa_id)).status_code == 400


def test_closed_window_async_mode_sends_failed_status(
    graph: httpx.Client, sandbox: Sandbox, api: httpx.Client, receiver: Receiver, wa_id: str
) -> None:
    api.post("/sandbox/api/config", json={"sync_window_error": False}).raise_for_status()
    response = send(graph, sandbox, text_message(wa_id))
    assert response.status_code == 200
    wamid = response.json()["messages"][0]["id"]
    failed = receiver.wait_status(wamid, "failed")
    (error,) = failed["errors"]
    assert error["code"] == 131047
    assert error["title"] == error["message"] == "Re-engagement message"
    assert "details" in error["error_data"] and error["href"]
    assert "pricing" not in failed and "conversation" not in failed
    assert receiver.statuses_of(wamid) == ["failed"]


def test_template_is_allowed_outside_the_window(
    graph: httpx.Client, sandbox: Sandbox, receiver: Receiver, wa_id: str
) -> None:
    template = {"name": "hello_world", "language": {"code": "en_US"}}
    response = send(graph, sandbox, {"to": wa_id, "type": "template", "template": template})
    assert response.status_code == 200, response.text
    sent = receiver.wait_status(response.json()["messages"][0]["id"], "sent")
    assert sent["pricing"]["category"] == "utility" and sent["pricing"]["type"] == "regular"
    assert sent["conversation"]["origin"]["type"] == "utility"


# --- limits ------------------------------------------------------------------------------------
async def test_throughput_burst_gets_130429(sandbox: Sandbox, wa_id: str) -> None:
    async with httpx.AsyncClient(base_url=sandbox.base_url, timeout=10) as api:
        await api.post("/sandbox/api/config", json={"rate_limit_per_s": 2})
        await api.post(f"/sandbox/api/conversations/{wa_id}/window", json={"open": True})
    headers = {"Authorization": f"Bearer {sandbox.config.access_token}"}
    body = {"messaging_product": "whatsapp", **text_message(wa_id)}
    async with httpx.AsyncClient(headers=headers, timeout=10) as client:
        responses = await asyncio.gather(
            *(client.post(sandbox.messages_url, json=body) for _ in range(24))
        )
    accepted = [r for r in responses if r.status_code == 200]
    throttled = [r for r in responses if r.status_code != 200]
    assert len(accepted) >= 2  # the bucket starts full: one second's worth goes through
    assert len(throttled) >= 12  # even on a slow machine the burst outruns 2 msg/s
    for response in throttled:
        assert_graph_error(response, 400, 130429, "Rate limit hit")


def test_pair_rate_limit_is_optional(
    graph: httpx.Client, sandbox: Sandbox, api: httpx.Client, wa_id: str
) -> None:
    open_window(api, wa_id)
    for _ in range(3):
        assert send(graph, sandbox, text_message(wa_id)).status_code == 200  # off by default
    api.post(
        "/sandbox/api/config", json={"pair_rate_limit": True, "pair_burst": 2}
    ).raise_for_status()
    codes = [send(graph, sandbox, text_message(wa_id)).status_code for _ in range(3)]
    assert codes == [200, 200, 400]
    assert send(graph, sandbox, text_message(wa_id)).json()["error"]["code"] == 131056
