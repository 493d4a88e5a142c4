"""Graph API errors exactly as the Cloud API shapes them (contract §3.2, §7).

One catalogue maps each code to its title and HTTP status so the synchronous
envelope (§7.1) and the asynchronous ``errors[]`` object (§3.2) can never disagree.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from typing import Any

ERROR_HREF = "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"


@dataclass(frozen=True)
class ErrorSpec:
    title: str
    http_status: int
    details: str


#: Codes the emulator emits, with the HTTP status of contract §7.2.
CATALOGUE: dict[int, ErrorSpec] = {
    4: ErrorSpec("Application request limit reached", 400, "Too many API calls."),
    100: ErrorSpec("Invalid parameter", 400, "Invalid parameter."),
    190: ErrorSpec("Error validating access token", 401, "Invalid OAuth access token."),
    130429: ErrorSpec(
        "Rate limit hit",
        400,
        "Message failed to send because there were too many messages sent from this "
        "phone number in a short period of time.",
    ),
    131000: ErrorSpec(
        "Something went wrong", 500, "Message failed to send due to an unknown error."
    ),
    131008: ErrorSpec("Required parameter is missing", 400, "A required parameter is missing."),
    131009: ErrorSpec(
        "Parameter value is not valid", 400, "One or more parameter values are invalid."
    ),
    131016: ErrorSpec("Service unavailable", 500, "A service is temporarily unavailable."),
    131026: ErrorSpec(
        "Message undeliverable", 400, "Message failed to send because the recipient is unreachable."
    ),
    131047: ErrorSpec(
        "Re-engagement message",
        400,
        "Message failed to send because more than 24 hours have passed since the customer "
        "last replied to this number.",
    ),
    131051: ErrorSpec("Unsupported message type", 400, "Message type is not currently supported."),
    131053: ErrorSpec("Media upload error", 400, "Unable to upload or retrieve the media."),
    131056: ErrorSpec(
        "(Business Account, Consumer Account) pair rate limit hit",
        400,
        "Message failed to send because there were too many messages sent from this phone "
        "number to the same phone number in a short period of time.",
    ),
    132000: ErrorSpec(
        "Number of parameters does not match the expected number of params",
        400,
        "The number of variable parameter values does not match the template.",
    ),
    132001: ErrorSpec(
        "Template name does not exist in the translation",
        404,
        "The template does not exist in the specified language or has not been approved.",
    ),
    132005: ErrorSpec("Translated text too long", 400, "Translated text is too long."),
    132012: ErrorSpec(
        "Parameter format does not match format in the created template",
        400,
        "Variable parameter values formatted incorrectly.",
    ),
    132015: ErrorSpec("Template is Paused", 400, "Template is paused due to low quality."),
    132016: ErrorSpec("Template is Disabled", 400, "Template has been permanently disabled."),
}


def fbtrace_id() -> str:
    """An opaque trace id shaped like Meta's (``Az8or2yhqkZfEZ-_4Qn_Bam``)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(17)).decode().rstrip("=")[:23]


class GraphError(Exception):
    """A Cloud API error: raised anywhere in the emulator, rendered once at the edge."""

    def __init__(
        self,
        code: int,
        details: str | None = None,
        *,
        http_status: int | None = None,
        with_error_data: bool | None = None,
    ) -> None:
        spec = CATALOGUE[code]
        self.code = code
        self.title = spec.title
        self.details = details or spec.details
        self.http_status = http_status or spec.http_status
        # Token errors (190) carry no error_data at Meta (contract §7.1).
        self.with_error_data = code != 190 if with_error_data is None else with_error_data
        super().__init__(f"(#{code}) {self.title}: {self.details}")

    def envelope(self) -> dict[str, Any]:
        """The synchronous §7.1 body: ``{"error": {...}}``."""
        error: dict[str, Any] = {
            "message": f"(#{self.code}) {self.title}",
            "type": "OAuthException",
            "code": self.code,
        }
        if self.with_error_data:
            error["error_data"] = {"messaging_product": "whatsapp", "details": self.details}
        error["fbtrace_id"] = fbtrace_id()
        return {"error": error}

    def webhook_error(self) -> dict[str, Any]:
        """The §3.2 object used in ``statuses[].errors`` and ``value.errors``."""
        return webhook_error(self.code, self.details)


def webhook_error(code: int, details: str | None = None) -> dict[str, Any]:
    """``{"code","title","message","error_data":{"details"},"href"}`` (title == message)."""
    spec = CATALOGUE[code]
    return {
        "code": code,
        "title": spec.title,
        "message": spec.title,
        "error_data": {"details": details or spec.details},
        "href": ERROR_HREF,
    }


def required(path: str) -> GraphError:
    """131008 for a missing field, naming it the way Meta does."""
    return GraphError(131008, f"The parameter {path} is required.")


def invalid(details: str, code: int = 131009) -> GraphError:
    """131009 (or another code) for a present but unacceptable value."""
    return GraphError(code, details)
