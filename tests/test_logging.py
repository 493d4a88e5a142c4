"""Logs never carry a full phone number, token or secret, and JSON lines stay valid JSON."""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Iterator

import pytest

from bot.logging import JsonFormatter, RedactingFilter, configure, event, mask_phone, redact

PHONE = "573001234567"
PHONE2 = "573107654321"
TOKEN = "EAAGm0PX4ZCpsBAKZAmZBzOk3ZCu1ZBeQFz7yPsyKZAlZCGkT9hBzZA"
APP_SECRET = "6f1c2e0a9b8d4c3e2f1a0b9c8d7e6f5a"


@pytest.fixture
def root_logging() -> Iterator[None]:
    """Let a test call ``configure`` and put the root logger back afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    noisy = {n: logging.getLogger(n).level for n in ("httpx", "httpcore", "sanic.access")}
    try:
        yield
    finally:
        for handler in list(root.handlers):
            if handler not in handlers:
                root.removeHandler(handler)
        root.setLevel(level)
        for name, noisy_level in noisy.items():
            logging.getLogger(name).setLevel(noisy_level)


def _record(msg: str, *args: object, fields: dict | None = None) -> logging.LogRecord:
    record = logging.LogRecord("bot.test", logging.INFO, __file__, 1, msg, args or None, None)
    if fields is not None:
        record.fields = fields
    return record


def _leaks(text: str) -> list[str]:
    return [s for s in (PHONE, PHONE2, TOKEN, APP_SECRET) if s in text]


# --- mask_phone -------------------------------------------------------------------------


def test_mask_phone_colombian_number() -> None:
    assert mask_phone(PHONE) == "5730*****567"


def test_mask_phone_with_plus() -> None:
    masked = mask_phone("+" + PHONE)
    assert masked == "+573******567"
    assert PHONE not in masked


@pytest.mark.parametrize("empty", [None, ""])
def test_mask_phone_empty(empty: str | None) -> None:
    assert mask_phone(empty) == "-"


@pytest.mark.parametrize("short", ["1", "12345", "123456"])
def test_mask_phone_short_is_all_stars(short: str) -> None:
    assert mask_phone(short) == "*" * len(short)


def test_mask_phone_property_never_reveals_the_number() -> None:
    rng = random.Random(57)
    for _ in range(500):
        number = "".join(rng.choice("0123456789") for _ in range(rng.randint(7, 16)))
        masked = mask_phone(number)
        assert len(masked) == len(number)
        assert masked != number
        assert masked.count("*") >= 3
        head = masked[: len(masked) - len(masked.lstrip("0123456789"))]
        tail = masked[len(masked.rstrip("0123456789")) :]
        assert masked == head + "*" * (len(number) - len(head) - len(tail)) + tail
        assert number.startswith(head) and number.endswith(tail)


def test_mask_phone_keeps_enough_to_tell_people_apart() -> None:
    assert mask_phone(PHONE) != mask_phone(PHONE2)
    assert mask_phone(PHONE).startswith("5730") and mask_phone(PHONE).endswith("567")


# --- redact ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        f"mensaje de {PHONE} recibido",
        f"from={PHONE}",
        f"to:+{PHONE}.",
        f"({PHONE})",
        f"{PHONE}",
        f"wa_id {PHONE}, otro {PHONE2}",
    ],
)
def test_redact_phone_numbers_in_text(text: str) -> None:
    out = redact(text)
    assert not _leaks(out)
    assert "*****" in out


def test_redact_phone_numbers_in_json_keeps_it_json() -> None:
    payload = {
        "contacts": [{"profile": {"name": "Valentina"}, "wa_id": PHONE}],
        "messages": [{"from": PHONE, "id": "wamid.HBgMNTczMDAxMjM0NTY3FQIAEhgg", "to": PHONE2}],
    }
    out = redact(json.dumps(payload))
    assert not _leaks(out)
    data = json.loads(out)
    assert data["messages"][0]["from"] == "5730*****567"
    assert data["messages"][0]["id"] == "wamid.HBgMNTczMDAxMjM0NTY3FQIAEhgg"  # not a phone


@pytest.mark.parametrize(
    "text",
    [
        f"Authorization: Bearer {TOKEN}",
        f"authorization=Bearer {TOKEN}",
        f"headers={{'Authorization': 'Bearer {TOKEN}'}}",
        f"bearer {TOKEN}",
    ],
)
def test_redact_bearer_tokens(text: str) -> None:
    out = redact(text)
    assert TOKEN not in out
    assert "***" in out


@pytest.mark.parametrize(
    "text",
    [
        f"GET /graph?access_token={TOKEN}&limit=5",
        f"token={TOKEN}",
        f"verify_token: {TOKEN}",
        f"app_secret={APP_SECRET}",
        f"WAPPBIZ_APP_SECRET={APP_SECRET}",
        f'{{"access_token": "{TOKEN}", "app_secret": "{APP_SECRET}"}}',
        f"password='{APP_SECRET}'",
        f"apikey={TOKEN}",
        f"api_key: {TOKEN}",
        f"X-Signature={APP_SECRET}",
    ],
)
def test_redact_secret_pairs(text: str) -> None:
    out = redact(text)
    assert not _leaks(out)
    assert "***" in out


def test_redact_keeps_the_rest_of_a_query_string() -> None:
    assert redact(f"access_token={TOKEN}&limit=5") == "access_token=***&limit=5"


def test_redact_json_with_secrets_stays_json() -> None:
    out = redact(json.dumps({"access_token": TOKEN, "app_secret": APP_SECRET, "n": 1}))
    assert json.loads(out) == {"access_token": "***", "app_secret": "***", "n": 1}


def test_redact_leaves_ordinary_text_alone() -> None:
    for text in (
        "Hola, ¿cuándo es el desfile?",
        "puerto 5005 y 5055",
        "wamid.HBgMNTczMDAxMjM0NTY3FQIAEhggQTFC",
        "lat 6.2442031 lon -75.5736594",
        "tokens: 5",
    ):
        assert redact(text) == text


# --- the configured handler -----------------------------------------------------------


def test_console_handler_never_prints_the_number_or_token(
    root_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    configure("test", level="DEBUG", fmt="console")
    log = logging.getLogger("bot.test.console")
    log.info("inbound from %s with token=%s", PHONE, TOKEN)
    log.warning("headers %s", {"Authorization": f"Bearer {TOKEN}"})
    event(log, "wappbiz.sent", to=PHONE2, secret=APP_SECRET, body=f"Hola {PHONE}")
    try:
        raise ValueError(f"send to {PHONE} failed, app_secret={APP_SECRET}")
    except ValueError:
        log.exception("wappbiz.failed for %s", PHONE)
    err = capsys.readouterr().err
    assert "inbound from 5730*****567" in err
    assert "wappbiz.sent" in err and "to=5731*****321" in err
    assert "ValueError" in err and "Traceback" in err
    assert not _leaks(err), err


def test_json_handler_lines_are_valid_json_without_secrets(
    root_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    configure("test", level="INFO", fmt="json")
    log = logging.getLogger("bot.test.json")
    log.info("inbound from %s", PHONE)
    log.info('token=%s\\"quoted', TOKEN)  # a backslash right after the secret
    log.info('payload {"app_secret": "%s", "wa_id": "%s"}', APP_SECRET, PHONE)
    event(log, "wappbiz.sent", to=PHONE2, note=f"line one\n{PHONE}", nested={"from": PHONE})
    event(log, "wappbiz.auth", header=f"Bearer {TOKEN}", access_token=TOKEN)
    try:
        raise RuntimeError(f"token={TOKEN} for {PHONE}")
    except RuntimeError:
        log.exception("wappbiz.failed")
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(lines) == 6
    records = [json.loads(line) for line in lines]
    for line in lines:
        assert not _leaks(line), line
    assert records[0]["msg"] == "inbound from 5730*****567"
    assert records[0]["level"] == "info" and records[0]["logger"] == "bot.test.json"
    assert records[0]["ts"].endswith("Z")
    assert records[3]["msg"] == "wappbiz.sent"
    assert records[3]["to"] == "5731*****321"
    assert records[3]["nested"] == {"from": "5730*****567"}
    assert "RuntimeError" in records[5]["exc"]


def test_configure_is_idempotent(root_logging: None) -> None:
    root = logging.getLogger()
    before = len(root.handlers)
    configure("test")
    configure("test", fmt="json")
    ours = [h for h in root.handlers if getattr(h, "_fashionistas", False)]
    assert len(ours) == 1
    assert isinstance(ours[0].formatter, JsonFormatter)
    assert len(root.handlers) == before + 1


# --- the filter and the formatter on their own ------------------------------------------


def test_filter_redacts_and_freezes_args() -> None:
    record = _record("from %s token=%s", PHONE, TOKEN)
    assert RedactingFilter().filter(record) is True
    assert record.args is None
    assert record.getMessage() == "from 5730*****567 token=***"


def test_filter_survives_a_bad_format_string() -> None:
    record = _record("count %d for %s", "x", PHONE)
    assert RedactingFilter().filter(record)
    assert PHONE not in record.getMessage()


def test_json_formatter_output_is_valid_json() -> None:
    record = _record("hola %s", PHONE, fields={"n": 3, "ok": True, "when": object()})
    data = json.loads(JsonFormatter().format(record))
    assert set(data) >= {"ts", "level", "logger", "msg", "n", "ok", "when"}
    assert data["msg"] == "hola 5730*****567"
    assert data["n"] == 3 and data["ok"] is True


def test_json_formatter_property_random_messages() -> None:
    """Quotes, backslashes and secret keys anywhere: the line is JSON and leaks nothing."""
    rng = random.Random(99)
    pieces = [
        "token=",
        "secret: ",
        "Bearer ",
        '"',
        "\\",
        "'",
        "\n",
        "{",
        "}",
        ",",
        "&",
        " ",
        "ñ",
        "👗",
        f" {PHONE} ",
        "=",
        "abc",
    ]
    formatter = JsonFormatter()
    for _ in range(2000):
        msg = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        field = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 8)))
        line = formatter.format(_record(msg, fields={"f": field, "token": TOKEN}))
        data = json.loads(line)
        assert PHONE not in line, (msg, field)
        assert TOKEN not in line, (msg, field)
        assert data["token"] == "***"
