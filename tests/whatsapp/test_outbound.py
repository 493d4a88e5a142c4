"""Outbound bodies: every body the builders produce must be one WhatsApp accepts.

``assert_valid_body`` encodes the limits of the contract (§4): texts ≤ 4096, interactive
bodies ≤ 1024, ≤ 3 reply buttons with unique titles ≤ 20 and ids ≤ 256, lists with
≤ 10 rows in total, row titles ≤ 24, descriptions ≤ 72, ids ≤ 200, and so on.
"""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from bot.whatsapp.outbound import (
    TEXT_MAX,
    button_bodies,
    clip,
    custom_bodies,
    list_bodies,
    location_body,
    media_body,
    split_text,
    template_body,
    text_bodies,
)

TO = "573001234567"
MEDIA_KINDS = ("image", "video", "document", "audio", "sticker")


# --- the validator ------------------------------------------------------------------


def _text_field(value: Any, limit: int, what: str) -> None:
    assert isinstance(value, str), f"{what} must be a string"
    assert value.strip(), f"{what} must not be empty"
    assert len(value) <= limit, f"{what} is {len(value)} > {limit}"


def _validate_interactive(interactive: dict[str, Any]) -> None:
    kind = interactive["type"]
    _text_field(interactive["body"]["text"], 1024, "interactive body")
    if "footer" in interactive:
        _text_field(interactive["footer"]["text"], 60, "footer")
    header = interactive.get("header")
    if header is not None and header.get("type") == "text":
        _text_field(header["text"], 60, "header")
    action = interactive["action"]
    if kind == "button":
        buttons = action["buttons"]
        assert 1 <= len(buttons) <= 3
        titles = [b["reply"]["title"] for b in buttons]
        ids = [b["reply"]["id"] for b in buttons]
        for button in buttons:
            assert button["type"] == "reply"
            _text_field(button["reply"]["title"], 20, "button title")
            _text_field(button["reply"]["id"], 256, "button id")
        assert len(set(titles)) == len(titles), f"duplicate button titles {titles}"
        assert len(set(ids)) == len(ids), f"duplicate button ids {ids}"
    elif kind == "list":
        assert header is None or header["type"] == "text"
        _text_field(action["button"], 20, "list button")
        sections = action["sections"]
        assert 1 <= len(sections) <= 10
        rows = [row for section in sections for row in section["rows"]]
        assert 1 <= len(rows) <= 10, f"{len(rows)} rows"
        for section in sections:
            assert section["rows"], "empty section"
            if len(sections) > 1 or "title" in section:
                _text_field(section["title"], 24, "section title")
        for row in rows:
            _text_field(row["id"], 200, "row id")
            _text_field(row["title"], 24, "row title")
            if "description" in row:
                _text_field(row["description"], 72, "row description")
        ids = [row["id"] for row in rows]
        assert len(set(ids)) == len(ids), f"duplicate row ids {ids}"
        titles = [row["title"] for row in rows]
        assert len(set(titles)) == len(titles), f"duplicate row titles {titles}"
    elif kind == "cta_url":
        assert action["name"] == "cta_url"
        _text_field(action["parameters"]["display_text"], 20, "cta display_text")
        assert action["parameters"]["url"].startswith(("https://", "http://"))
    else:  # pragma: no cover - the builders make no other kind
        pytest.fail(f"unexpected interactive type {kind}")


def assert_valid_body(body: dict[str, Any]) -> None:
    """Fail unless ``body`` is a Cloud API message body within the contract's limits."""
    assert body["to"] == TO
    kind = body["type"]
    assert kind in {
        "text",
        "interactive",
        "location",
        "template",
        "reaction",
        "contacts",
        *MEDIA_KINDS,
    }
    obj = body[kind]
    if kind == "text":
        _text_field(obj["body"], 4096, "text body")
        assert isinstance(obj.get("preview_url", False), bool)
    elif kind == "interactive":
        _validate_interactive(obj)
    elif kind in MEDIA_KINDS:
        assert ("id" in obj) != ("link" in obj), "exactly one of id/link"
        assert obj.get("id") or obj.get("link")
        if "caption" in obj:
            assert kind in ("image", "video", "document"), f"{kind} takes no caption"
            _text_field(obj["caption"], 1024, "caption")
        if "filename" in obj:
            assert kind == "document"
    elif kind == "location":
        assert isinstance(obj["latitude"], float) and -90 <= obj["latitude"] <= 90
        assert isinstance(obj["longitude"], float) and -180 <= obj["longitude"] <= 180
    elif kind == "template":
        assert obj["name"] and obj["language"]["code"]
        assert isinstance(obj.get("components", []), list)
    elif kind == "reaction":
        assert obj["message_id"].startswith("wamid.")
    elif kind == "contacts":
        assert all(c["name"]["formatted_name"] for c in obj)
    json.dumps(body)  # must be serialisable as is


def assert_all_valid(bodies: list[dict[str, Any]]) -> None:
    assert bodies, "nothing would be sent"
    for body in bodies:
        assert_valid_body(body)


def _squeeze(text: str) -> str:
    """The non-whitespace content, in order."""
    return "".join(text.split())


def _interactive(bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [b["interactive"] for b in bodies if b["type"] == "interactive"]


def _rows(bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        row
        for interactive in _interactive(bodies)
        for section in interactive["action"]["sections"]
        for row in section["rows"]
    ]


def _buttons(n: int, title: str = "Opción {i}") -> list[dict[str, Any]]:
    return [{"title": title.format(i=i), "payload": f'/choose{{"n":{i}}}'} for i in range(1, n + 1)]


# --- clip ---------------------------------------------------------------------------


@pytest.mark.parametrize("limit", [1, 2, 5, 20, 24, 72])
def test_clip_fits_and_marks_the_cut(limit: int) -> None:
    text = "Desfile de gala en Plaza Mayor con diseñadores invitados de toda Colombia"
    clipped = clip(text, limit)
    assert len(clipped) <= limit
    if len(text) > limit:
        assert clipped.endswith("…")
        assert text.startswith(clipped[:-1].rstrip())


def test_clip_leaves_short_text_alone() -> None:
    assert clip("Sí", 20) == "Sí"
    assert clip("x" * 20, 20) == "x" * 20
    assert clip(123, 5) == "123"


# --- split_text ----------------------------------------------------------------------


def test_split_empty_and_blank() -> None:
    assert split_text("") == []
    assert split_text(" \n\t ") == []


def test_split_exactly_the_limit_is_one_part() -> None:
    text = ("abcd " * 1000)[:4095] + "z"
    assert len(text) == TEXT_MAX
    assert split_text(text) == [text]


def test_split_one_over_the_limit_is_two_parts() -> None:
    text = "x" * 4097
    parts = split_text(text)
    assert [len(p) for p in parts] == [4096, 1]
    assert "".join(parts) == text


def test_split_one_over_the_limit_with_words_cuts_at_a_space() -> None:
    words = "palabra " * 600
    text = words[:4097].strip() + "X"
    parts = split_text(text)
    assert len(parts) == 2
    assert all(len(p) <= TEXT_MAX for p in parts)
    assert [w for p in parts for w in p.split()] == text.split()


def test_split_a_single_huge_word_hard_cuts() -> None:
    parts = split_text("y" * 10_000)
    assert [len(p) for p in parts] == [4096, 4096, 1808]


def test_split_prefers_a_paragraph_break() -> None:
    text = "a" * 3000 + "\n\n" + "b" * 900 + "\n" + "c" * 500
    parts = split_text(text)
    assert parts == ["a" * 3000, "b" * 900 + "\n" + "c" * 500]


def test_split_prefers_a_line_break_over_a_space() -> None:
    text = "a" * 2500 + "\n" + "b " * 600 + "c" * 900
    parts = split_text(text)
    assert parts[0] == "a" * 2500


def test_split_ignores_a_break_in_the_first_half() -> None:
    """A paragraph break near the start would give a tiny first part: use a later space."""
    text = "a" * 100 + "\n\n" + "palabra " * 600
    parts = split_text(text)
    assert len(parts[0]) > TEXT_MAX // 2
    assert [w for p in parts for w in p.split()] == text.split()


@pytest.mark.parametrize("limit", [20, 100, 1024, 4096])
def test_split_respects_a_custom_limit(limit: int) -> None:
    text = " ".join(f"palabra{i}" for i in range(2000))
    parts = split_text(text, limit)
    assert all(0 < len(p) <= limit for p in parts)
    assert [w for p in parts for w in p.split()] == text.split()


def _random_text(rng: random.Random, size: int) -> str:
    pieces = []
    words = ["moda", "pasarela", "Medellín", "👗", "¿cuándo?", "diseño", "x" * 30, "ñandú"]
    while sum(len(p) for p in pieces) < size:
        roll = rng.random()
        if roll < 0.05:
            pieces.append("\n\n")
        elif roll < 0.1:
            pieces.append("\n")
        elif roll < 0.12:
            pieces.append("z" * rng.randint(50, 5000))  # a word longer than the limit
        elif roll < 0.15:
            pieces.append(" " * rng.randint(2, 6))
        else:
            pieces.append(rng.choice(words) + " ")
    return "".join(pieces)


def test_split_property_random_texts() -> None:
    rng = random.Random(4096)
    for _ in range(300):
        limit = rng.choice([30, 200, 1024, 4096])
        text = _random_text(rng, rng.randint(0, 12_000))
        parts = split_text(text, limit)
        assert all(0 < len(p) <= limit for p in parts)
        assert all(p == p.strip() for p in parts)
        assert _squeeze("".join(parts)) == _squeeze(text)
        if len(text.strip()) <= limit:
            assert parts == ([text.strip()] if text.strip() else [])


def test_text_bodies_one_per_part() -> None:
    text = "Mira https://fashionistas.co/eventos " + "b" * 3000 + "\n\n" + "c " * 1500
    bodies = text_bodies(TO, text)
    assert_all_valid(bodies)
    assert [b["text"]["preview_url"] for b in bodies] == [True, False]
    assert _squeeze("".join(b["text"]["body"] for b in bodies)) == _squeeze(text)


def test_text_bodies_of_nothing_sends_nothing() -> None:
    assert text_bodies(TO, "   ") == []


# --- buttons --------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 2, 3])
def test_up_to_three_buttons_are_reply_buttons(n: int) -> None:
    buttons = _buttons(n)
    bodies = button_bodies(TO, "¿Qué quieres hacer?", buttons)
    assert_all_valid(bodies)
    assert len(bodies) == 1
    interactive = bodies[0]["interactive"]
    assert interactive["type"] == "button"
    assert interactive["body"]["text"] == "¿Qué quieres hacer?"
    replies = [b["reply"] for b in interactive["action"]["buttons"]]
    assert [r["id"] for r in replies] == [b["payload"] for b in buttons]
    assert [r["title"] for r in replies] == [b["title"] for b in buttons]


def test_button_titles_are_clipped_and_made_unique() -> None:
    buttons = [
        {"title": "Comprar entrada general para el desfile", "payload": "/buy{'t':'gen'}"},
        {"title": "Comprar entrada general para el desfile", "payload": "/buy{'t':'vip'}"},
        {"title": "Comprar entrada general para el desfile", "payload": "/buy{'t':'palco'}"},
    ]
    bodies = button_bodies(TO, "Entradas", buttons)
    assert_all_valid(bodies)
    titles = [b["reply"]["title"] for b in bodies[0]["interactive"]["action"]["buttons"]]
    assert all(len(t) <= 20 for t in titles) and len(set(titles)) == 3
    assert titles[0] == "Comprar entrada gen…"


def test_same_short_titles_become_unique() -> None:
    buttons = [{"title": "Sí", "payload": "/a"}, {"title": "Sí", "payload": "/b"}]
    bodies = button_bodies(TO, "¿Confirmas?", buttons)
    assert_all_valid(bodies)
    titles = [b["reply"]["title"] for b in bodies[0]["interactive"]["action"]["buttons"]]
    assert titles == ["Sí", "Sí 2"]


def test_blank_button_title_is_replaced() -> None:
    bodies = button_bodies(TO, "x", [{"title": "  ", "payload": "/a"}])
    assert_all_valid(bodies)


def test_button_without_payload_uses_its_title_as_id() -> None:
    bodies = button_bodies(TO, "x", [{"title": "Hola"}])
    assert bodies[0]["interactive"]["action"]["buttons"][0]["reply"]["id"] == "Hola"


def test_button_id_is_limited_to_256() -> None:
    payload = '/choose_event{"event_id":"' + "e" * 400 + '"}'
    bodies = button_bodies(TO, "x", [{"title": "Evento", "payload": payload}])
    assert_all_valid(bodies)
    assert len(bodies[0]["interactive"]["action"]["buttons"][0]["reply"]["id"]) == 256


@pytest.mark.parametrize("n", [4, 7, 10])
def test_four_to_ten_buttons_are_one_list(n: int) -> None:
    buttons = _buttons(n, "Colombiamoda edición especial número {i}")
    bodies = button_bodies(TO, "Elige un evento", buttons)
    assert_all_valid(bodies)
    assert len(bodies) == 1 and bodies[0]["interactive"]["type"] == "list"
    rows = _rows(bodies)
    assert [r["id"] for r in rows] == [b["payload"] for b in buttons]
    assert all(len(r["title"]) <= 24 for r in rows)


@pytest.mark.parametrize("n", [11, 20, 25, 31])
def test_more_than_ten_buttons_are_several_lists(n: int) -> None:
    buttons = _buttons(n)
    bodies = button_bodies(TO, "Todas las fechas", buttons)
    assert_all_valid(bodies)
    assert len(bodies) == -(-n // 10)
    assert all(b["interactive"]["type"] == "list" for b in bodies)
    assert all(len(_rows([b])) <= 10 for b in bodies)
    assert [r["id"] for r in _rows(bodies)] == [b["payload"] for b in buttons]
    bodies_text = [b["interactive"]["body"]["text"] for b in bodies]
    assert len(set(bodies_text)) == len(bodies_text)  # pages are told apart


@pytest.mark.parametrize("n", [2, 5, 12])
def test_long_body_goes_first_as_text(n: int) -> None:
    paragraph = "La semana de la moda de Medellín reúne a diseñadores y marcas. " * 8
    text = "\n\n".join([paragraph] * 6)
    assert len(text) > 1024
    bodies = button_bodies(TO, text, _buttons(n))
    assert_all_valid(bodies)
    kinds = [b["type"] for b in bodies]
    first_interactive = kinds.index("interactive")
    assert first_interactive >= 1
    assert set(kinds[:first_interactive]) == {"text"}
    assert set(kinds[first_interactive:]) == {"interactive"}
    said = [b["text"]["body"] for b in bodies[:first_interactive]]
    said.append(bodies[first_interactive]["interactive"]["body"]["text"])
    assert _squeeze("".join(said)) == _squeeze(text)


def test_empty_text_with_buttons_still_has_a_body() -> None:
    for text in ("", "   "):
        bodies = button_bodies(TO, text, _buttons(2))
        assert_all_valid(bodies)
        assert len(bodies) == 1


def test_no_buttons_is_plain_text() -> None:
    bodies = button_bodies(TO, "Hola", [])
    assert bodies == text_bodies(TO, "Hola")


def test_buttons_property_random() -> None:
    rng = random.Random(2025)
    alphabet = "abcdefghij ñé👗🔥/{}\"'\n\t" + "ABCDEFGHIJ"
    for _ in range(400):
        n = rng.randint(0, 30)
        buttons = []
        for i in range(n):
            title = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60)))
            if rng.random() < 0.2 and buttons:
                title = buttons[-1]["title"]  # duplicates happen
            buttons.append({"title": title, "payload": f"/p{i}" + "x" * rng.randint(0, 150)})
        text = _random_text(rng, rng.randint(0, 3000))
        bodies = button_bodies(TO, text, buttons)
        if not buttons and not text.strip():
            assert bodies == []
            continue
        assert_all_valid(bodies)
        if buttons:
            replies = [
                b["reply"]["id"]
                for i in _interactive(bodies)
                if i["type"] == "button"
                for b in i["action"]["buttons"]
            ]
            ids = replies or [r["id"] for r in _rows(bodies)]
            assert ids == [b["payload"] for b in buttons]


# --- lists ----------------------------------------------------------------------------


def test_list_clips_titles_descriptions_header_footer_and_button() -> None:
    rows = [
        {
            "id": f"/event{{'id':{i}}}",
            "title": f"Desfile de gala número {i} en Plaza Mayor",
            "description": "Una noche con los diseñadores antioqueños más reconocidos " * 3,
        }
        for i in range(3)
    ]
    bodies = list_bodies(
        TO,
        "Eventos de julio",
        [{"title": "Eventos destacados de la temporada", "rows": rows}],
        button="Ver todos los eventos disponibles",
        header="Colombiamoda 2025 · Semana de la moda de Medellín · Plaza Mayor",
        footer="Precios en pesos colombianos, impuestos incluidos, sujetos a cambio",
    )
    assert_all_valid(bodies)
    interactive = bodies[0]["interactive"]
    out_rows = _rows(bodies)
    assert all(len(r["title"]) <= 24 for r in out_rows)
    assert len({r["title"] for r in out_rows}) == 3
    assert out_rows[0]["title"] == "Desfile de gala número…"
    assert all(len(r["description"]) <= 72 for r in out_rows)
    assert len(interactive["action"]["button"]) <= 20
    assert len(interactive["header"]["text"]) <= 60
    assert len(interactive["footer"]["text"]) <= 60
    assert len(interactive["action"]["sections"][0]["title"]) <= 24


def test_list_with_several_sections_titles_each() -> None:
    sections = [
        {
            "title": "Pasarelas",
            "rows": [{"id": "p1", "title": "Gala"}, {"id": "p2", "title": "Joven"}],
        },
        {"rows": [{"id": "t1", "title": "Taller"}]},
    ]
    bodies = list_bodies(TO, "Agenda", sections)
    assert_all_valid(bodies)
    out = bodies[0]["interactive"]["action"]["sections"]
    assert [s["title"] for s in out] == ["Pasarelas", "…"]
    assert [[r["id"] for r in s["rows"]] for s in out] == [["p1", "p2"], ["t1"]]


def test_list_pages_keep_sections_within_ten_rows() -> None:
    sections = [
        {"title": f"Día {d}", "rows": [{"id": f"d{d}r{r}", "title": f"Hora {r}"} for r in range(4)]}
        for d in range(1, 7)
    ]
    bodies = list_bodies(TO, "Horarios", sections)
    assert_all_valid(bodies)
    assert len(bodies) == 3
    assert [r["id"] for r in _rows(bodies)] == [
        row["id"] for section in sections for row in section["rows"]
    ]


def test_list_without_rows_is_sent_as_text() -> None:
    bodies = list_bodies(TO, "No hay eventos esta semana", [{"rows": []}])
    assert bodies == text_bodies(TO, "No hay eventos esta semana")
    assert_all_valid(bodies)


def test_list_with_a_long_body_goes_first_as_text() -> None:
    body = "Detalles del evento. " * 120
    bodies = list_bodies(TO, body, [{"rows": [{"id": "a", "title": "A"}]}])
    assert_all_valid(bodies)
    assert [b["type"] for b in bodies][-1] == "interactive"
    assert {b["type"] for b in bodies[:-1]} == {"text"}
    said = [b["text"]["body"] for b in bodies[:-1]] + [_interactive(bodies)[0]["body"]["text"]]
    assert _squeeze("".join(said)) == _squeeze(body)


def test_list_with_empty_body_and_button_label_gets_defaults() -> None:
    bodies = list_bodies(TO, "", [{"rows": [{"id": "a", "title": "A"}]}], button="")
    assert_all_valid(bodies)


def test_lists_property_random() -> None:
    rng = random.Random(24)
    for _ in range(300):
        sections = []
        counter = 0
        for _s in range(rng.randint(1, 5)):
            rows = []
            for _r in range(rng.randint(1, 8)):
                counter += 1
                row = {
                    "id": f"r{counter}-" + "i" * rng.randint(0, 180),
                    "title": "Fila " + "t" * rng.randint(0, 40),
                }
                if rng.random() < 0.5:
                    row["description"] = "d" * rng.randint(1, 120)
                rows.append(row)
            title = rng.choice([None, "Sección", "Sección con un título demasiado largo"])
            sections.append({"title": title, "rows": rows})
        bodies = list_bodies(TO, _random_text(rng, rng.randint(1, 2000)), sections)
        assert_all_valid(bodies)
        assert len(_rows(bodies)) == counter


# --- media, location, template ----------------------------------------------------------


@pytest.mark.parametrize("kind", MEDIA_KINDS)
def test_media_body_by_link(kind: str) -> None:
    body = media_body(TO, kind, link="https://cdn.example.com/x", caption="Mira", filename="a.pdf")
    assert_valid_body(body)
    assert body[kind]["link"] == "https://cdn.example.com/x"
    assert ("caption" in body[kind]) == (kind in ("image", "video", "document"))
    assert ("filename" in body[kind]) == (kind == "document")


def test_media_body_prefers_the_id() -> None:
    body = media_body(TO, "image", link="https://cdn.example.com/x", media_id="1479537139650973")
    assert_valid_body(body)
    assert body["image"] == {"id": "1479537139650973"}


def test_media_caption_is_clipped() -> None:
    body = media_body(TO, "image", link="https://x.co/a.jpg", caption="c" * 3000)
    assert_valid_body(body)
    assert len(body["image"]["caption"]) == 1024


def test_location_body() -> None:
    body = location_body(TO, "6.2442031", -75.5736594, "Plaza Mayor", "Cl. 41 #55-80")
    assert_valid_body(body)
    assert body["location"] == {
        "latitude": 6.2442031,
        "longitude": -75.5736594,
        "name": "Plaza Mayor",
        "address": "Cl. 41 #55-80",
    }
    assert "name" not in location_body(TO, 1, 2)["location"]


def test_template_body() -> None:
    components = [{"type": "body", "parameters": [{"type": "text", "text": "Valentina"}]}]
    body = template_body(TO, "recordatorio_evento", "es_CO", components)
    assert_valid_body(body)
    assert body["template"] == {
        "name": "recordatorio_evento",
        "language": {"code": "es_CO"},
        "components": components,
    }
    assert "components" not in template_body(TO, "hola", "es")["template"]


# --- custom payloads (see bot.replies) ------------------------------------------------


CUSTOM_PAYLOADS: dict[str, dict[str, Any]] = {
    "text": {"type": "text", "text": "Hola 👋"},
    "buttons": {"type": "buttons", "text": "¿Vienes?", "buttons": _buttons(2)},
    "buttons_many": {"type": "buttons", "text": "Elige", "buttons": _buttons(14)},
    "list_rows": {
        "type": "list",
        "body": "Eventos",
        "button": "Ver",
        "rows": [{"id": "e1", "title": "Gala", "description": "Sábado 8 pm"}],
    },
    "list_sections": {
        "type": "list",
        "text": "Agenda",
        "header": "Colombiamoda",
        "footer": "Medellín",
        "sections": [{"title": "Día 1", "rows": [{"id": "d1", "title": "Apertura"}]}],
    },
    "location": {
        "type": "location",
        "latitude": 6.2442031,
        "longitude": -75.5736594,
        "name": "Plaza Mayor",
        "address": "Cl. 41 #55-80",
    },
    "document": {
        "type": "document",
        "link": "https://fashionistas.co/programa.pdf",
        "filename": "programa.pdf",
        "caption": "Programa completo",
    },
    "image": {"type": "image", "link": "https://fashionistas.co/afiche.jpg", "caption": "Afiche"},
    "image_id": {"type": "image", "id": "1479537139650973"},
    "video": {"type": "video", "link": "https://fashionistas.co/teaser.mp4"},
    "audio": {"type": "audio", "id": "3064457870533811", "caption": "ignored"},
    "sticker": {"type": "sticker", "id": "1019393862921435"},
    "template": {
        "type": "template",
        "name": "recordatorio_evento",
        "components": [{"type": "body", "parameters": [{"type": "text", "text": "Gala"}]}],
    },
    "cta_url": {
        "type": "cta_url",
        "text": "Compra tu entrada en línea",
        "display_text": "Comprar entradas ahora mismo",
        "url": "https://fashionistas.co/entradas",
    },
    "reaction": {"type": "reaction", "reaction": {"message_id": "wamid.x", "emoji": "👍"}},
    "contacts": {
        "type": "contacts",
        "contacts": [{"name": {"formatted_name": "Fashionistas"}, "phones": [{"phone": "+57"}]}],
    },
    "unknown": {"type": "carousel", "cards": [1, 2]},
}


@pytest.mark.parametrize("name", sorted(CUSTOM_PAYLOADS))
def test_custom_payload_bodies_are_valid(name: str) -> None:
    assert_all_valid(custom_bodies(TO, CUSTOM_PAYLOADS[name]))


def test_custom_buttons_match_button_bodies() -> None:
    payload = CUSTOM_PAYLOADS["buttons_many"]
    bodies = custom_bodies(TO, payload)
    assert bodies == button_bodies(TO, payload["text"], payload["buttons"])
    assert len(bodies) == 2


def test_custom_list_from_rows_and_from_sections() -> None:
    rows_body = custom_bodies(TO, CUSTOM_PAYLOADS["list_rows"])[0]["interactive"]
    assert rows_body["body"]["text"] == "Eventos"
    assert rows_body["action"]["button"] == "Ver"
    assert rows_body["action"]["sections"][0]["rows"] == [
        {"id": "e1", "title": "Gala", "description": "Sábado 8 pm"}
    ]
    sections_body = custom_bodies(TO, CUSTOM_PAYLOADS["list_sections"])[0]["interactive"]
    assert sections_body["header"] == {"type": "text", "text": "Colombiamoda"}
    assert sections_body["footer"] == {"text": "Medellín"}
    assert sections_body["action"]["sections"][0]["title"] == "Día 1"


def test_custom_template_defaults_to_colombian_spanish() -> None:
    body = custom_bodies(TO, CUSTOM_PAYLOADS["template"])[0]
    assert body["template"]["language"] == {"code": "es_CO"}


def test_custom_cta_url_clips_display_text() -> None:
    interactive = custom_bodies(TO, CUSTOM_PAYLOADS["cta_url"])[0]["interactive"]
    assert interactive["action"]["parameters"]["url"] == "https://fashionistas.co/entradas"
    assert len(interactive["action"]["parameters"]["display_text"]) <= 20


def test_custom_media_and_location() -> None:
    document = custom_bodies(TO, CUSTOM_PAYLOADS["document"])[0]
    assert document["document"] == {
        "link": "https://fashionistas.co/programa.pdf",
        "caption": "Programa completo",
        "filename": "programa.pdf",
    }
    audio = custom_bodies(TO, CUSTOM_PAYLOADS["audio"])[0]
    assert audio["audio"] == {"id": "3064457870533811"}
    location = custom_bodies(TO, CUSTOM_PAYLOADS["location"])[0]
    assert location["location"]["latitude"] == 6.2442031


def test_custom_passthrough_types_are_sent_as_given() -> None:
    body = custom_bodies(TO, CUSTOM_PAYLOADS["reaction"])
    assert body == [
        {"to": TO, "type": "reaction", "reaction": {"message_id": "wamid.x", "emoji": "👍"}}
    ]


def test_unknown_custom_payload_is_sent_as_text_not_dropped() -> None:
    bodies = custom_bodies(TO, CUSTOM_PAYLOADS["unknown"])
    assert [b["type"] for b in bodies] == ["text"]
    assert json.loads(bodies[0]["text"]["body"]) == CUSTOM_PAYLOADS["unknown"]


def test_custom_long_text_is_split() -> None:
    bodies = custom_bodies(TO, {"type": "text", "text": "hola " * 2000})
    assert_all_valid(bodies)
    assert len(bodies) == 3
