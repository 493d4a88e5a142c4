"""Media: upload, URL lookup, authenticated download, delete and §5 limits."""

from __future__ import annotations

import hashlib

import httpx

from tests.sandbox.helpers import Sandbox, open_window, send

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def upload(
    graph: httpx.Client, sandbox: Sandbox, data: bytes, mime: str, name: str
) -> httpx.Response:
    return graph.post(
        f"/{sandbox.config.phone_number_id}/media",
        data={"messaging_product": "whatsapp", "type": mime},
        files={"file": (name, data, mime)},
    )


def test_upload_get_download_delete(graph: httpx.Client, sandbox: Sandbox) -> None:
    response = upload(graph, sandbox, PNG, "image/png", "look.png")
    assert response.status_code == 200, response.text
    media_id = response.json()["id"]
    assert media_id.isdigit()

    info = graph.get(f"/{media_id}").json()
    assert info["messaging_product"] == "whatsapp"
    assert info["id"] == media_id
    assert info["mime_type"] == "image/png"
    assert info["file_size"] == len(PNG)
    assert info["sha256"] == hashlib.sha256(PNG).hexdigest()
    assert info["url"].startswith(sandbox.base_url + "/lookaside/")

    downloaded = graph.get(info["url"])  # carries the Bearer header
    assert downloaded.status_code == 200
    assert downloaded.content == PNG
    assert downloaded.headers["content-type"] == "image/png"

    anonymous = httpx.get(info["url"])
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == 190

    tampered = graph.get(info["url"].replace("hash=", "hash=0"))
    assert tampered.status_code == 404

    assert graph.delete(f"/{media_id}").json() == {"success": True}
    gone = graph.get(f"/{media_id}")
    assert gone.status_code == 400 and gone.json()["error"]["code"] == 100


def test_upload_limits(graph: httpx.Client, sandbox: Sandbox) -> None:
    gif = upload(graph, sandbox, b"GIF89a", "image/gif", "a.gif")
    assert gif.status_code == 400 and gif.json()["error"]["code"] == 131053
    big_sticker = upload(graph, sandbox, b"R" * (500 * 1024 + 1), "image/webp", "s.webp")
    assert big_sticker.status_code == 400 and big_sticker.json()["error"]["code"] == 131053
    no_file = graph.post(
        f"/{sandbox.config.phone_number_id}/media", data={"messaging_product": "whatsapp"}
    )
    assert no_file.status_code == 400 and no_file.json()["error"]["code"] == 131008
    no_product = graph.post(
        f"/{sandbox.config.phone_number_id}/media", files={"file": ("a.png", PNG, "image/png")}
    )
    assert no_product.status_code == 400 and no_product.json()["error"]["code"] == 100
    unauthenticated = httpx.post(
        f"{sandbox.graph_url}/{sandbox.config.phone_number_id}/media",
        data={"messaging_product": "whatsapp", "type": "image/png"},
        files={"file": ("a.png", PNG, "image/png")},
    )
    assert unauthenticated.status_code == 401


def test_send_uploaded_media_by_id(
    graph: httpx.Client, sandbox: Sandbox, api: httpx.Client, wa_id: str
) -> None:
    open_window(api, wa_id)
    image_id = upload(graph, sandbox, PNG, "image/png", "look.png").json()["id"]
    pdf_id = upload(graph, sandbox, b"%PDF-1.4 test", "application/pdf", "agenda.pdf").json()["id"]
    ok = send(
        graph, sandbox, {"to": wa_id, "type": "image", "image": {"id": image_id, "caption": "Look"}}
    )
    assert ok.status_code == 200, ok.text
    doc = send(
        graph,
        sandbox,
        {"to": wa_id, "type": "document", "document": {"id": pdf_id, "filename": "agenda.pdf"}},
    )
    assert doc.status_code == 200, doc.text
    wrong_kind = send(graph, sandbox, {"to": wa_id, "type": "image", "image": {"id": pdf_id}})
    assert wrong_kind.status_code == 400 and wrong_kind.json()["error"]["code"] == 131053
    # The web chat shows media without credentials.
    assert api.get(f"/sandbox/media/{image_id}").content == PNG
