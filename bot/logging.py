"""Structured logging that never prints a full phone number, token or secret.

Every process configures logging through :func:`configure`; records pass a
redaction filter, so a careless ``log.info("%s", payload)`` still leaks nothing.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from typing import Any

_PHONE = re.compile(r"(?<![\w.])(\+?\d{2,4})\d{4,9}(\d{3})(?!\d)")
_SECRET_KV = re.compile(
    r"(?i)((?:token|secret|password|authorization|signature|apikey|api_key)[\"']?\s*[:=]\s*[\"']?)"
    # A backslash ends the value too: in JSON output it escapes the closing quote.
    r"(Bearer\s+)?[^\s\"'&,}\\]+"
)
_BEARER = re.compile(r"(?i)Bearer\s+[A-Za-z0-9._~+/=-]+")


def mask_phone(phone: str | None) -> str:
    """``573001234567`` -> ``5730*****567``: enough to tell people apart in logs."""
    if not phone:
        return "-"
    digits = str(phone)
    if len(digits) <= 6:
        return "*" * len(digits)
    # Short numbers keep less on each side so at least three digits stay hidden.
    head, tail = (4, 3) if len(digits) >= 10 else (2, 2)
    return digits[:head] + "*" * (len(digits) - head - tail) + digits[-tail:]


def redact(text: str) -> str:
    """Mask phone-like digit runs, bearer tokens and ``secret=...`` pairs in free text."""
    text = _BEARER.sub("Bearer ***", text)
    text = _SECRET_KV.sub(lambda m: m.group(1) + "***", text)
    return _PHONE.sub(lambda m: m.group(1) + "*****" + m.group(2), text)


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not kill logging
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": getattr(record, "action", None) or redact(record.getMessage()),
        }
        for key, value in getattr(record, "fields", {}).items():
            # Strings are redacted before escaping (a "\n" escape would hide a number
            # from the phone pattern); the whole line is redacted again for key=value.
            payload[key] = redact(value) if isinstance(value, str) else value
        if record.exc_info:
            payload["exc"] = redact(self.formatException(record.exc_info))
        return redact(json.dumps(payload, ensure_ascii=False, default=str))


class ConsoleFormatter(logging.Formatter):
    def __init__(self, process: str) -> None:
        super().__init__("%(asctime)s %(levelname)-5s " + process + " %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def configure(process: str, level: str = "INFO", fmt: str = "console") -> None:
    """Install the redacting handler on the root logger (idempotent)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_fashionistas", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler._fashionistas = True  # type: ignore[attr-defined]
    handler.setFormatter(JsonFormatter() if fmt == "json" else ConsoleFormatter(process))
    handler.addFilter(RedactingFilter())
    root.addHandler(handler)
    root.setLevel(level.upper())
    for noisy in ("httpx", "httpcore", "sanic.access", "aiosqlite", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def event(logger: logging.Logger, action: str, level: int = logging.INFO, **fields: Any) -> None:
    """Log one outcome with an action key and structured fields (masked on output).

    The fields are also written into the message, so they show under any formatter
    (Rasa configures its own in the rasa server); the JSON formatter keeps them apart.
    """
    text = " ".join([action, *(f"{k}={v}" for k, v in fields.items())])
    logger.log(level, text, extra={"fields": fields, "action": action})


def protect_foreign_handlers() -> None:
    """Add redaction to handlers someone else installed (Rasa's), and quiet noisy loggers."""
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
    for noisy in ("httpx", "httpcore", "aiosqlite"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
