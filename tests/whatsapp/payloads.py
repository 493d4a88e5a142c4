"""Load the webhook fixtures in ``tests/data/whatsapp`` (one real payload shape per file)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "whatsapp"

#: The identities the fixtures use.
WABA_ID = "102290129340398"
PHONE_NUMBER_ID = "106540352242922"
DISPLAY_NUMBER = "573145550100"
USER = "573001234567"
USER2 = "573107654321"
PROFILE_NAME = "Valentina Ríos"
BOT_WAMID = "wamid.HBgMNTczMDAxMjM0NTY3FQIAERgSQjRGOTc0QkY3RTRCRkFCNjE5AA=="


def names() -> list[str]:
    return sorted(p.stem for p in DATA_DIR.glob("*.json"))


def raw_bytes(name: str) -> bytes:
    """The file exactly as stored: for ``non_ascii`` these are the signed wire bytes."""
    return (DATA_DIR / f"{name}.json").read_bytes()


def load(name: str) -> dict[str, Any]:
    return json.loads(raw_bytes(name))


def first_message(name: str) -> dict[str, Any]:
    """The first ``messages[]`` item of a fixture, as WhatsApp sent it."""
    for entry in load(name)["entry"]:
        for change in entry["changes"]:
            messages = change["value"].get("messages")
            if messages:
                return messages[0]
    raise LookupError(f"{name} has no message")
