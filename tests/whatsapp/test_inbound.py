"""Inbound webhooks: what Rasa receives for each real payload shape, and what is refused.

Every fixture in ``tests/data/whatsapp`` is a full notification envelope; the tests
parse it with :func:`bot.whatsapp.inbound.parse_webhook` exactly as the channel does.
"""

from __future__ import annotations

import copy
import json
import random
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
from rasa.shared.nlu.training_data.message import Message

from bot.whatsapp.inbound import (
    INTENT_CONTACTS,
    INTENT_EMPTY,
    INTENT_LOCATION,
    INTENT_MEDIA,
    INTENT_UNSUPPORTED,
    INTENT_WELCOME,
    NLU_MAX_CHARS,
    SILENT_TYPES,
    InboundMessage,
    InvalidWebhook,
    parse_message,
    parse_status,
    parse_webhook,
    sanitize_user_text,
)
from tests.whatsapp.payloads import (
    BOT_WAMID,
    DISPLAY_NUMBER,
    PHONE_NUMBER_ID,
    PROFILE_NAME,
    USER,
    USER2,
    first_message,
    load,
    names,
    raw_bytes,
)

#: Fixture -> the text Rasa gets (None: recorded, never answered).
EXPECTED_TEXT: dict[str, str | None] = {
    "text": "Hola, ¿cuándo es el próximo desfile?",
    "text_with_context_reply": "Sí, ese me interesa",
    "text_forwarded": "Desfile de Colombiamoda, ¿vamos?",
    "interactive_button_reply": '/buy_ticket{"event_id":"mde-2025-07"}',
    "interactive_list_reply": '/choose_event{"event_id":"colombiamoda-2025"}',
    "template_quick_reply_button": "/stop_promotions",
    "image_with_caption": "¿Tienen este vestido en talla M?",
    "image_no_caption": INTENT_MEDIA,
    "document": INTENT_MEDIA,
    "audio_voice": INTENT_MEDIA,
    "video": "Miren este look de pasarela",
    "sticker": INTENT_MEDIA,
    "location": INTENT_LOCATION,
    "contacts": INTENT_CONTACTS,
    "reaction": None,
    "reaction_removed": None,
    "unsupported": INTENT_UNSUPPORTED,
    "unknown_type": INTENT_UNSUPPORTED,
    "system_changed_number": None,
    "system_changed_user_id": None,
    "request_welcome": INTENT_WELCOME,
    "edit": "Hola, ¿cuándo es el desfile de gala?",
    "revoke": None,
    "order": INTENT_UNSUPPORTED,
    "nfm_reply": INTENT_UNSUPPORTED,
    "referral_ctwa_ad": "Hola! Quiero más información sobre esto.",
    "text_injection": "greet",  # the shortcut's {entities} never reach the NLU
    "text_empty": INTENT_EMPTY,
    "text_emoji_only": "😍👗✨🔥",
    "text_html_sql": "alert('x') '; DROP TABLE contacts; -- hola",  # tags removed
    "non_ascii": "¿Dónde queda la pasarela? Mañana voy con mi mamá 💃🏽👠",
}
#: Messages whose expected text is checked by a test of their own.
PASS_THROUGH = ("text_long",)
STATUS_FIXTURES = ("status_sent", "status_delivered", "status_read", "status_failed")
OTHER_FIXTURES = (
    "status_batch",
    "multi_message_batch",
    "system_error_value",
    "template_status_update",
)
SINGLE_MESSAGE = sorted([*EXPECTED_TEXT, *PASS_THROUGH])
UTC = timezone.utc


def _single(name: str) -> InboundMessage:
    batch = parse_webhook(load(name))
    assert len(batch.messages) == 1, name
    assert batch.statuses == [] and batch.errors == [] and batch.other_fields == []
    return batch.messages[0]


def _rasa_intent(text: str) -> Any:
    """What Rasa's own ``/intent{...}`` shortcut parser makes of a text."""
    return YAMLStoryReader.unpack_regex_message(Message({"text": text})).get("intent")


def _envelope(*values: dict[str, Any], field: str = "messages") -> dict[str, Any]:
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [{"field": field, "value": v} for v in values]}],
    }


def _text_message(wamid: str, ts: Any, body: str = "hola", sender: str = USER) -> dict[str, Any]:
    return {"from": sender, "id": wamid, "timestamp": ts, "type": "text", "text": {"body": body}}


# --- the fixture set itself ----------------------------------------------------------


def test_every_fixture_is_covered_by_a_test() -> None:
    covered = {*EXPECTED_TEXT, *PASS_THROUGH, *STATUS_FIXTURES, *OTHER_FIXTURES}
    assert set(names()) == covered


@pytest.mark.parametrize("name", names())
def test_fixture_is_a_full_notification_envelope(name: str) -> None:
    data = load(name)
    assert data["object"] == "whatsapp_business_account"
    assert isinstance(data["entry"], list) and data["entry"]
    for entry in data["entry"]:
        assert entry["id"]
        assert isinstance(entry["changes"], list) and entry["changes"]
        for change in entry["changes"]:
            assert isinstance(change["field"], str) and isinstance(change["value"], dict)
            if change["field"] != "messages":
                continue
            value = change["value"]
            assert value["messaging_product"] == "whatsapp"
            assert value["metadata"] == {
                "display_phone_number": DISPLAY_NUMBER,
                "phone_number_id": PHONE_NUMBER_ID,
            }
            assert {"messages", "statuses", "errors"} & set(value)
            for message in value.get("messages", []):
                assert message["id"].startswith("wamid.")
                assert isinstance(message["timestamp"], str) and message["timestamp"].isdigit()
            if value.get("messages") and name != "system_changed_user_id":
                assert "contacts" in value


# --- one test per message fixture: the text Rasa gets ------------------------------------


@pytest.mark.parametrize("name", SINGLE_MESSAGE)
def test_text_handed_to_rasa(name: str) -> None:
    raw = first_message(name)
    message = _single(name)
    expected = EXPECTED_TEXT.get(name, raw.get("text", {}).get("body"))
    if name in PASS_THROUGH:
        expected = message.text
    assert message.text == expected
    assert message.silent is (expected is None)
    assert message.wamid == raw["id"]
    assert message.msg_type == raw["type"]
    assert message.metadata["wamid"] == raw["id"]
    assert message.metadata["message_type"] == raw["type"]
    assert message.metadata["phone_number_id"] == PHONE_NUMBER_ID
    assert message.raw == raw


@pytest.mark.parametrize("name", SINGLE_MESSAGE)
def test_timestamp_is_aware_utc(name: str) -> None:
    raw = first_message(name)
    message = _single(name)
    assert message.timestamp is not None
    assert message.timestamp.tzinfo is not None
    assert message.timestamp.utcoffset() == timedelta(0)
    assert message.timestamp == datetime.fromtimestamp(int(raw["timestamp"]), tz=UTC)


@pytest.mark.parametrize("name", SINGLE_MESSAGE)
def test_stored_payload_parses_back_to_the_same_message(name: str) -> None:
    """The inbox replays stored payloads after a restart: same text, same metadata."""
    message = _single(name)
    stored = json.loads(json.dumps(message.stored_payload(), ensure_ascii=False))
    again = parse_message(
        stored["message"],
        profile_name=stored["profile_name"],
        phone_number_id=stored["phone_number_id"],
    )
    assert again == message


@pytest.mark.parametrize("name", SINGLE_MESSAGE)
def test_no_typed_text_reaches_rasa_as_a_shortcut(name: str) -> None:
    """Only our own payloads (button ids we set) and synthetic intents may start with '/'."""
    message = _single(name)
    if message.text is None or message.msg_type in ("interactive", "button"):
        return
    if message.text.startswith("/"):
        assert message.text in {
            INTENT_MEDIA,
            INTENT_LOCATION,
            INTENT_CONTACTS,
            INTENT_UNSUPPORTED,
            INTENT_WELCOME,
            INTENT_EMPTY,
        }
    else:
        assert _rasa_intent(message.text) is None


# --- metadata per type ----------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["text", "text_with_context_reply", "text_forwarded", "referral_ctwa_ad", "non_ascii"]
)
def test_typed_text_keeps_the_original_for_language_detection(name: str) -> None:
    message = _single(name)
    assert message.user_text == first_message(name)["text"]["body"]


def test_profile_name_and_sender_come_from_the_envelope() -> None:
    message = _single("text")
    assert message.wa_id == USER
    assert message.profile_name == PROFILE_NAME
    assert message.metadata["profile_name"] == PROFILE_NAME
    assert message.metadata["wa_id"] == USER


def test_reply_context_is_kept() -> None:
    message = _single("text_with_context_reply")
    assert message.metadata["context"] == {"from": DISPLAY_NUMBER, "id": BOT_WAMID}


@pytest.mark.parametrize("name", ["text_forwarded", "video"])
def test_forwarded_flag_is_kept(name: str) -> None:
    assert _single(name).metadata["context"] == {"forwarded": True}


def test_plain_text_has_no_context() -> None:
    assert "context" not in _single("text").metadata


def test_button_reply_carries_our_payload_id_and_title() -> None:
    message = _single("interactive_button_reply")
    assert message.metadata["interactive"] == {
        "type": "button_reply",
        "id": '/buy_ticket{"event_id":"mde-2025-07"}',
        "title": "Comprar entrada",
    }
    assert message.metadata["context"]["id"] == BOT_WAMID
    assert message.user_text is None
    # The payload we set round-trips as Rasa's shortcut: that is the point of button ids.
    assert _rasa_intent(message.text)["name"] == "buy_ticket"


def test_list_reply_carries_our_payload_id_and_title() -> None:
    message = _single("interactive_list_reply")
    assert message.metadata["interactive"] == {
        "type": "list_reply",
        "id": '/choose_event{"event_id":"colombiamoda-2025"}',
        "title": "Colombiamoda 2025",
    }
    assert message.user_text is None


def test_template_quick_reply_uses_the_payload() -> None:
    message = _single("template_quick_reply_button")
    assert message.metadata["button"] == {
        "payload": "/stop_promotions",
        "text": "No más promociones",
    }
    assert message.metadata["context"]["id"].startswith("wamid.")


def test_quick_reply_without_payload_falls_back_to_its_label() -> None:
    raw = _text_message("wamid.b", "1750000000")
    raw.update(type="button", button={"text": "Sí, quiero"})
    assert parse_message(raw).text == "Sí, quiero"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "image_with_caption",
            {
                "type": "image",
                "id": "1479537139650973",
                "mime_type": "image/jpeg",
                "caption": "¿Tienen este vestido en talla M?",
                "filename": None,
                "voice": None,
                "animated": None,
            },
        ),
        (
            "image_no_caption",
            {
                "type": "image",
                "id": "1479537139650974",
                "mime_type": "image/jpeg",
                "caption": None,
                "filename": None,
                "voice": None,
                "animated": None,
            },
        ),
        (
            "document",
            {
                "type": "document",
                "id": "1187624185915447",
                "mime_type": "application/pdf",
                "caption": None,
                "filename": "comprobante_pago.pdf",
                "voice": None,
                "animated": None,
            },
        ),
        (
            "audio_voice",
            {
                "type": "audio",
                "id": "3064457870533811",
                "mime_type": "audio/ogg; codecs=opus",
                "caption": None,
                "filename": None,
                "voice": True,
                "animated": None,
            },
        ),
        (
            "video",
            {
                "type": "video",
                "id": "765756756123456",
                "mime_type": "video/mp4",
                "caption": "Miren este look de pasarela",
                "filename": None,
                "voice": None,
                "animated": None,
            },
        ),
        (
            "sticker",
            {
                "type": "sticker",
                "id": "1019393862921435",
                "mime_type": "image/webp",
                "caption": None,
                "filename": None,
                "voice": None,
                "animated": False,
            },
        ),
    ],
)
def test_media_metadata(name: str, expected: dict[str, Any]) -> None:
    message = _single(name)
    media = dict(message.metadata["media"])
    assert media.pop("sha256") == first_message(name)[expected["type"]]["sha256"]
    assert media == expected
    assert message.user_text == expected["caption"]


@pytest.mark.parametrize("caption", ["", "   ", "/", "/ /", None])
def test_media_with_an_empty_caption_is_the_media_intent(caption: str | None) -> None:
    raw = copy.deepcopy(first_message("image_with_caption"))
    raw["image"]["caption"] = caption
    message = parse_message(raw)
    assert message.text == INTENT_MEDIA
    assert message.user_text is None


def test_location_metadata() -> None:
    message = _single("location")
    assert message.metadata["location"] == {
        "latitude": 6.2442031,
        "longitude": -75.5736594,
        "name": "Plaza Mayor Medellín",
        "address": "Cl. 41 #55-80, La Candelaria, Medellín, Antioquia",
        "url": "https://maps.google.com/?cid=1234567890123456789",
    }


def test_bare_location_has_none_for_missing_fields() -> None:
    raw = copy.deepcopy(first_message("location"))
    raw["location"] = {"latitude": 12.25089, "longitude": 43.90539}
    location = parse_message(raw).metadata["location"]
    assert location == {
        "latitude": 12.25089,
        "longitude": 43.90539,
        "name": None,
        "address": None,
        "url": None,
    }


def test_contacts_metadata() -> None:
    contacts = _single("contacts").metadata["contacts"]
    assert len(contacts) == 1
    assert contacts[0]["name"]["formatted_name"] == "Camila Restrepo"
    assert contacts[0]["phones"] == [{"phone": "+57 310 765 4321", "wa_id": USER2, "type": "CELL"}]


@pytest.mark.parametrize(("name", "emoji"), [("reaction", "❤️"), ("reaction_removed", "")])
def test_reactions_are_silent_but_recorded(name: str, emoji: str) -> None:
    message = _single(name)
    assert message.silent and message.text is None and message.user_text is None
    assert message.metadata["reaction"] == {"message_id": BOT_WAMID, "emoji": emoji}


def test_reaction_without_emoji_key_is_silent() -> None:
    raw = copy.deepcopy(first_message("reaction"))
    del raw["reaction"]["emoji"]
    assert parse_message(raw).silent


def test_silent_types_are_exactly_reaction_system_revoke() -> None:
    silent = {name for name, text in EXPECTED_TEXT.items() if text is None}
    assert {first_message(name)["type"] for name in silent} == set(SILENT_TYPES)


def test_system_number_change_is_silent() -> None:
    message = _single("system_changed_number")
    assert message.silent
    assert message.wa_id == USER
    assert message.metadata["system"]["type"] == "user_changed_number"
    assert message.metadata["system"]["wa_id"] == USER2


def test_system_user_id_change_without_from_is_accepted() -> None:
    """pywa's ``user_id_change`` fixture has no ``from``; refusing it would refuse the batch."""
    message = _single("system_changed_user_id")
    assert message.silent
    assert message.wa_id == "CO.1349120865530274191"
    assert message.metadata["system"]["type"] == "user_changed_user_id"


def test_revoke_is_silent_and_names_the_original() -> None:
    message = _single("revoke")
    assert message.silent
    assert message.metadata["revoke"]["original_message_id"].startswith("wamid.")


def test_unsupported_message_keeps_type_and_errors() -> None:
    message = _single("unsupported")
    assert message.metadata["unsupported"]["type"] == "poll"
    errors = message.metadata["unsupported"]["errors"]
    assert [e["code"] for e in errors] == [131051]
    assert errors[0]["error_data"]["details"] == "Message type is currently not supported."


def test_unknown_type_is_unsupported_with_its_own_type() -> None:
    message = _single("unknown_type")
    assert message.metadata["unsupported"]["type"] == "unknown"
    assert message.metadata["unsupported"]["errors"][0]["code"] == 131051


@pytest.mark.parametrize("msg_type", ["ephemeral", "call", "", None])
def test_any_future_type_is_unsupported(msg_type: str | None) -> None:
    raw = {"from": USER, "id": "wamid.f", "timestamp": "1750000000", "type": msg_type}
    assert parse_message(raw).text == INTENT_UNSUPPORTED


@pytest.mark.parametrize("name", ["order", "nfm_reply"])
def test_order_and_flow_replies_are_unsupported(name: str) -> None:
    assert _single(name).text == INTENT_UNSUPPORTED


def test_order_is_recorded_as_its_own_type() -> None:
    assert _single("order").metadata["unsupported"]["type"] == "order"


def test_interactive_without_a_reply_id_is_unsupported() -> None:
    raw = copy.deepcopy(first_message("interactive_button_reply"))
    raw["interactive"]["button_reply"]["id"] = ""
    assert parse_message(raw).text == INTENT_UNSUPPORTED
    raw["interactive"] = {"type": "button_reply"}
    assert parse_message(raw).text == INTENT_UNSUPPORTED


def test_request_welcome_greets() -> None:
    message = _single("request_welcome")
    assert message.text == "/greet"
    assert not message.silent


def test_edit_is_read_as_the_new_text() -> None:
    message = _single("edit")
    assert message.user_text == "Hola, ¿cuándo es el desfile de gala?"


@pytest.mark.parametrize(("body", "expected"), [("/restart", "restart"), ("/", INTENT_EMPTY)])
def test_edited_text_is_sanitised_like_typed_text(body: str, expected: str) -> None:
    raw = copy.deepcopy(first_message("edit"))
    raw["edit"]["message"]["text"]["body"] = body
    assert parse_message(raw).text == expected


def test_edit_of_a_caption_is_unsupported() -> None:
    raw = copy.deepcopy(first_message("edit"))
    raw["edit"]["message"] = {"type": "image", "image": {"id": "1", "caption": "nuevo"}}
    assert parse_message(raw).text == INTENT_UNSUPPORTED


def test_ctwa_referral_is_kept_with_the_text() -> None:
    message = _single("referral_ctwa_ad")
    referral = message.metadata["referral"]
    assert referral["source_type"] == "ad"
    assert referral["ctwa_clid"].startswith("ARAk")
    assert referral["welcome_message"] == {"text": "¡Hola! ¿En qué te podemos ayudar?"}


# --- hostile and odd texts ----------------------------------------------------------


def test_injection_is_neutralised() -> None:
    message = _single("text_injection")
    assert not message.text.startswith("/")
    assert message.user_text == '/greet{"x":1}'
    assert _rasa_intent(message.text) is None
    assert _rasa_intent(message.user_text) is not None  # the raw text *would* have worked


@pytest.mark.parametrize(
    "typed",
    [
        '/greet{"x":1}',
        "/restart",
        "  /greet",
        "//greet",
        "/ /greet",
        "\u00a0/greet",
        "\n/greet@0.99",
        '/ask_price{"price": 0}',
        "\t/\t/affirm",
    ],
)
def test_injection_variants_never_reach_rasa_as_intents(typed: str) -> None:
    text = parse_message(_text_message("wamid.i", "1750000000", typed)).text
    assert not text.strip().startswith("/")
    assert _rasa_intent(text) is None


@pytest.mark.parametrize("typed", ["", " ", "/", "///", " / / ", "\n\t"])
def test_nothing_left_to_understand_is_the_fallback_intent(typed: str) -> None:
    message = parse_message(_text_message("wamid.e", "1750000000", typed))
    assert message.text == INTENT_EMPTY
    assert message.user_text == typed


def test_caption_injection_is_neutralised() -> None:
    raw = copy.deepcopy(first_message("image_with_caption"))
    raw["image"]["caption"] = '/greet{"x": 1}'
    message = parse_message(raw)
    assert message.text == "greet"
    assert _rasa_intent(message.text) is None


def test_sanitize_keeps_inner_slashes() -> None:
    assert sanitize_user_text(" hola / chao /fin ") == "hola / chao /fin"
    assert sanitize_user_text("1/2 talla") == "1/2 talla"


def test_random_texts_never_start_with_a_slash() -> None:
    rng = random.Random(20250701)
    alphabet = "/ \t\n{}\"':@abcXYZ0123ñé👗\u00a0"
    for _ in range(2000):
        typed = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        text = parse_message(_text_message("wamid.r", "1750000000", typed)).text
        assert text == INTENT_EMPTY or not text.startswith("/"), repr(typed)
        assert text == INTENT_EMPTY or _rasa_intent(text) is None, repr(typed)


def test_empty_text() -> None:
    message = _single("text_empty")
    assert message.text == INTENT_EMPTY
    assert message.user_text == ""
    assert not message.silent


def test_long_text_is_cut_for_the_nlu_only() -> None:
    """Parsing time grows faster than the length (docs/decisions/entities.md)."""
    body = first_message("text_long")["text"]["body"]
    assert len(body) > NLU_MAX_CHARS
    message = _single("text_long")
    assert message.user_text == body
    assert 0 < len(message.text) <= NLU_MAX_CHARS and body.startswith(message.text)
    assert message.metadata["truncated_from"] == len(body)


def test_html_tags_are_dropped_and_sql_passes_through() -> None:
    """Escaping is the output's job; the NLU sees the words, not markup WhatsApp never shows."""
    message = _single("text_html_sql")
    assert "<script>" in message.user_text and "<" not in message.text
    assert "DROP TABLE" in message.text


def test_non_ascii_payload_is_ascii_escaped_on_the_wire() -> None:
    body = raw_bytes("non_ascii")
    assert body.isascii()
    assert b"\\u00f1" in body  # "ñ" escaped, as Meta and the emulator send it
    message = parse_webhook(json.loads(body)).messages[0]
    assert message.text == "¿Dónde queda la pasarela? Mañana voy con mi mamá 💃🏽👠"
    assert message.profile_name == "José Ñúñez 🎉"


# --- batches and ordering -----------------------------------------------------------


def test_multi_message_batch_is_sorted_by_timestamp_across_entries() -> None:
    data = load("multi_message_batch")
    wire_order = [
        m["id"] for e in data["entry"] for c in e["changes"] for m in c["value"].get("messages", [])
    ]
    batch = parse_webhook(data)
    assert [m.text for m in batch.messages] == ["Hola", "Y también quiero saber los precios"]
    assert [m.wamid for m in batch.messages] == list(reversed(wire_order))
    assert batch.messages[0].timestamp < batch.messages[1].timestamp
    assert [(s.status, s.recipient_id) for s in batch.statuses] == [("delivered", USER)]
    assert all(m.profile_name == PROFILE_NAME for m in batch.messages)


def test_random_batches_come_out_in_timestamp_order() -> None:
    rng = random.Random(7)
    for _ in range(50):
        stamps = [1750000000 + rng.randint(0, 500) for _ in range(rng.randint(1, 12))]
        values = []
        for i, ts in enumerate(stamps):
            ts_value: Any = str(ts) if rng.random() < 0.8 else ts  # ints are tolerated
            values.append({"messages": [_text_message(f"wamid.{i}", ts_value, f"m{i}")]})
        batch = parse_webhook(_envelope(*values))
        got = [m.timestamp for m in batch.messages]
        assert got == sorted(got)
        assert len(got) == len(stamps)


def test_equal_timestamps_keep_wire_order() -> None:
    value = {"messages": [_text_message(f"wamid.{i}", "1750000000", f"m{i}") for i in range(5)]}
    assert [m.text for m in parse_webhook(_envelope(value)).messages] == [f"m{i}" for i in range(5)]


def test_garbage_timestamp_is_none_and_sorts_first() -> None:
    value = {
        "messages": [
            _text_message("wamid.a", "1750000000", "a"),
            _text_message("wamid.b", "ayer", "b"),
            _text_message("wamid.c", None, "c"),
        ]
    }
    batch = parse_webhook(_envelope(value))
    assert [m.text for m in batch.messages] == ["b", "c", "a"]
    assert batch.messages[0].timestamp is None


# --- statuses, system errors and other fields ------------------------------------------


def _one_status(name: str):
    batch = parse_webhook(load(name))
    assert batch.messages == [] and batch.errors == [] and len(batch.statuses) == 1
    return batch.statuses[0]


@pytest.mark.parametrize("name", STATUS_FIXTURES)
def test_status_common_fields(name: str) -> None:
    status = _one_status(name)
    assert status.status == name.removeprefix("status_")
    assert status.wamid.startswith("wamid.")
    assert status.recipient_id == USER
    assert status.timestamp is not None and status.timestamp.utcoffset() == timedelta(0)


def test_status_sent_has_conversation_and_pricing() -> None:
    status = _one_status("status_sent")
    assert status.errors == []
    assert status.conversation == {
        "id": "a75d17adfe3b8f7c1a3e5d0b9c8e7f60",
        "origin": {"type": "service"},
        "expiration_timestamp": "1750087001",
    }
    assert status.pricing == {
        "billable": True,
        "pricing_model": "PMP",
        "category": "service",
        "type": "free_customer_service",
    }
    assert status.timestamp == datetime(2025, 6, 15, 15, 16, 41, tzinfo=UTC)


@pytest.mark.parametrize("name", ["status_delivered", "status_read"])
def test_later_statuses_have_conversation_without_expiration(name: str) -> None:
    status = _one_status(name)
    assert status.conversation is not None
    assert "expiration_timestamp" not in status.conversation
    assert status.pricing is not None and status.pricing["pricing_model"] == "PMP"


def test_status_failed_carries_the_error() -> None:
    status = _one_status("status_failed")
    assert status.conversation is None and status.pricing is None
    assert len(status.errors) == 1
    error = status.errors[0]
    assert error["code"] == 131047
    assert error["title"] == error["message"] == "Re-engagement message"
    assert "24 hours" in error["error_data"]["details"]


def test_status_batch_keeps_every_status() -> None:
    batch = parse_webhook(load("status_batch"))
    assert batch.messages == []
    raw = load("status_batch")["entry"][0]["changes"][0]["value"]["statuses"]
    assert [(s.wamid, s.status) for s in batch.statuses] == [(r["id"], r["status"]) for r in raw]
    assert len({s.wamid for s in batch.statuses}) == 2


def test_status_for_a_bsuid_recipient() -> None:
    status = parse_status(
        {"id": "wamid.s", "status": "read", "timestamp": "1", "recipient_user_id": "US.1349"}
    )
    assert status.recipient_id == "US.1349"


def test_status_with_odd_errors_and_objects_is_tolerated() -> None:
    status = parse_status(
        {
            "id": "wamid.s",
            "status": "failed",
            "errors": {"code": 1},
            "conversation": "x",
            "pricing": [],
        }
    )
    assert status.errors == [] and status.conversation is None and status.pricing is None
    assert status.timestamp is None


def test_system_error_value() -> None:
    batch = parse_webhook(load("system_error_value"))
    assert batch.messages == [] and batch.statuses == []
    assert [e["code"] for e in batch.errors] == [130429]
    assert batch.errors[0]["title"] == "Rate limit hit"


def test_template_status_update_is_listed_in_other_fields() -> None:
    batch = parse_webhook(load("template_status_update"))
    assert batch.other_fields == ["message_template_status_update"]
    assert batch.messages == [] and batch.statuses == [] and batch.errors == []


def test_empty_entry_list_is_an_empty_batch() -> None:
    batch = parse_webhook({"object": "whatsapp_business_account", "entry": []})
    assert (batch.messages, batch.statuses, batch.errors, batch.other_fields) == ([], [], [], [])


def test_odd_contacts_block_does_not_break_parsing() -> None:
    value = {
        "contacts": [{"wa_id": USER, "profile": "Valentina"}, "x", {"profile": None}],
        "messages": [_text_message("wamid.c", "1750000000")],
    }
    message = parse_webhook(_envelope(value)).messages[0]
    assert message.profile_name is None and message.text == "hola"


def test_from_user_id_is_accepted_as_sender() -> None:
    raw = _text_message("wamid.u", "1750000000")
    del raw["from"]
    raw["from_user_id"] = "US.13491208655302741918"
    assert parse_message(raw).wa_id == "US.13491208655302741918"


# --- invalid bodies -------------------------------------------------------------------

GOOD_MESSAGE = _text_message("wamid.ok", "1750000000")


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(None, id="null"),
        pytest.param([], id="list"),
        pytest.param("whatsapp_business_account", id="string"),
        pytest.param(42, id="number"),
        pytest.param({"entry": []}, id="no-object"),
        pytest.param({"object": "page", "entry": []}, id="wrong-object"),
        pytest.param({"object": "instagram", "entry": []}, id="wrong-object-2"),
        pytest.param({"object": "whatsapp_business_account"}, id="no-entry"),
        pytest.param({"object": "whatsapp_business_account", "entry": {}}, id="entry-dict"),
        pytest.param({"object": "whatsapp_business_account", "entry": "x"}, id="entry-string"),
        pytest.param({"object": "whatsapp_business_account", "entry": ["x"]}, id="entry-item"),
        pytest.param(
            {"object": "whatsapp_business_account", "entry": [{"changes": {}}]}, id="changes-dict"
        ),
        pytest.param(
            {
                "object": "whatsapp_business_account",
                "entry": [{"changes": [{"field": "messages"}]}],
            },
            id="change-without-value",
        ),
        pytest.param(
            {"object": "whatsapp_business_account", "entry": [{"changes": ["x"]}]},
            id="change-not-object",
        ),
        pytest.param(
            {
                "object": "whatsapp_business_account",
                "entry": [{"changes": [{"field": "messages", "value": []}]}],
            },
            id="value-list",
        ),
        pytest.param(
            _envelope({"messages": [{k: v for k, v in GOOD_MESSAGE.items() if k != "id"}]}),
            id="message-without-id",
        ),
        pytest.param(
            _envelope({"messages": [{k: v for k, v in GOOD_MESSAGE.items() if k != "from"}]}),
            id="message-without-from",
        ),
        pytest.param(_envelope({"messages": [{**GOOD_MESSAGE, "id": ""}]}), id="empty-id"),
        pytest.param(_envelope({"messages": GOOD_MESSAGE}), id="messages-dict"),
        pytest.param(_envelope({"messages": "hola"}), id="messages-string"),
        pytest.param(_envelope({"messages": [GOOD_MESSAGE, "x"]}), id="messages-item"),
        pytest.param(_envelope({"statuses": {"id": "wamid.s"}}), id="statuses-dict"),
        pytest.param(_envelope({"statuses": [{"id": "wamid.s"}]}), id="status-without-status"),
        pytest.param(_envelope({"statuses": [{"status": "read"}]}), id="status-without-id"),
        pytest.param(_envelope({"errors": {"code": 1}}), id="errors-dict"),
        pytest.param(
            _envelope(
                {"messages": [{"id": "wamid.s", "timestamp": "1", "type": "system", "system": {}}]}
            ),
            id="system-without-any-sender",
        ),
    ],
)
def test_invalid_bodies_raise_invalid_webhook(body: Any) -> None:
    with pytest.raises(InvalidWebhook):
        parse_webhook(body)


def test_invalid_webhook_is_a_value_error() -> None:
    """The channel catches ``ValueError`` (bad JSON) and ``InvalidWebhook`` together."""
    assert issubclass(InvalidWebhook, ValueError)


def test_one_bad_message_refuses_the_whole_batch() -> None:
    bad = {k: v for k, v in GOOD_MESSAGE.items() if k != "from"}
    with pytest.raises(InvalidWebhook):
        parse_webhook(_envelope({"messages": [GOOD_MESSAGE]}, {"messages": [bad]}))


def test_unknown_fields_are_listed_not_parsed() -> None:
    data = {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "1",
                "changes": [
                    {"field": "account_update", "value": {"event": "VERIFIED_ACCOUNT"}},
                    {"field": "messages", "value": {"messages": [GOOD_MESSAGE]}},
                    {"field": "phone_number_quality_update", "value": {"event": "FLAGGED"}},
                ],
            }
        ],
    }
    batch = parse_webhook(data)
    assert batch.other_fields == ["account_update", "phone_number_quality_update"]
    assert [m.wamid for m in batch.messages] == ["wamid.ok"]
