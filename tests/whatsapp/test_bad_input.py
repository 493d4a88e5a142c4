"""Bad input in typed texts (issue 3): what the NLU gets, parsed exactly as the channel does.

Empty and blank texts, emoji only, very long texts, mixed scripts, Rasa's
``/intent{...}`` shortcut typed by a person, SQL and HTML. The end-to-end answers are
in ``tests/e2e/test_bad_input.py``; the choices in docs/decisions/entities.md.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
from rasa.shared.nlu.training_data.message import Message

from bot.whatsapp.inbound import (
    INTENT_EMPTY,
    NLU_MAX_CHARS,
    InboundMessage,
    parse_message,
    parse_webhook,
)
from tests.whatsapp.payloads import USER

TIMESTAMP = "1796922000"  # 2026-12-10 17:00 UTC


def typed(body: str) -> InboundMessage:
    raw = {"from": USER, "id": "wamid.bad", "timestamp": TIMESTAMP, "type": "text"}
    return parse_message({**raw, "text": {"body": body}})


def shortcut(text: str) -> dict[str, Any]:
    """What Rasa's own shortcut parser makes of the text it would receive."""
    parsed = YAMLStoryReader.unpack_regex_message(Message({"text": text}))
    return {"intent": parsed.get("intent"), "entities": parsed.get("entities")}


@pytest.mark.parametrize("body", ["", " ", "   \n\t  ", "\u200b", "\x00", "\u00a0"])
def test_empty_and_blank_texts_get_the_fallback(body: str) -> None:
    message = typed(body)
    assert message.text == INTENT_EMPTY
    assert message.user_text == body.replace("\x00", "")
    assert not message.silent


@pytest.mark.parametrize("body", ["🔥🔥🔥", "👍", "😂😂", "❤️", "👨‍👩‍👧", "🇨🇴"])
def test_emoji_only_reach_the_nlu_as_typed(body: str) -> None:
    message = typed(body)
    assert message.text == body and message.user_text == body


def test_a_4000_character_text_reaches_the_nlu_whole() -> None:
    body = ("Hola parce, quiero contarles de la pasarela del sábado. " * 80)[:4000]
    message = typed(body)
    assert message.text == body.strip()
    assert "truncated_from" not in message.metadata


@pytest.mark.parametrize("length", [NLU_MAX_CHARS + 1, 5000, 65536])
def test_longer_texts_are_cut_for_the_nlu_only(length: int) -> None:
    body = ("quiero dos boletas VIP para el desfile " * 2000)[:length]
    message = typed(body)
    assert message.user_text == body
    assert len(message.text) <= NLU_MAX_CHARS
    assert len(message.text) > NLU_MAX_CHARS - 200
    assert body.startswith(message.text) and not message.text.endswith(" ")
    assert message.metadata["truncated_from"] == length


def test_a_long_text_without_spaces_is_cut_exactly() -> None:
    message = typed("😂" * 5000)
    assert message.text == "😂" * NLU_MAX_CHARS


MIXED = [
    "Привет, quiero 2 boletas para el desfile",
    "مرحبا، ¿cuánto vale la VIP?",
    "你好 quiero ir a la Fashion Night 谢谢",
    "שלום hola Γειά σου hello",
    "ñandú ÁÉÍÓÚ ü ç",
]


@pytest.mark.parametrize("body", MIXED)
def test_mixed_scripts_pass_through(body: str) -> None:
    message = typed(body)
    assert message.text == body and message.user_text == body


INJECTIONS = {
    '/buy_ticket{"quantity": 99}': "buy_ticket",
    "/opt_out": "opt_out",
    '/opt_out{"x": 1}': "opt_out",
    "/greet@1.0": "greet",
    '/greet@0.9{"language": "en"} hola': "greet hola",
    '/ask_price{"price": 0}': "ask_price",
    "/restart": "restart",
    "/session_start": "session_start",
    '//sales_report{"event": "MFN"}': "sales_report",
    " \u200b/nlu_fallback": "nlu_fallback",
    "/\n/affirm": "affirm",
    "/hola {para todos}": "hola",
}


@pytest.mark.parametrize(("body", "expected"), INJECTIONS.items())
def test_typed_shortcuts_are_words_without_intent_or_entities(body: str, expected: str) -> None:
    message = typed(body)
    assert message.text == expected
    assert message.user_text == body
    assert shortcut(message.text) == {"intent": None, "entities": None}
    assert shortcut(body.strip().lstrip("\u200b"))["intent"] is not None  # it *would* have worked


def test_a_slash_inside_a_text_stays() -> None:
    assert typed("talla 1/2, ¿hay /VIP?").text == "talla 1/2, ¿hay /VIP?"
    assert typed("mi correo es {laura@gmail.com}").text == "mi correo es {laura@gmail.com}"


def test_sql_is_text_like_any_other() -> None:
    body = "'; DROP TABLE contacts; --"
    assert typed(body).text == body
    body = "1' OR '1'='1"
    assert typed(body).text == body


HTML = {
    "<script>alert('x')</script>": "alert('x')",
    "<b>hola</b>": "hola",
    "<img src=x onerror=alert(1)>": INTENT_EMPTY,
    '<a href="https://evil.example">gana boletas</a>': "gana boletas",
    "<3 te quiero": "<3 te quiero",
    "mi correo: <laura@gmail.com>": "mi correo: <laura@gmail.com>",
    "2 < 3 y 5 > 4": "2 < 3 y 5 > 4",
    "/<b>opt_out</b>": "opt_out",
}


@pytest.mark.parametrize(("body", "expected"), HTML.items())
def test_html_tags_are_dropped_for_the_nlu(body: str, expected: str) -> None:
    message = typed(body)
    assert message.text == expected
    assert message.user_text == body


def test_the_timestamp_travels_in_the_metadata() -> None:
    """bot.nlu_entities resolves "mañana" against it, also when a message is replayed."""
    assert typed("hola").metadata["timestamp"] == "2026-12-10T17:00:00+00:00"
    raw = {"from": USER, "id": "wamid.nots", "type": "text", "text": {"body": "hola"}}
    assert parse_message(raw).metadata["timestamp"] is None


def test_bad_texts_in_one_webhook_are_all_parsed() -> None:
    bodies = ["", "🔥🔥🔥", "x" * 70000, '/buy_ticket{"quantity": 99}', "<script>", "Привет"]
    messages = [
        {
            "from": USER,
            "id": f"wamid.b{i}",
            "timestamp": TIMESTAMP,
            "type": "text",
            "text": {"body": b},
        }
        for i, b in enumerate(bodies)
    ]
    envelope = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [{"field": "messages", "value": {"messages": messages}}]}],
    }
    batch = parse_webhook(envelope)
    texts = [m.text for m in batch.messages]
    assert len(texts) == len(bodies)
    assert all(t and len(t) <= NLU_MAX_CHARS for t in texts)
    assert all(t == INTENT_EMPTY or not t.startswith("/") for t in texts)


# --- a NUL character (U+0000) -------------------------------------------------------------
def nul_webhook(body: str, name: str = "Lau\x00ra") -> dict[str, Any]:
    message = {"from": USER, "id": "wamid.nul", "timestamp": TIMESTAMP, "type": "text"}
    value = {
        "messaging_product": "whatsapp",
        "contacts": [{"profile": {"name": name}, "wa_id": USER}],
        "messages": [{**message, "text": {"body": body}}],
    }
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [{"field": "messages", "value": value}]}],
    }


def test_nul_characters_are_removed_everywhere() -> None:
    [message] = parse_webhook(nul_webhook("ho\x00la\x00")).messages
    assert message.text == "hola" and message.user_text == "hola"
    assert message.profile_name == "Laura"
    assert "\x00" not in json.dumps(message.stored_payload(), ensure_ascii=False)
    assert "\\u0000" not in json.dumps(message.stored_payload())
    assert typed("\x00/opt_out").text == "opt_out"


@pytest.mark.postgres
async def test_a_nul_character_is_stored_on_postgresql(tmp_path: Path) -> None:
    """Before the fix: asyncpg refused the row, the webhook got 503 and was retried for days."""
    from bot.storage.migrate import upgrade
    from bot.storage.store import Store
    from bot.whatsapp import signature
    from bot.whatsapp.ingest import Recorder, ingest
    from tests.storage import pg

    pg.check_server()
    url = pg.create_database("fashionistas_nul")
    try:
        upgrade(url)
        store = Store(url)
        await store.start()
        try:
            body = json.dumps(nul_webhook("quiero 2 boletas\x00")).encode()
            assert b"\\u0000" in body
            result = await ingest(
                Recorder(store),
                app_secret="secret",
                max_body=1 << 20,
                body=body,
                content_type="application/json",
                signature_header=signature.sign(body, "secret"),
            )
            assert result.status == 200, result.body
            record = await store.get_inbound("wamid.nul")
            assert record is not None and record.state == "pending"
        finally:
            await store.close()
    finally:
        pg.drop_database(url)
