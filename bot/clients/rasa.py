"""Async client of the Rasa server's HTTP API (``rasa run --enable-api --auth-token``).

Used by the action server's admin API to resume a conversation the bot paused for a
hand-off. Rasa reads its token from the query string (``?token=``; see
``../shared/contracts/rasa36.md`` §2), so URLs built here are never logged.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx

from bot.errors import ProviderError, ProviderUnavailable
from bot.logging import event, mask_phone

log = logging.getLogger(__name__)

__all__ = ["RasaClient"]


class RasaClient:
    """One per process; the ``httpx.AsyncClient`` is injected (tests) or owned."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        http: httpx.AsyncClient | None = None,
        timeout_s: float = 10.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._token = token
        self._owns_http = http is None
        self._http = http or httpx.AsyncClient(timeout=timeout_s)

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def resume(self, conversation_id: str) -> None:
        """Append Rasa's ``resume`` event: the bot answers this conversation again.

        Resuming a conversation that is not paused is harmless (Rasa only flips a flag),
        which makes a retried release safe.
        """
        await self._append_events(conversation_id, [{"event": "resume"}])
        event(log, "rasa.resumed", conversation=mask_phone(conversation_id))

    async def _append_events(self, conversation_id: str, events: list[dict[str, Any]]) -> None:
        """The single funnel: network errors and 5xx are retryable, anything else is not."""
        url = f"{self.base_url}/conversations/{conversation_id}/tracker/events"
        try:
            response = await self._http.post(url, params={"token": self._token}, json=events)
        except httpx.HTTPError as exc:
            raise ProviderUnavailable(f"Rasa not reachable: {type(exc).__name__}") from None
        if response.status_code >= 500:
            raise ProviderUnavailable("Rasa failed", http_status=response.status_code)
        if response.status_code >= 400:
            raise ProviderError("Rasa refused the request", http_status=response.status_code)
