"""The official ``mercadopago`` SDK pointed at any base URL (the sandbox emulator).

The SDK has no public base-URL option (contract §2: ``Config`` keeps
``https://api.mercadopago.com`` in a private class attribute), so option (a) of the
contract is used: an ``HttpClient`` subclass rewrites the prefix in ``request()``, the
one method ``get/post/put/delete`` all funnel into. No monkeypatching, nothing global.

The SDK is synchronous (``requests``): for scripts, the CLI and tests that prove the
emulator speaks the real dialect — never for the bot's request path, which uses
:class:`bot.clients.mercadopago.MercadoPagoClient`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import mercadopago
from mercadopago.config import RequestOptions
from mercadopago.http import HttpClient

from bot.clients.mercadopago import MP_API_BASE
from bot.settings import Settings

_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


class EmulatorHttpClient(HttpClient):
    """Sends the SDK's requests to ``base_url`` instead of ``https://api.mercadopago.com``."""

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self.base_url = base_url.rstrip("/")
        # A developer's HTTP(S)_PROXY must not swallow calls to the local sandbox.
        self._no_proxy = urlsplit(self.base_url).hostname in _LOOPBACK

    def request(
        self,
        method: str,
        url: str,
        maxretries: int | None = None,
        retry_on: list[int] | None = None,
        backoff_factor: float | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        if url.startswith(MP_API_BASE):
            url = self.base_url + url[len(MP_API_BASE) :]
        if self._no_proxy:
            kwargs.setdefault("proxies", {"http": None, "https": None})
        result: dict[str, Any] = super().request(
            method,
            url,
            maxretries=maxretries,
            retry_on=retry_on,
            backoff_factor=backoff_factor,
            **kwargs,
        )
        return result


def sdk_for(settings: Settings, request_options: RequestOptions | None = None) -> mercadopago.SDK:
    """The official SDK with the configured token, talking to ``settings.mercadopago_url``."""
    return mercadopago.SDK(
        settings.secret("mercadopago_access_token"),
        http_client=EmulatorHttpClient(settings.mercadopago_url),
        request_options=request_options,
    )
