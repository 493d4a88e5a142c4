"""Domain records of the Hi.Events emulator, identifiers and wire formats.

The records are plain mutable dataclasses kept in dicts by the emulator: the
emulator runs in one event loop and every mutation happens between awaits, so no
locking is needed. Serialisation lives in :mod:`.resources`, keeping these free
of presentation details.

Identifier and date formats follow the contract (§1): numeric ``id``s, ``short_id`` =
prefix + 13 alphanumerics, ``public_id`` = upper-case prefix + 7 characters, event
dates as ``2026-04-01T01:00:00.000000Z`` and uncast timestamps as
``YYYY-MM-DD HH:MM:SS`` (UTC).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import string
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

UTC = timezone.utc
_ALNUM = string.ascii_letters + string.digits
_UPPER_ALNUM = string.ascii_uppercase + string.digits


# --- identifiers (Helper/IdHelper.php) -------------------------------------------------
def short_id(prefix: str) -> str:
    """``o_`` / ``a_`` / ``e_`` / ``cil_`` / ``ci_`` + 13 random alphanumerics."""
    return f"{prefix}_" + "".join(secrets.choice(_ALNUM) for _ in range(13))


def public_id(prefix: str) -> str:
    """``O-AB12CD3`` / ``A-XY98ZT1``: ``Str::upper(Str::random(7))`` after the prefix."""
    return f"{prefix.upper()}-" + "".join(secrets.choice(_UPPER_ALNUM) for _ in range(7))


def webhook_secret() -> str:
    """32 random characters, as ``CreateWebhookService`` generates."""
    return "".join(secrets.choice(_ALNUM) for _ in range(32))


# --- dates -------------------------------------------------------------------------------
def utcnow() -> datetime:
    return datetime.now(UTC)


def iso_z(moment: datetime | None) -> str | None:
    """Cast dates (event dates, ``created_at``): ``2026-12-12T01:00:00.000000Z``."""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def raw_utc(moment: datetime | None) -> str | None:
    """Uncast timestamps (``reserved_until``, ``sale_start_date``): ``2026-12-12 01:00:00``."""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def iso_offset(moment: datetime) -> str:
    """Carbon's ``toIso8601String()``: ``2026-12-12T01:00:00+00:00`` (webhook ``event_sent_at``)."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def money(value: Decimal) -> float:
    """``numeric(14,2)`` in major units, sent as a JSON number (COP ``85000.0``)."""
    return float(value.quantize(Decimal("0.01")))


# --- PHP json_encode -------------------------------------------------------------------------
def php_json(value: Any) -> bytes:
    """Bytes as PHP ``json_encode`` writes them: ``\\/`` for ``/`` and ``\\uXXXX`` for non-ASCII.

    ``/`` never appears outside strings in JSON, so escaping it in the text is exact.
    Hi.Events signs these very bytes; receivers must verify them, not a re-encoding.
    """
    text = json.dumps(value, ensure_ascii=True, separators=(",", ":"))
    return text.replace("/", "\\/").encode("ascii")


# --- JWT (HS256, php-open-source-saver/jwt-auth) --------------------------------------------
def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def jwt_encode(claims: dict[str, Any], key: str) -> str:
    header = _b64url(json.dumps({"typ": "JWT", "alg": "HS256"}, separators=(",", ":")).encode())
    payload = _b64url(json.dumps(claims, separators=(",", ":")).encode())
    signing_input = f"{header}.{payload}".encode("ascii")
    signature = hmac.new(key.encode(), signing_input, hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64url(signature)}"


def jwt_decode(token: str, key: str) -> dict[str, Any] | None:
    """Claims of a well-signed HS256 token (expiry is the caller's business), else None."""
    try:
        header_b64, payload_b64, signature_b64 = token.split(".")
        header = json.loads(_b64url_decode(header_b64))
        if header.get("alg") != "HS256":  # never "none", never another algorithm
            return None
        expected = hmac.new(
            key.encode(), f"{header_b64}.{payload_b64}".encode("ascii"), hashlib.sha256
        ).digest()
        if not hmac.compare_digest(expected, _b64url_decode(signature_b64)):
            return None
        claims = json.loads(_b64url_decode(payload_b64))
    except (ValueError, TypeError, UnicodeDecodeError):
        return None
    return claims if isinstance(claims, dict) else None


# --- records -----------------------------------------------------------------------------------
@dataclass
class Organizer:
    id: int
    account_id: int
    name: str
    email: str
    currency: str
    timezone: str
    description: str = ""
    website: str = ""


@dataclass
class Price:
    id: int
    product_id: int
    label: str | None
    price: Decimal
    #: None = unlimited.
    initial_quantity_available: int | None
    quantity_sold: int = 0
    is_hidden: bool = False
    sale_start_date: datetime | None = None
    sale_end_date: datetime | None = None


@dataclass
class Product:
    id: int
    event_id: int
    product_category_id: int
    title: str
    description: str
    prices: list[Price]
    order: int = 1
    type: str = "PAID"  # ProductPriceType
    product_type: str = "TICKET"
    max_per_order: int | None = 10
    min_per_order: int | None = 1
    show_quantity_remaining: bool = True
    is_hidden: bool = False
    is_highlighted: bool = False
    highlight_message: str | None = None
    status: str = "ACTIVE"
    sale_start_date: datetime | None = None
    sale_end_date: datetime | None = None


@dataclass
class ProductCategory:
    id: int
    event_id: int
    name: str
    description: str | None
    order: int
    products: list[Product]
    is_hidden: bool = False
    no_products_message: str = "No hay entradas disponibles / No tickets available"


@dataclass
class Event:
    id: int
    short_id: str
    account_id: int
    organizer_id: int
    title: str
    slug: str
    description: str
    category: str
    start_date: datetime
    end_date: datetime
    currency: str
    timezone: str
    status: str
    location_details: dict[str, Any]
    settings: dict[str, Any]
    attributes: list[dict[str, Any]]
    product_categories: list[ProductCategory]
    created_at: datetime
    updated_at: datetime

    @property
    def products(self) -> list[Product]:
        return [p for category in self.product_categories for p in category.products]


@dataclass
class OrderItem:
    id: int
    order_id: int
    product_id: int
    product_price_id: int
    item_name: str
    quantity: int
    price: Decimal

    @property
    def total(self) -> Decimal:
        return self.price * self.quantity


@dataclass
class Order:
    id: int
    short_id: str
    public_id: str
    event_id: int
    session_id: str
    currency: str
    items: list[OrderItem]
    reserved_until: datetime
    created_at: datetime
    updated_at: datetime
    status: str = "RESERVED"
    payment_status: str | None = None
    refund_status: str | None = None
    payment_provider: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    notes: str | None = None
    locale: str = "es"
    is_manually_created: bool = False
    #: Product quantities added to ``quantity_sold`` (offline transition, free completion).
    quantities_committed: bool = False
    attendee_ids: list[int] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((item.total for item in self.items), Decimal("0"))

    def is_expired(self, now: datetime) -> bool:
        return self.status == "RESERVED" and self.reserved_until <= now


@dataclass
class Attendee:
    id: int
    short_id: str
    public_id: str
    order_id: int
    event_id: int
    product_id: int
    product_price_id: int
    status: str
    first_name: str
    last_name: str
    email: str
    created_at: datetime
    updated_at: datetime
    locale: str = "es"
    notes: str | None = None

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


@dataclass
class CheckInList:
    id: int
    short_id: str
    event_id: int
    name: str
    description: str | None
    product_ids: list[int]
    created_at: datetime
    activates_at: datetime | None = None
    expires_at: datetime | None = None


@dataclass
class CheckIn:
    id: int
    short_id: str
    check_in_list_id: int
    attendee_id: int
    order_id: int
    product_id: int
    event_id: int
    created_at: datetime
    ip_address: str | None = None


@dataclass
class Webhook:
    id: int
    account_id: int
    url: str
    event_types: list[str]
    status: str
    secret: str
    created_at: datetime
    organizer_id: int | None = None
    event_id: int | None = None
    last_triggered_at: datetime | None = None
    last_response_code: int | None = None
    last_response_body: str | None = None


@dataclass
class WebhookLog:
    id: int
    webhook_id: int
    event_type: str
    payload: str
    created_at: datetime
    response_code: int | None = None
    response_body: str | None = None
