"""The door page: a real QR image decoded by zxing-cpp, then the public check-in API."""

from __future__ import annotations

import io

import httpx
import pytest
import qrcode

from bot.sandbox.emulator_state import MediaItem
from bot.sandbox.hi_events.seed import check_in_list_short_id
from tests.hi_events.conftest import Hi, buy

pytest.importorskip("zxingcpp")


def _qr_png(text: str) -> bytes:
    image = qrcode.make(text)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def test_door_page_and_lists(hi: Hi) -> None:
    page = httpx.get(hi.base_url + "/door")
    assert page.status_code == 200
    assert "Puerta / Door" in page.text
    lists = httpx.get(hi.base_url + "/door/lists").json()["data"]
    assert [item["event_id"] for item in lists] == [1, 2, 3, 4]
    assert lists[0]["list_short_id"] == check_in_list_short_id(1)


def test_scan_a_photo_of_the_qr_twice(hi: Hi, api: httpx.Client, auth: dict[str, str]) -> None:
    order = buy(api, auth, product_id=2, price_id=102, first_name="Mariana", last_name="Ochoa")
    public_id = order["attendees"][0]["public_id"]
    image = _qr_png(public_id)
    form = {"list": check_in_list_short_id(1)}
    first = httpx.post(
        hi.base_url + "/door/scan", data=form, files={"image": ("qr.png", image, "image/png")}
    ).json()
    assert first["status"] == "welcome"
    assert first["ok"] is True
    assert first["holder"] == "Mariana Ochoa"
    assert first["ticket_type"] == "VIP"
    assert first["code"] == public_id
    assert first["event"] == "Medellín Fashion Night"

    second = httpx.post(
        hi.base_url + "/door/scan", data=form, files={"image": ("qr.png", image, "image/png")}
    ).json()
    assert second["status"] == "already_checked_in"
    assert second["ok"] is False
    assert second["checked_in_at"] == first["checked_in_at"]
    assert second["message"]["es"] == f"Ya ingresó a las {first['checked_in_local']['es']}"
    assert second["message"]["es"].endswith(("a. m.", "p. m."))
    assert second["message"]["en"].startswith("Already checked in at ")


def test_typed_codes_media_and_refusals(hi: Hi, api: httpx.Client, auth: dict[str, str]) -> None:
    paid = buy(api, auth)
    unpaid = buy(api, auth, pay=False)
    url = hi.base_url + "/door/scan"
    short_id = check_in_list_short_id(1)

    typed = httpx.post(
        url, json={"list": short_id, "code": paid["attendees"][0]["public_id"].lower()}
    )
    assert typed.json()["status"] == "welcome"

    hi.wappbiz.media["778899"] = MediaItem(
        id="778899", data=_qr_png(unpaid["attendees"][0]["public_id"]), mime_type="image/png"
    )
    waiting = httpx.post(url, json={"list": short_id, "media_id": "778899"}).json()
    assert waiting["status"] == "awaiting_payment"
    assert waiting["holder"] == "Valentina Restrepo"

    unknown = httpx.post(url, json={"list": short_id, "code": "A-ZZZZZZZ"}).json()
    assert unknown["status"] == "unknown"

    blank = io.BytesIO()
    qrcode.make("x").get_image().crop((0, 0, 5, 5)).save(blank, format="PNG")
    no_code = httpx.post(
        url, data={"list": short_id}, files={"image": ("blank.png", blank.getvalue(), "image/png")}
    ).json()
    assert no_code["status"] == "no_code"

    missing_media = httpx.post(url, json={"list": short_id, "media_id": "nope"})
    assert missing_media.status_code == 404
    nothing = httpx.post(url, json={"list": short_id})
    assert nothing.status_code == 400
