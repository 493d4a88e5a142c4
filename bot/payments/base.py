"""The interface every payment gateway adapter implements.

Amounts cross this boundary as whole Colombian pesos (``int``): COP has no cents in
practice, Wompi speaks centavos and Mercado Pago decimals, and each adapter converts
at its own edge so the domain never mixes units.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from bot.errors import ProviderError

#: The outcome vocabulary of the domain; adapters map provider statuses onto it.
PaymentStatus = Literal["pending", "approved", "declined", "error", "voided", "refunded"]


class InvalidWebhookSignature(ProviderError):
    """The webhook's checksum or signature does not match: refuse it (HTTP 401)."""


class IgnoredWebhook(ProviderError):
    """A well-signed notification the domain does not act on (other event types)."""


@dataclass(frozen=True)
class PaymentLink:
    """What the buyer gets as a button; ``link_id`` and ``reference`` join webhooks back."""

    provider: str
    link_id: str
    url: str
    reference: str
    amount_cop: int
    expires_at: dt.datetime | None = None


@dataclass(frozen=True)
class PaymentUpdate:
    """A provider's statement about one transaction, already verified.

    ``transaction_id`` + ``status`` is the de-duplication key: providers deliver at
    least once and a declined attempt may be followed by an approved one under the
    same link or reference.
    """

    provider: str
    transaction_id: str
    status: PaymentStatus
    amount_cop: int
    currency: str
    reference: str | None = None
    link_id: str | None = None
    method: str | None = None
    status_detail: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict)


class PaymentGateway(Protocol):
    """A payment provider as the ticketing domain needs it."""

    name: str

    async def create_link(
        self,
        *,
        reference: str,
        amount_cop: int,
        description: str,
        buyer_email: str | None,
        expires_at: dt.datetime | None,
        redirect_url: str | None = None,
    ) -> PaymentLink:
        """Create a single-use payment link for exactly ``amount_cop`` pesos."""
        ...

    async def parse_webhook(
        self, headers: Mapping[str, str], query: Mapping[str, str], raw_body: bytes
    ) -> PaymentUpdate:
        """Verify a webhook over its raw bytes and return the update it announces.

        Raises :class:`InvalidWebhookSignature` for a bad checksum/signature and
        :class:`IgnoredWebhook` for notifications that carry no payment outcome. A
        provider whose webhook only names the payment (Mercado Pago) fetches it here.
        """
        ...

    async def fetch(self, transaction_id: str) -> PaymentUpdate:
        """Ask the provider for the current state of one transaction."""
        ...

    async def deactivate_link(self, link_id: str) -> None:
        """Stop a link from taking payments (expired reservation); no-op if unsupported."""
        ...

    async def aclose(self) -> None: ...
