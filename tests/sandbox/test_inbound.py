"""Inbound messages: the sandbox API builds real §2 envelopes and signs them."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import httpx
import pytest

from tests.sandbox.helpers import Captured, Receiver, Sandbox, open_window, send

PNG = b"\x89PNG\r\n\x1a\n" + b"\x01" * 32


def post_inbound(api: httpx.Client, spec: dict[str, Any], sync: bool = True) -> dict[str, Any]:
    response = api.post("/sandbox/api/inbound", params={"sync": 1} if sync else None, json=spec)
    assert response.status_code == 200, response.text
    return response.json()


def only_message(receiver: Receiver, wamid: str, count: int = 1) -> tuple[Captured, dict[str, Any]]:
    found = receiver.wait_for(lambda c: any(m["id"] == wamid for m in c.messages), count=count)
    captured = found[0]
    assert captured.signature_valid
    assert captured.content_type == "application/json"
    return captured, captured.messages[0]


def test_text_envelope_is_exactly_the_cloud_api_shape(
    api: httpx.Client, sandbox: Sandbox, receiver: Receiver, wa_id: str
) -> None:
    result = post_inbound(
        api, {"from": wa_id, "name": "Laura Gómez", "type": "text", "text": "hola ¿qué más?"}
    )
    assert result["webhook_status"] == 200 and result["id"].startswith("wamid.")
    captured, message = only_message(receiver, result["id"])
    assert captured.body.isascii() and b"\\u00bf" in captured.body  # signed ASCII-escaped bytes
    assert captured.payload["object"] == "whatsapp_business_account"
    (entry,) = captured.payload["entry"]
    assert entry["id"] == sandbox.config.waba_id
    (change,) = entry["changes"]
    assert change["field"] == "messages"
    value = change["value"]
    assert value["messaging_product"] == "whatsapp"
    assert value["metadata"] == {
        "display_phone_number": sandbox.config.display_phone_number,
        "phone_number_id": sandbox.config.phone_number_id,
    }
    assert value["contacts"] == [{"profile": {"name": "Laura Gómez"}, "wa_id": wa_id}]
    assert message == {
        "from": wa_id,
        "id": result["id"],
        "timestamp": message["timestamp"],
        "type": "text",
        "text": {"body": "hola ¿qué más?"},
    }
    assert message["timestamp"].isdigit()


def test_button_and_list_replies_point_at_the_offering_message(
    api: httpx.Client, graph: httpx.Client, sandbox: Sandbox, receiver: Receiver, wa_id: str
) -> None:
    open_window(api, wa_id)
    offer = send(
        graph,
        sandbox,
        {
            "to": wa_id,
            "type": "interactive",
            "interactive": {
                "type": "button",
                "body": {"text": "¿Vienes?"},
                "action": {
                    "buttons": [{"type": "reply", "reply": {"id": "/affirm", "title": "Sí"}}]
                },
            },
        },
    ).json()["messages"][0]["id"]
    menu = send(
        graph,
        sandbox,
        {
            "to": wa_id,
            "type": "interactive",
            "interactive": {
                "type": "list",
                "body": {"text": "Eventos"},
                "action": {
                    "button": "Ver",
                    "sections": [{"rows": [{"id": "evt_1", "title": "Pasarela"}]}],
                },
            },
        },
    ).json()["messages"][0]["id"]

    button = post_inbound(
        api,
        {"from": wa_id, "type": "interactive", "button_reply": {"id": "/affirm", "title": "Sí"}},
    )
    _c, message = only_message(receiver, button["id"])
    assert message["interactive"] == {
        "type": "button_reply",
        "button_reply": {"id": "/affirm", "title": "Sí"},
    }
    assert message["context"] == {"from": sandbox.config.display_phone_number, "id": offer}

    row = post_inbound(
        api,
        {"from": wa_id, "type": "interactive", "list_reply": {"id": "evt_1", "title": "Pasarela"}},
    )
    _c, message = only_message(receiver, row["id"])
    assert message["interactive"] == {
        "type": "list_reply",
        "list_reply": {"id": "evt_1", "title": "Pasarela"},
    }
    assert message["context"]["id"] == menu


def test_location(api: httpx.Client, receiver: Receiver, wa_id: str) -> None:
    result = post_inbound(
        api,
        {
            "from": wa_id,
            "type": "location",
            "latitude": 6.2088,
            "longitude": -75.5673,
            "name": "Plaza Mayor",
            "address": "Cl. 41 #55-80",
        },
    )
    _c, message = only_message(receiver, result["id"])
    assert message["location"] == {
        "latitude": 6.2088,
        "longitude": -75.5673,
        "name": "Plaza Mayor",
        "address": "Cl. 41 #55-80",
    }


def test_image_from_base64_is_downloadable_by_the_bot(
    api: httpx.Client, graph: httpx.Client, receiver: Receiver, wa_id: str
) -> None:
    result = post_inbound(
        api,
        {
            "from": wa_id,
            "type": "image",
            "caption": "mi look",
            "data": base64.b64encode(PNG).decode(),
            "mime_type": "image/png",
        },
    )
    _c, message = only_message(receiver, result["id"])
    image = message["image"]
    assert image["mime_type"] == "image/png" and image["caption"] == "mi look"
    assert image["sha256"] == base64.b64encode(hashlib.sha256(PNG).digest()).decode()
    info = graph.get(f"/{image['id']}").json()
    assert graph.get(info["url"]).content == PNG


def test_document_contacts_reaction_and_raw(
    api: httpx.Client, receiver: Receiver, wa_id: str
) -> None:
    doc = post_inbound(
        api,
        {
            "from": wa_id,
            "type": "document",
            "filename": "hoja_de_vida.pdf",
            "data": base64.b64encode(b"%PDF-1.4").decode(),
            "mime_type": "application/pdf",
        },
    )
    assert only_message(receiver, doc["id"])[1]["document"]["filename"] == "hoja_de_vida.pdf"
    contacts = [
        {"name": {"formatted_name": "Ana"}, "phones": [{"phone": "+573001112233", "type": "CELL"}]}
    ]
    card = post_inbound(api, {"from": wa_id, "type": "contacts", "contacts": contacts})
    assert only_message(receiver, card["id"])[1]["contacts"] == contacts
    reaction = post_inbound(
        api, {"from": wa_id, "type": "reaction", "message_id": "wamid.x", "emoji": "🔥"}
    )
    assert only_message(receiver, reaction["id"])[1]["reaction"] == {
        "message_id": "wamid.x",
        "emoji": "🔥",
    }
    raw = {
        "type": "unsupported",
        "errors": [{"code": 131051, "title": "Message type unknown"}],
        "unsupported": {"type": "poll"},
    }
    odd = post_inbound(api, {"from": wa_id, "raw_message": raw})
    _c, message = only_message(receiver, odd["id"])
    assert message["type"] == "unsupported" and message["unsupported"] == {"type": "poll"}
    assert message["from"] == wa_id


@pytest.mark.parametrize(
    "spec",
    [
        {"type": "text"},
        {"type": "interactive", "button_reply": {"id": "x"}},
        {"type": "image", "data": "not base64!", "mime_type": "image/png"},
        {"type": "image", "data": "AAAA", "mime_type": "image/gif"},
        {"type": "nope"},
    ],
)
def test_bad_inbound_requests_are_400(api: httpx.Client, wa_id: str, spec: dict[str, Any]) -> None:
    response = api.post("/sandbox/api/inbound", json={"from": wa_id, **spec})
    assert response.status_code == 400
    assert response.json()["error"] == "bad_request"
    assert api.post("/sandbox/api/inbound", json={"from": "abc", "text": "x"}).status_code == 400


def test_duplicates(api: httpx.Client, receiver: Receiver, wa_id: str) -> None:
    twice = post_inbound(api, {"from": wa_id, "text": "dos veces", "deliver_twice": True})
    receiver.wait_for(lambda c: any(m["id"] == twice["id"] for m in c.messages), count=2)
    first, second = [
        c for c in receiver.webhooks if c.messages and c.messages[0]["id"] == twice["id"]
    ]
    assert first.body == second.body and first.signature == second.signature

    forced = post_inbound(api, {"from": wa_id, "text": "con id", "id": "wamid.FORCED1"})
    again = post_inbound(api, {"from": wa_id, "text": "con id", "id": "wamid.FORCED1"})
    assert forced == again  # same message, delivered again
    only_message(receiver, "wamid.FORCED1", count=2)
    stored = api.get("/sandbox/api/messages", params={"to": wa_id, "direction": "in"}).json()
    assert [m["id"] for m in stored["messages"]].count("wamid.FORCED1") == 1


def test_webhook_retries_until_2xx_and_records_attempts(
    api: httpx.Client, receiver: Receiver, wa_id: str
) -> None:
    receiver.fail_next.extend([500, 503])
    result = post_inbound(api, {"from": wa_id, "text": "reintento"})
    assert result["webhook_status"] == 200 and result["webhook_attempts"] == 3
    deliveries = api.get("/sandbox/api/webhook-deliveries", params={"ref": result["id"]}).json()[
        "deliveries"
    ]
    (delivery,) = deliveries
    assert [a["status_code"] for a in delivery["attempts"]] == [500, 503, 200]
    assert delivery["state"] == "delivered" and delivery["kind"] == "message"
    poll = api.get(f"/sandbox/api/conversations/{wa_id}/messages").json()
    assert poll["messages"][0]["status"] == "sent"


def test_webhook_gives_up_after_max_attempts(
    api: httpx.Client, receiver: Receiver, wa_id: str
) -> None:
    receiver.fail_next.extend([500, 500, 500])
    result = post_inbound(api, {"from": wa_id, "text": "sin suerte"})
    assert result["webhook_status"] == 500 and result["webhook_attempts"] == 3
    message = api.get(f"/sandbox/api/conversations/{wa_id}/messages").json()["messages"][0]
    assert message["status"] == "failed" and message["error"]["title"] == "Webhook delivery failed"
