"""What the async provider clients (Wappbíz, Wompi, Mercado Pago, Hi.Events) share.

Each of them funnels its calls through one retry loop of the same shape: send, turn a
network error or timeout into a retryable :class:`~bot.errors.ProviderUnavailable`,
map an error answer to the provider's typed error, stop on what a retry cannot fix
or on the last attempt, otherwise log and sleep a full-jitter exponential backoff.
They also own (or are given) an ``httpx.AsyncClient`` with the same timeout shape.
Writing that once keeps the four clients from drifting apart; what really differs
per provider stays in each client: its headers and auth, its error mapping, its
backoff tweaks (Retry-After floors, pair-rate limits) and what its logs name.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar

import httpx

from bot.errors import ProviderError, ProviderUnavailable
from bot.logging import event

Sleep = Callable[[float], Awaitable[None]]


def http_timeout(timeout_s: float) -> httpx.Timeout:
    """``timeout_s`` for the whole call, connecting in at most 5 s of it."""
    return httpx.Timeout(timeout_s, connect=min(timeout_s, 5.0))


def full_jitter(attempt: int, base_s: float, cap_s: float) -> float:
    """Full jitter: uniform in ``[0, min(cap, base · 2^(attempt-1))]``."""
    return random.uniform(0, min(cap_s, base_s * 2 ** (attempt - 1)))


def retry_after_s(value: str | None, *, http_date: bool = True) -> float | None:
    """A ``Retry-After`` header in seconds (never negative), or None when absent or bad.

    RFC 9110 allows delta-seconds or an HTTP date; ``http_date=False`` reads only the
    former, for clients that never honoured dates.
    """
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    if not http_date:
        return None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return max(0.0, (moment - datetime.now(timezone.utc)).total_seconds())


def json_or_none(response: httpx.Response) -> dict[str, Any] | None:
    """The answer's JSON object; None when the body is not JSON or not an object."""
    try:
        data = response.json()
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


class RetryingClient:
    """Base of the provider clients: the owned-or-injected HTTP client and the retry loop.

    Subclasses set :attr:`provider`, :attr:`retry_event` and ``_log``, and may
    override :meth:`_backoff`; their ``_request`` builds the call and hands it to
    :meth:`_send_with_retries`.
    """

    #: Name in error messages: ``cannot reach <provider>: ConnectError``.
    provider: ClassVar[str]
    #: Log action of each retry, e.g. ``wompi.retry``.
    retry_event: ClassVar[str]
    #: The subclass module's logger, so its records keep their logger name.
    _log: ClassVar[logging.Logger]
    #: Whether retry logs carry the provider's error code (``code=``).
    log_error_code: ClassVar[bool] = False

    def __init__(
        self,
        *,
        http: httpx.AsyncClient | None,
        timeout_s: float,
        max_attempts: int,
        backoff_base_s: float,
        backoff_cap_s: float,
        sleep: Sleep,
        max_connections: int = 50,
        max_keepalive_connections: int = 20,
        trust_env: bool = True,
    ) -> None:
        self._owns_http = http is None
        self._http = http or httpx.AsyncClient(
            timeout=http_timeout(timeout_s),
            limits=httpx.Limits(
                max_connections=max_connections,
                max_keepalive_connections=max_keepalive_connections,
            ),
            trust_env=trust_env,
        )
        self.max_attempts = max(1, max_attempts)
        self.backoff_base_s = backoff_base_s
        self.backoff_cap_s = backoff_cap_s
        self._sleep = sleep

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    def _backoff(
        self, attempt: int, error: ProviderError, response: httpx.Response | None
    ) -> float | None:
        """Seconds to wait before the next attempt; None gives up at once.

        ``response`` is the error answer, or None after a network error or timeout.
        """
        return full_jitter(attempt, self.backoff_base_s, self.backoff_cap_s)

    async def _send_with_retries(
        self,
        send: Callable[[], Awaitable[httpx.Response]],
        *,
        error_from: Callable[[httpx.Response], ProviderError],
        target: str,
        log_fields: Mapping[str, Any],
        attempts: int | None = None,
    ) -> tuple[httpx.Response, int]:
        """Call ``send`` until it answers below 400; returns that answer and its attempt.

        ``target`` names the call in timeout messages (``timeout calling Wompi GET /x``),
        ``log_fields`` lead each retry log line; the last error is raised.
        """
        max_attempts = attempts or self.max_attempts
        for attempt in range(1, max_attempts + 1):
            response: httpx.Response | None = None
            last: ProviderError
            try:
                response = await send()
            except httpx.TimeoutException as exc:
                last = ProviderUnavailable(f"timeout calling {self.provider} {target}")
                last.__cause__ = exc
            except httpx.TransportError as exc:
                last = ProviderUnavailable(f"cannot reach {self.provider}: {type(exc).__name__}")
                last.__cause__ = exc
            else:
                if response.status_code < 400:
                    return response, attempt
                last = error_from(response)
            if not last.retryable or attempt == max_attempts:
                raise last
            delay = self._backoff(attempt, last, response)
            if delay is None:
                raise last
            fields: dict[str, Any] = {**log_fields, "attempt": attempt}
            if self.log_error_code:
                fields["code"] = last.code
            event(
                self._log,
                self.retry_event,
                logging.WARNING,
                **fields,
                http=last.http_status,
                delay_s=round(delay, 3),
            )
            await self._sleep(delay)
        raise AssertionError("unreachable: the last attempt returns or raises")
