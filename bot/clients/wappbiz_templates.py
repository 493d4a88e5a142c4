"""Template management on Wappbíz (WhatsApp Business Management API, contract §6).

A subclass of :class:`~bot.clients.wappbiz.WappbizClient`, so every call goes through
the same funnel (bearer token, typed errors from ``bot.errors``, retries of 429/5xx/
timeouts with full jitter); it adds the WABA id the management paths hang from.

A ``create`` retried after a timeout may find the template already created by the
first try; Wappbíz then answers code 100 ("already exists"), which the sync handles by
listing the template instead (:mod:`bot.templates.sync`).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import httpx

from bot.clients.retrying import Sleep
from bot.clients.wappbiz import WappbizClient
from bot.errors import ProviderError
from bot.settings import Settings

__all__ = ["CreatedTemplate", "RemoteTemplate", "WappbizTemplatesClient"]

#: Fields asked for when listing: enough to compare content and report the review.
LIST_FIELDS = ("id", "name", "language", "status", "category", "components", "rejected_reason")


@dataclass(frozen=True)
class RemoteTemplate:
    """A template as Wappbíz lists it."""

    id: str
    name: str
    language: str
    status: str
    category: str
    components: list[dict[str, Any]] = field(default_factory=list)
    rejected_reason: str | None = None

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> RemoteTemplate:
        reason = data.get("rejected_reason")
        return cls(
            id=str(data["id"]),
            name=str(data.get("name", "")),
            language=str(data.get("language", "")),
            status=str(data.get("status", "")).upper(),
            category=str(data.get("category", "")).upper(),
            components=list(data.get("components") or []),
            rejected_reason=None if reason in (None, "", "NONE") else str(reason),
        )


@dataclass(frozen=True)
class CreatedTemplate:
    """``POST /{waba_id}/message_templates`` answer: ``{"id","status","category"}``."""

    id: str
    status: str
    category: str


class WappbizTemplatesClient(WappbizClient):
    """Create, list, read, edit and delete message templates of one WABA."""

    retry_event = "wappbiz.templates.retry"

    def __init__(
        self,
        *,
        graph_url: str,
        access_token: str,
        waba_id: str,
        phone_number_id: str = "",
        http: httpx.AsyncClient | None = None,
        timeout_s: float = 10.0,
        max_attempts: int = 5,
        backoff_base_s: float = 0.5,
        backoff_cap_s: float = 20.0,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        super().__init__(
            graph_url=graph_url,
            access_token=access_token,
            phone_number_id=phone_number_id,
            http=http,
            timeout_s=timeout_s,
            max_attempts=max_attempts,
            backoff_base_s=backoff_base_s,
            backoff_cap_s=backoff_cap_s,
            sleep=sleep,
        )
        self.waba_id = waba_id

    @classmethod
    def from_settings(
        cls, settings: Settings, http: httpx.AsyncClient | None = None
    ) -> WappbizTemplatesClient:
        return cls(
            graph_url=settings.wappbiz_graph_url,
            access_token=settings.secret("wappbiz_access_token"),
            waba_id=settings.wappbiz_waba_id,
            phone_number_id=settings.wappbiz_phone_number_id,
            http=http,
            timeout_s=settings.wappbiz_timeout_s,
            max_attempts=settings.wappbiz_max_attempts,
            backoff_base_s=settings.wappbiz_backoff_base_s,
        )

    async def list_templates(
        self,
        *,
        name: str | None = None,
        status: str | None = None,
        language: str | None = None,
        page_size: int = 100,
    ) -> list[RemoteTemplate]:
        """Every template matching the filters, following the ``after`` cursor to the end."""
        params: dict[str, Any] = {"fields": ",".join(LIST_FIELDS), "limit": page_size}
        for key, value in (("name", name), ("status", status), ("language", language)):
            if value is not None:
                params[key] = value
        found: list[RemoteTemplate] = []
        seen_cursors: set[str] = set()
        while True:
            data, _ = await self._request(
                "GET", f"/{self.waba_id}/message_templates", params=params
            )
            try:
                found.extend(RemoteTemplate.from_api(item) for item in data.get("data") or [])
            except (KeyError, TypeError, AttributeError) as exc:
                raise ProviderError("template list without ids", raw=data) from exc
            paging = data.get("paging") or {}
            after = (paging.get("cursors") or {}).get("after")
            if not paging.get("next") or not after or after in seen_cursors:
                return found
            seen_cursors.add(after)
            params["after"] = after

    async def get_template(self, template_id: str) -> RemoteTemplate:
        data, _ = await self._request(
            "GET", f"/{template_id}", params={"fields": ",".join(LIST_FIELDS)}
        )
        return RemoteTemplate.from_api(data)

    async def create_template(self, payload: dict[str, Any]) -> CreatedTemplate:
        """Submit a new template (``name``, ``language``, ``category``, ``components``)."""
        data, _ = await self._request("POST", f"/{self.waba_id}/message_templates", json=payload)
        try:
            return CreatedTemplate(
                id=str(data["id"]),
                status=str(data.get("status") or "PENDING").upper(),
                category=str(data.get("category") or payload.get("category", "")).upper(),
            )
        except KeyError as exc:
            raise ProviderError("template create answered without an id", raw=data) from exc

    async def edit_template(
        self,
        template_id: str,
        components: list[dict[str, Any]],
        *,
        category: str | None = None,
    ) -> None:
        """``POST /{template_id}`` with new components: the template goes back to review."""
        body: dict[str, Any] = {"components": components}
        if category is not None:
            body["category"] = category
        await self._request("POST", f"/{template_id}", json=body)

    async def delete_template(self, name: str, *, template_id: str | None = None) -> None:
        """Delete every language of ``name``, or only the one with ``template_id``."""
        params = {"name": name}
        if template_id is not None:
            params["hsm_id"] = template_id
        await self._request("DELETE", f"/{self.waba_id}/message_templates", params=params)
