"""Async client of the Wappbíz (WhatsApp Cloud API compatible) send API.

All calls go through :meth:`WappbizClient._request`, the single funnel that adds
the bearer token, maps error envelopes to typed errors (``bot.errors``) and
retries what a retry can fix (429, throughput and pair limits, 5xx, timeouts)
with exponential backoff and full jitter. Anything else is raised at once.
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass
from typing import Any

import httpx

from bot.clients.retrying import RetryingClient, Sleep, json_or_none
from bot.errors import ProviderError, WhatsAppError, whatsapp_error_from
from bot.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SendResult:
    wamid: str
    attempts: int
    message_status: str | None = None


class WappbizClient(RetryingClient):
    """One instance per process; the ``httpx.AsyncClient`` is injected or owned."""

    provider = "Wappbíz"
    retry_event = "wappbiz.retry"
    _log = log
    log_error_code = True

    def __init__(
        self,
        *,
        graph_url: str,
        access_token: str,
        phone_number_id: str,
        http: httpx.AsyncClient | None = None,
        timeout_s: float = 10.0,
        max_attempts: int = 5,
        backoff_base_s: float = 0.5,
        backoff_cap_s: float = 20.0,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.graph_url = graph_url.rstrip("/")
        self.phone_number_id = phone_number_id
        self._token = access_token
        super().__init__(
            http=http,
            timeout_s=timeout_s,
            max_attempts=max_attempts,
            backoff_base_s=backoff_base_s,
            backoff_cap_s=backoff_cap_s,
            sleep=sleep,
            max_connections=100,
            max_keepalive_connections=50,
        )

    @classmethod
    def from_settings(
        cls, settings: Settings, http: httpx.AsyncClient | None = None
    ) -> WappbizClient:
        return cls(
            graph_url=settings.wappbiz_graph_url,
            access_token=settings.secret("wappbiz_access_token"),
            phone_number_id=settings.wappbiz_phone_number_id,
            http=http,
            timeout_s=settings.wappbiz_timeout_s,
            max_attempts=settings.wappbiz_max_attempts,
            backoff_base_s=settings.wappbiz_backoff_base_s,
        )

    # --- public calls ---------------------------------------------------------
    async def send(self, payload: dict[str, Any]) -> SendResult:
        """POST one message body (``type`` + its object); returns the provider's wamid."""
        body = {"messaging_product": "whatsapp", "recipient_type": "individual", **payload}
        data, attempts = await self._request("POST", f"/{self.phone_number_id}/messages", json=body)
        try:
            message = data["messages"][0]
            return SendResult(message["id"], attempts, message.get("message_status"))
        except (KeyError, IndexError, TypeError) as exc:
            raise ProviderError("send answered 200 without a message id", raw=data) from exc

    async def mark_read(self, wamid: str, *, typing: bool = False) -> None:
        body: dict[str, Any] = {
            "messaging_product": "whatsapp",
            "status": "read",
            "message_id": wamid,
        }
        if typing:
            body["typing_indicator"] = {"type": "text"}
        await self._request("POST", f"/{self.phone_number_id}/messages", json=body, attempts=2)

    async def upload_media(self, content: bytes, mime_type: str, filename: str) -> str:
        files = {"file": (filename, content, mime_type)}
        form = {"messaging_product": "whatsapp", "type": mime_type}
        data, _ = await self._request(
            "POST", f"/{self.phone_number_id}/media", files=files, data=form
        )
        return str(data["id"])

    async def media_info(self, media_id: str) -> dict[str, Any]:
        data, _ = await self._request("GET", f"/{media_id}")
        return data

    async def download_media(self, media_id: str) -> tuple[bytes, str]:
        """Fetch inbound media bytes: resolve the short-lived URL, then GET it with the token."""
        info = await self.media_info(media_id)
        response = await self._http.get(info["url"], headers=self._headers(), follow_redirects=True)
        if response.status_code >= 400:
            raise whatsapp_error_from(response.status_code, json_or_none(response))
        return response.content, str(info.get("mime_type", "application/octet-stream"))

    # --- the funnel -----------------------------------------------------------
    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token}"}

    async def _request(
        self, method: str, path: str, *, attempts: int | None = None, **kwargs: Any
    ) -> tuple[dict[str, Any], int]:
        url = self.graph_url + path
        response, attempt = await self._send_with_retries(
            lambda: self._http.request(method, url, headers=self._headers(), **kwargs),
            error_from=lambda answer: whatsapp_error_from(answer.status_code, json_or_none(answer)),
            target=path,
            log_fields={"path": path.split("/")[-1]},
            attempts=attempts,
        )
        return json_or_none(response) or {}, attempt

    def _backoff(
        self, attempt: int, error: ProviderError, response: httpx.Response | None = None
    ) -> float:
        """Full-jitter exponential backoff; pair-rate limits wait longer (4^n s per Meta)."""
        base = self.backoff_base_s * (2 ** (attempt - 1))
        if isinstance(error, WhatsAppError) and error.code == 131056:
            base = max(base, self.backoff_base_s * (4**attempt))
        return random.uniform(base / 2, min(self.backoff_cap_s, base))
