"""Template management (§6) and template sends (§4.3)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.sandbox.helpers import Receiver, Sandbox, send


def templates_url(sandbox: Sandbox) -> str:
    return f"/{sandbox.config.waba_id}/message_templates"


def create(graph: httpx.Client, sandbox: Sandbox, **overrides: Any) -> httpx.Response:
    body: dict[str, Any] = {
        "name": "recordatorio_evento",
        "language": "es_CO",
        "category": "UTILITY",
        "components": [
            {
                "type": "BODY",
                "text": "Hola {{1}}, tu evento {{2}} empieza a las {{3}}.",
                "example": {"body_text": [["Laura", "Pasarela Medellín", "7:00 p. m."]]},
            },
            {"type": "BUTTONS", "buttons": [{"type": "QUICK_REPLY", "text": "Confirmo"}]},
        ],
    }
    body.update(overrides)
    return graph.post(templates_url(sandbox), json=body)


def wait_template_event(receiver: Receiver, template_id: str) -> dict[str, Any]:
    (captured,) = receiver.wait_for(
        lambda c: (
            c.field == "message_template_status_update"
            and c.values[0]["message_template_id"] == int(template_id)
        )
    )
    assert captured.signature_valid
    assert isinstance(captured.payload["entry"][0]["time"], int)
    return captured.values[0]


def test_seeded_templates_are_listed(graph: httpx.Client, sandbox: Sandbox) -> None:
    page = graph.get(templates_url(sandbox)).json()
    names = {(t["name"], t["language"], t["status"]) for t in page["data"]}
    assert ("hello_world", "en_US", "APPROVED") in names
    assert ("bienvenida", "es_CO", "APPROVED") in names
    assert set(page["paging"]["cursors"]) == {"before", "after"}
    first = graph.get(templates_url(sandbox), params={"limit": 1}).json()
    assert len(first["data"]) == 1 and "next" in first["paging"]
    second = graph.get(first["paging"]["next"]).json()
    assert second["data"][0]["name"] != first["data"][0]["name"]
    filtered = graph.get(templates_url(sandbox), params={"name": "bienvenida"}).json()
    assert [t["name"] for t in filtered["data"]] == ["bienvenida"]


def test_created_template_is_pending_then_approved(
    graph: httpx.Client, sandbox: Sandbox, receiver: Receiver
) -> None:
    response = create(graph, sandbox)
    assert response.status_code == 200, response.text
    created = response.json()
    assert created["status"] == "PENDING" and created["category"] == "UTILITY"
    assert graph.get(f"/{created['id']}").json()["status"] == "PENDING"
    update = wait_template_event(receiver, created["id"])
    assert update == {
        "event": "APPROVED",
        "message_template_id": int(created["id"]),
        "message_template_name": "recordatorio_evento",
        "message_template_language": "es_CO",
        "reason": "NONE",
        "message_template_category": "UTILITY",
    }
    assert graph.get(f"/{created['id']}").json()["status"] == "APPROVED"
    duplicate = create(graph, sandbox)
    assert duplicate.status_code == 400 and duplicate.json()["error"]["code"] == 100


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        (
            {"components": [{"type": "BODY", "text": "Hoy 20% de descuento en entradas VIP"}]},
            "INCORRECT_CATEGORY",
        ),
        (
            {
                "components": [
                    {
                        "type": "BODY",
                        "text": "Hola {{2}} y {{1}}",
                        "example": {"body_text": [["a", "b"]]},
                    }
                ]
            },
            "INVALID_FORMAT",
        ),
        ({"components": [{"type": "BODY", "text": "Hola {{1}}"}]}, "INVALID_FORMAT"),
    ],
    ids=["promotional utility", "placeholders out of order", "missing examples"],
)
def test_review_rejections(
    graph: httpx.Client,
    sandbox: Sandbox,
    receiver: Receiver,
    overrides: dict[str, Any],
    reason: str,
) -> None:
    created = create(graph, sandbox, **overrides).json()
    update = wait_template_event(receiver, created["id"])
    assert update["event"] == "REJECTED" and update["reason"] == reason
    assert set(update["rejection_info"]) == {"reason", "recommendation"}
    fetched = graph.get(f"/{created['id']}").json()
    assert fetched["status"] == "REJECTED" and fetched["rejected_reason"] == reason


def test_promotional_marketing_template_is_approved(
    graph: httpx.Client, sandbox: Sandbox, receiver: Receiver
) -> None:
    created = create(
        graph,
        sandbox,
        name="promo_vip",
        category="MARKETING",
        components=[{"type": "BODY", "text": "Hoy 20% de descuento en entradas VIP"}],
    ).json()
    assert wait_template_event(receiver, created["id"])["event"] == "APPROVED"


def test_create_validation_and_delete(graph: httpx.Client, sandbox: Sandbox) -> None:
    bad_name = create(graph, sandbox, name="Con Espacios")
    assert bad_name.status_code == 400 and bad_name.json()["error"]["code"] == 100
    bad_category = create(graph, sandbox, category="SPAM")
    assert bad_category.status_code == 400
    assert graph.delete(templates_url(sandbox), params={"name": "bienvenida"}).json() == {
        "success": True
    }
    names = [t["name"] for t in graph.get(templates_url(sandbox)).json()["data"]]
    assert "bienvenida" not in names
    missing = graph.delete(templates_url(sandbox), params={"name": "bienvenida"})
    assert missing.status_code == 400


def template_send(
    to: str, name: str, language: str, params: list[str] | None = None
) -> dict[str, Any]:
    template: dict[str, Any] = {"name": name, "language": {"code": language}}
    if params is not None:
        template["components"] = [
            {"type": "body", "parameters": [{"type": "text", "text": p} for p in params]}
        ]
    return {"to": to, "type": "template", "template": template}


def test_template_send_errors(
    graph: httpx.Client, sandbox: Sandbox, api: httpx.Client, wa_id: str
) -> None:
    unknown = send(graph, sandbox, template_send(wa_id, "no_existe", "es_CO"))
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == 132001
    assert (
        unknown.json()["error"]["message"]
        == "(#132001) Template name does not exist in the translation"
    )
    wrong_language = send(graph, sandbox, template_send(wa_id, "bienvenida", "en_US", ["Ana"]))
    assert wrong_language.json()["error"]["code"] == 132001
    mismatch = send(graph, sandbox, template_send(wa_id, "bienvenida", "es_CO", []))
    assert mismatch.status_code == 400 and mismatch.json()["error"]["code"] == 132000
    too_many = send(graph, sandbox, template_send(wa_id, "bienvenida", "es_CO", ["a", "b"]))
    assert too_many.json()["error"]["code"] == 132000

    for status, code in (("PAUSED", 132015), ("DISABLED", 132016)):
        api.post(
            "/sandbox/api/templates/1200000000000002/status", json={"status": status}
        ).raise_for_status()
        response = send(graph, sandbox, template_send(wa_id, "bienvenida", "es_CO", ["Ana"]))
        assert response.status_code == 400 and response.json()["error"]["code"] == code


def test_template_send_is_rendered_and_quick_reply_round_trips(
    graph: httpx.Client, sandbox: Sandbox, api: httpx.Client, receiver: Receiver, wa_id: str
) -> None:
    body = template_send(wa_id, "bienvenida", "es_CO", ["Laura"])
    body["template"]["components"].append(
        {
            "type": "button",
            "sub_type": "quick_reply",
            "index": "0",
            "parameters": [{"type": "payload", "payload": "/ver_eventos"}],
        }
    )
    response = send(graph, sandbox, body)
    assert response.status_code == 200, response.text
    wamid = response.json()["messages"][0]["id"]
    stored = api.get("/sandbox/api/messages", params={"to": wa_id}).json()["messages"][0]
    rendered = stored["template_rendered"]
    assert rendered["body"].startswith("¡Hola Laura!")
    assert [b["payload"] for b in rendered["buttons"]] == ["/ver_eventos", "Hablar con alguien"]

    api.post(
        "/sandbox/api/inbound",
        json={
            "from": wa_id,
            "type": "button",
            "payload": "/ver_eventos",
            "text": "Ver eventos",
        },
    ).raise_for_status()
    (captured,) = receiver.wait_for(lambda c: bool(c.messages))
    (message,) = captured.messages
    assert message["type"] == "button"
    assert message["button"] == {"payload": "/ver_eventos", "text": "Ver eventos"}
    assert message["context"] == {"from": sandbox.config.display_phone_number, "id": wamid}
