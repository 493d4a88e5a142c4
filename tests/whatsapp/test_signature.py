"""``X-Hub-Signature-256``: HMAC-SHA256 over the exact raw body bytes (contract §1.2)."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from bot.whatsapp.signature import PREFIX, sign, verify
from tests.whatsapp.payloads import load, raw_bytes

SECRET = "fashionistas-test-app-secret"
BODY = b'{"object":"whatsapp_business_account","entry":[]}'
#: Computed once with hmac/hashlib and written down, so a change in either side shows.
BODY_DIGEST = "b19194ce6ea514eac9de311f7984eb1ddabe76ad11f4b60dd49cf426cc1ab1ed"
NON_ASCII_SECRET = "contraseña-ñ"
NON_ASCII_DIGEST = "d44a4fee70c0447b9aa01731e4c12b23f5f742a6a67c3839d550077e125cfeb4"


def _independent(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def test_known_answer() -> None:
    assert _independent(BODY, SECRET) == "sha256=" + BODY_DIGEST
    assert sign(BODY, SECRET) == "sha256=" + BODY_DIGEST
    assert verify(BODY, "sha256=" + BODY_DIGEST, SECRET)


def test_rfc4231_case_2() -> None:
    """HMAC-SHA256 test vector from RFC 4231 §4.3 (key "Jefe")."""
    expected = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    assert sign(b"what do ya want for nothing?", "Jefe") == PREFIX + expected


def test_header_format() -> None:
    header = sign(BODY, SECRET)
    assert header.startswith("sha256=")
    digest = header.removeprefix("sha256=")
    assert len(digest) == 64 and digest == digest.lower()
    int(digest, 16)


def test_wrong_secret() -> None:
    assert not verify(BODY, sign(BODY, SECRET), SECRET + "x")
    assert not verify(BODY, sign(BODY, SECRET), SECRET.upper())


@pytest.mark.parametrize(
    "tampered",
    [
        BODY.replace(b"[]", b"[{}]"),
        BODY + b"\n",
        b" " + BODY,
        BODY[:-1],
        b"",
        json.dumps(json.loads(BODY)).encode(),  # same JSON, re-serialised with spaces
    ],
)
def test_tampered_body(tampered: bytes) -> None:
    assert tampered != BODY
    assert not verify(tampered, sign(BODY, SECRET), SECRET)


@pytest.mark.parametrize("header", [None, ""])
def test_missing_header(header: str | None) -> None:
    assert not verify(BODY, header, SECRET)


@pytest.mark.parametrize(
    "header",
    [
        BODY_DIGEST,  # no prefix
        "sha1=" + BODY_DIGEST,
        "SHA256=" + BODY_DIGEST,
        "sha256:" + BODY_DIGEST,
        "sha512=" + BODY_DIGEST,
        " sha256=" + BODY_DIGEST,
        "sha256=",
        "sha256=" + BODY_DIGEST[:-1],
        "sha256=" + BODY_DIGEST + "0",
        "sha256=" + BODY_DIGEST[:32],
        "sha256=" + "0" * 64,
        "sha1=" + hmac.new(SECRET.encode(), BODY, hashlib.sha1).hexdigest(),
    ],
)
def test_wrong_prefix_or_digest(header: str) -> None:
    assert not verify(BODY, header, SECRET)


def test_uppercase_hex_is_accepted() -> None:
    assert verify(BODY, "sha256=" + BODY_DIGEST.upper(), SECRET)


def test_non_ascii_header_is_refused_not_raised() -> None:
    assert not verify(BODY, "sha256=ñ" + BODY_DIGEST[1:], SECRET)


def test_empty_secret_verifies_nothing() -> None:
    """Anyone can compute an HMAC keyed with "": that must not count as signed."""
    assert not verify(BODY, sign(BODY, ""), "")


def test_non_ascii_fixture_verifies_on_raw_bytes() -> None:
    body = raw_bytes("non_ascii")
    assert body.isascii()  # Meta and the emulator sign the ASCII-escaped form
    header = sign(body, NON_ASCII_SECRET)
    assert header == "sha256=" + NON_ASCII_DIGEST
    assert header == _independent(body, NON_ASCII_SECRET)
    assert verify(body, header, NON_ASCII_SECRET)


def test_re_serialising_non_ascii_breaks_the_signature() -> None:
    """Why the check must run on the bytes received, before any JSON parsing."""
    body = raw_bytes("non_ascii")
    header = sign(body, NON_ASCII_SECRET)
    data = load("non_ascii")
    utf8 = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    assert not utf8.isascii()
    assert not verify(utf8, header, NON_ASCII_SECRET)
    ascii_again = json.dumps(data, ensure_ascii=True, separators=(",", ":")).encode("ascii")
    assert verify(ascii_again, header, NON_ASCII_SECRET)  # the same bytes as sent


def test_non_ascii_body_bytes_are_signed_as_given() -> None:
    body = "¿Dónde queda la pasarela? 💃🏽".encode()
    for body_bytes in (body, body.decode().encode("utf-16"), bytes(range(256))):
        header = sign(body_bytes, SECRET)
        assert header == _independent(body_bytes, SECRET)
        assert verify(body_bytes, header, SECRET)
        assert not verify(body_bytes[:-1], header, SECRET)


def test_non_ascii_secret_is_utf8_encoded() -> None:
    assert sign(BODY, NON_ASCII_SECRET) == _independent(BODY, NON_ASCII_SECRET)
    assert not verify(BODY, sign(BODY, NON_ASCII_SECRET), "contrasena-n")
