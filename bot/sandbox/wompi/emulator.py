"""The behaviour of the Wompi sandbox: links, checkout payments, transactions, events.

State lives in memory inside the sandbox's event loop (no locks needed: every change
happens between awaits). The HTTP faces (``api.py``, ``checkout.py``, ``control.py``)
only translate requests; the rules are here so the hosted page, the sandbox route and
tests all take the same code path.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import hmac
import json
import logging
import secrets
import string
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from bot.logging import event as log_event
from bot.sandbox.wompi.config import RUNTIME_TUNABLE, WompiConfig
from bot.sandbox.wompi.events import Delivery, EventSender, build_event, iso_utc
from bot.sandbox.wompi.validation import (
    PSE_BANKS,
    STATUS_MESSAGES,
    InputErrors,
    validate_link,
    validate_payment,
)

log = logging.getLogger(__name__)

_ID_ALPHABET = string.ascii_letters + string.digits
_BOGOTA = dt.timezone(dt.timedelta(hours=-5))
FAULT_STATUSES = frozenset(range(400, 600))


class WompiApiError(Exception):
    """An answer in Wompi's error envelope: ``{"error": {"type", "reason"|"messages"}}``."""

    def __init__(
        self,
        status: int,
        error_type: str,
        *,
        reason: str | None = None,
        messages: dict[str, list[str]] | None = None,
    ) -> None:
        super().__init__(reason or error_type)
        self.status = status
        self.error_type = error_type
        self.reason = reason
        self.messages = messages

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"type": self.error_type}
        if self.messages is not None:
            error["messages"] = self.messages
        else:
            error["reason"] = self.reason or self.error_type
        return {"error": error}

    @classmethod
    def validation(cls, messages: dict[str, list[str]]) -> WompiApiError:
        return cls(422, "INPUT_VALIDATION_ERROR", messages=messages)

    @classmethod
    def not_found(cls, what: str) -> WompiApiError:
        return cls(404, "NOT_FOUND_ERROR", reason=f"La entidad solicitada no existe: {what}")


@dataclass
class Link:
    id: str
    name: str
    description: str
    single_use: bool
    collect_shipping: bool
    collect_customer_legal_id: bool
    currency: str
    amount_in_cents: int | None
    expires_at: dt.datetime | None
    redirect_url: str | None
    image_url: str | None
    sku: str | None
    customer_data: dict[str, Any] | None
    taxes: list[dict[str, Any]]
    created_at: float
    active: bool = True

    def to_api(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "single_use": self.single_use,
            "collect_shipping": self.collect_shipping,
            "collect_customer_legal_id": self.collect_customer_legal_id,
            "currency": self.currency,
            "amount_in_cents": self.amount_in_cents,
            "expires_at": iso_utc(self.expires_at.timestamp()) if self.expires_at else None,
            "redirect_url": self.redirect_url,
            "image_url": self.image_url,
            "sku": self.sku,
            "customer_data": self.customer_data,
            "taxes": self.taxes,
            "active": self.active,
            "created_at": iso_utc(self.created_at),
        }


@dataclass
class Transaction:
    id: str
    reference: str
    amount_in_cents: int
    currency: str
    customer_email: str
    payment_method_type: str
    payment_method: dict[str, Any]
    created_at: float
    outcome: str
    payment_link_id: str | None = None
    redirect_url: str | None = None
    customer_data: dict[str, Any] = field(default_factory=dict)
    status: str = "PENDING"
    status_message: str | None = None
    finalized_at: float | None = None
    shipping_address: dict[str, Any] | None = None
    payment_source_id: int | None = None

    def to_api(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "created_at": iso_utc(self.created_at),
            "finalized_at": iso_utc(self.finalized_at) if self.finalized_at else None,
            "amount_in_cents": self.amount_in_cents,
            "reference": self.reference,
            "customer_email": self.customer_email,
            "currency": self.currency,
            "payment_method_type": self.payment_method_type,
            "payment_method": self.payment_method,
            "status": self.status,
            "status_message": self.status_message,
            "billing_data": None,
            "shipping_address": self.shipping_address,
            "redirect_url": self.redirect_url,
            "payment_source_id": self.payment_source_id,
            "payment_link_id": self.payment_link_id,
            "customer_data": self.customer_data,
            "bill_id": None,
            "taxes": [],
            "tip_in_cents": None,
        }


@dataclass
class Fault:
    """The next ``remaining`` API calls whose path contains ``path_contains`` fail."""

    status: int | Literal["timeout"]
    remaining: int
    path_contains: str | None = None
    method: str | None = None

    def matches(self, method: str, path: str) -> bool:
        return (self.path_contains is None or self.path_contains in path) and (
            self.method is None or self.method == method.upper()
        )

    def to_api(self) -> dict[str, Any]:
        return dict(self.__dict__)


class WompiEmulator:
    """One merchant account in the ``test`` environment."""

    def __init__(self, config: WompiConfig) -> None:
        self.config = config
        self.links: dict[str, Link] = {}
        self.transactions: dict[str, Transaction] = {}
        self.events = EventSender(config.max_deliveries)
        self.faults: list[Fault] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        self._settled: dict[str, asyncio.Event] = {}

    # --- lifecycle --------------------------------------------------------------
    async def close(self) -> None:
        await self._cancel_tasks()
        await self.events.close()

    async def reset(self) -> None:
        """Forget links, transactions, deliveries and faults (tests)."""
        await self._cancel_tasks()
        self.links.clear()
        self.transactions.clear()
        self.events.clear()
        self.faults.clear()
        self._settled.clear()

    async def _cancel_tasks(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()

    def _spawn(self, coro: Any) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def tune(self, changes: Mapping[str, Any]) -> dict[str, Any]:
        unknown = set(changes) - RUNTIME_TUNABLE
        if unknown:
            raise WompiApiError.validation({k: ["no se puede cambiar"] for k in sorted(unknown)})
        delays = changes.get("webhook_retry_delays_s")
        if delays is not None and (
            not isinstance(delays, list)
            or not all(isinstance(d, int | float) and d >= 0 for d in delays)
        ):
            raise WompiApiError.validation({"webhook_retry_delays_s": ["lista de segundos"]})
        self.config = self.config.replace(**dict(changes))
        return self.config.public_view()

    # --- authentication ---------------------------------------------------------
    def authenticate(self, authorization: str | None, need: Literal["public", "private"]) -> None:
        """Wompi's bearer rules: the right key of this environment, private where needed."""
        scheme, _, key = (authorization or "").partition(" ")
        key = key.strip()
        if scheme.lower() != "bearer" or not key:
            raise WompiApiError(
                401, "INVALID_ACCESS_TOKEN", reason="Se requiere una llave en Authorization: Bearer"
            )
        if "_prod_" in key:
            raise WompiApiError(
                401,
                "INVALID_ACCESS_TOKEN",
                reason="La llave proporcionada no corresponde a este ambiente",
            )
        if hmac.compare_digest(key, self.config.private_key):
            return
        if hmac.compare_digest(key, self.config.public_key):
            if need == "public":
                return
            raise WompiApiError(
                401,
                "INVALID_ACCESS_TOKEN",
                reason="Se esperaba una llave privada pero se recibió una llave pública",
            )
        raise WompiApiError(
            401, "INVALID_ACCESS_TOKEN", reason="La llave proporcionada no es válida"
        )

    # --- faults -----------------------------------------------------------------
    def add_fault(self, body: Mapping[str, Any]) -> list[dict[str, Any]]:
        status = body.get("status", 503)
        if status == "timeout":
            pass
        elif isinstance(status, int) and not isinstance(status, bool) and status in FAULT_STATUSES:
            pass
        else:
            raise WompiApiError.validation({"status": ['un código 400-599 o "timeout"']})
        count = body.get("count", 1)
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            raise WompiApiError.validation({"count": ["entero positivo"]})
        path_contains = body.get("path_contains")
        method = body.get("method")
        if path_contains is not None and not isinstance(path_contains, str):
            raise WompiApiError.validation({"path_contains": ["texto"]})
        if method is not None and not isinstance(method, str):
            raise WompiApiError.validation({"method": ["texto"]})
        self.faults.append(Fault(status, count, path_contains, method.upper() if method else None))
        return [f.to_api() for f in self.faults]

    def take_fault(self, method: str, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.matches(method, path):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self.faults.remove(fault)
                return fault
        return None

    # --- payment links ----------------------------------------------------------
    def create_link(self, body: Any) -> Link:
        now = time.time()
        try:
            fields = validate_link(body, dt.datetime.fromtimestamp(now, tz=dt.timezone.utc))
        except InputErrors as exc:
            raise WompiApiError.validation(exc.messages) from None
        link_id = self._new_id(6, self.links)
        link = Link(id=link_id, created_at=now, **fields)
        self.links[link_id] = link
        log_event(log, "wompi_sandbox.link_created", link=link_id, amount=link.amount_in_cents)
        return link

    def get_link(self, link_id: str) -> Link:
        link = self.links.get(link_id)
        if link is None:
            raise WompiApiError.not_found(f"payment_link {link_id}")
        return link

    def update_link(self, link_id: str, body: Any) -> Link:
        link = self.get_link(link_id)
        if not isinstance(body, dict) or set(body) != {"active"}:
            raise WompiApiError.validation({"active": ['solo se admite {"active": true|false}']})
        if not isinstance(body["active"], bool):
            raise WompiApiError.validation({"active": ['"active" debe ser booleano']})
        link.active = body["active"]
        return link

    def expire_link(self, link_id: str) -> Link:
        """Sandbox only: move ``expires_at`` to now, as if the clock ran out."""
        link = self.get_link(link_id)
        link.expires_at = dt.datetime.now(tz=dt.timezone.utc)
        return link

    def link_transactions(self, link_id: str) -> list[Transaction]:
        return [t for t in self.transactions.values() if t.payment_link_id == link_id]

    def link_refusal(self, link: Link) -> tuple[int, str, str] | None:
        """Why a link cannot take a payment now: ``(http status, type, reason)`` or None."""
        if not link.active:
            return 409, "LINK_INACTIVE", "Este link de pago ya no está activo"
        if link.expires_at is not None and link.expires_at <= dt.datetime.now(tz=dt.timezone.utc):
            return 410, "LINK_EXPIRED", "Este link de pago expiró"
        if link.single_use:
            statuses = {t.status for t in self.link_transactions(link.id)}
            if "APPROVED" in statuses or "VOIDED" in statuses:
                return 409, "LINK_ALREADY_PAID", "Este link de pago ya fue pagado"
            if "PENDING" in statuses:
                return 409, "PAYMENT_IN_PROGRESS", "Hay un pago en curso para este link"
        return None

    # --- checkout payments ------------------------------------------------------
    async def pay(
        self, link_id: str, body: Mapping[str, Any], *, wait: bool = False
    ) -> Transaction:
        """Create the PENDING transaction, settle it after the delay, send the event."""
        link = self.get_link(link_id)
        refusal = self.link_refusal(link)
        if refusal:
            raise WompiApiError(refusal[0], refusal[1], reason=refusal[2])
        now = time.time()
        try:
            payment = validate_payment(
                body,
                link_amount=link.amount_in_cents,
                now=dt.datetime.fromtimestamp(now, tz=dt.timezone.utc),
            )
        except InputErrors as exc:
            raise WompiApiError.validation(exc.messages) from None
        amount = link.amount_in_cents or payment.amount_in_cents or 0
        transaction = Transaction(
            id=self._transaction_id(now),
            reference=f"{link.id}-{int(now * 1000)}-{secrets.randbelow(100_000):05d}",
            amount_in_cents=amount,
            currency=link.currency,
            customer_email=payment.customer_email,
            payment_method_type=payment.method,
            payment_method=payment.payment_method,
            created_at=now,
            outcome=payment.outcome,
            payment_link_id=link.id,
            redirect_url=link.redirect_url,
            customer_data=payment.customer_data,
        )
        self.transactions[transaction.id] = transaction
        settled = asyncio.Event()
        self._settled[transaction.id] = settled
        log_event(
            log,
            "wompi_sandbox.payment",
            link=link.id,
            transaction=transaction.id,
            method=payment.method,
            outcome=payment.outcome,
        )
        if self.config.send_pending_event:
            self.emit(transaction)
        self._spawn(self._settle(transaction, settled))
        if wait:
            await asyncio.wait_for(settled.wait(), timeout=self.config.settle_delay_s + 30)
        return transaction

    async def _settle(self, transaction: Transaction, settled: asyncio.Event) -> None:
        await asyncio.sleep(self.config.settle_delay_s)
        transaction.status = transaction.outcome
        transaction.status_message = STATUS_MESSAGES.get(transaction.outcome)
        transaction.finalized_at = time.time()
        if transaction.payment_method_type == "PSE":
            transaction.payment_method.setdefault("extra", {})["ticket_id"] = transaction.id
        settled.set()
        self.emit(transaction)

    async def wait_settled(self, transaction_id: str, timeout: float) -> Transaction:
        transaction = self.get_transaction(transaction_id)
        settled = self._settled.get(transaction_id)
        if settled is not None and transaction.status == "PENDING":
            await asyncio.wait_for(settled.wait(), timeout=timeout)
        return transaction

    # --- transactions -----------------------------------------------------------
    def get_transaction(self, transaction_id: str) -> Transaction:
        transaction = self.transactions.get(transaction_id)
        if transaction is None:
            raise WompiApiError.not_found(f"transaction {transaction_id}")
        return transaction

    def transactions_by_reference(self, reference: str) -> list[Transaction]:
        found = [t for t in self.transactions.values() if t.reference == reference]
        return sorted(found, key=lambda t: t.created_at)

    def void(self, transaction_id: str) -> Transaction:
        """Cards only, APPROVED only, the same Bogotá calendar day only (contract)."""
        transaction = self.get_transaction(transaction_id)
        problems: list[str] = []
        if transaction.payment_method_type != "CARD":
            problems.append("Solo se pueden anular transacciones con tarjeta")
        if transaction.status != "APPROVED":
            problems.append(f"La transacción está {transaction.status}; solo se anula APPROVED")
        created_day = dt.datetime.fromtimestamp(transaction.created_at, tz=_BOGOTA).date()
        if created_day != dt.datetime.now(tz=_BOGOTA).date():
            problems.append("Solo se puede anular el mismo día de la transacción")
        if problems:
            raise WompiApiError.validation({"transaction": problems})
        transaction.status = "VOIDED"
        transaction.status_message = "Transacción anulada"
        self.emit(transaction)
        return transaction

    # --- merchant ---------------------------------------------------------------
    def merchant(self, public_key: str) -> dict[str, Any]:
        if "_prod_" in public_key:
            raise WompiApiError(
                401,
                "INVALID_ACCESS_TOKEN",
                reason="La llave proporcionada no corresponde a este ambiente",
            )
        if not hmac.compare_digest(public_key, self.config.public_key):
            raise WompiApiError.not_found(f"merchant {public_key[:12]}…")
        return {
            "id": self.config.merchant_id,
            "name": self.config.merchant_name,
            "email": self.config.merchant_email,
            "contact_name": self.config.merchant_name,
            "phone_number": "+573145550100",
            "active": True,
            "logo_url": None,
            "legal_name": self.config.merchant_name,
            "legal_id_type": "NIT",
            "legal_id": "901000000-1",
            "public_key": self.config.public_key,
            "accepted_currencies": ["COP"],
            "fraud_javascript_key": None,
            "fraud_groups": [],
            "accepted_payment_methods": ["CARD", "NEQUI", "PSE"],
            "payment_methods": [
                {"name": name, "payment_processors": [{"name": name}]}
                for name in ("CARD", "NEQUI", "PSE")
            ],
            "presigned_acceptance": self._acceptance(
                "END_USER_POLICY",
                "https://wompi.com/assets/downloadble/reglamento-Usuarios-Colombia.pdf",
            ),
            "presigned_personal_data_auth": self._acceptance(
                "PERSONAL_DATA_AUTH",
                "https://wompi.com/assets/downloadble/autorizacion-administracion-datos-personales.pdf",
            ),
        }

    def financial_institutions(self) -> list[dict[str, str]]:
        return [
            {"financial_institution_code": code, "financial_institution_name": name}
            for code, (name, _) in PSE_BANKS.items()
        ]

    def _acceptance(self, kind: str, permalink: str) -> dict[str, str]:
        """A JWT-shaped token signed with the integrity secret (opaque to clients)."""

        def b64(data: bytes) -> str:
            return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

        header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        claims = b64(
            json.dumps({"type": kind, "permalink": permalink, "iat": int(time.time())}).encode()
        )
        mac = hmac.new(
            self.config.integrity_secret.encode(), f"{header}.{claims}".encode(), hashlib.sha256
        ).digest()
        return {
            "acceptance_token": f"{header}.{claims}.{b64(mac)}",
            "permalink": permalink,
            "type": kind,
        }

    # --- events -----------------------------------------------------------------
    def emit(self, transaction: Transaction) -> Delivery:
        """Record and start delivering ``transaction.updated`` for the current status."""
        body = build_event(
            "transaction.updated",
            transaction.to_api(),
            environment=self.config.environment,
            secret=self.config.events_secret,
        )
        delivery = self.events.prepare(body, self.config.events_url)
        self._spawn(
            self.events.deliver(
                delivery,
                retry_delays_s=self.config.webhook_retry_delays_s,
                timeout_s=self.config.webhook_timeout_s,
            )
        )
        return delivery

    async def redeliver(self, delivery_id: int) -> Delivery:
        """Send a recorded body once more, byte for byte (one attempt, no retries)."""
        original = self.events.get(delivery_id)
        if original is None:
            raise WompiApiError.not_found(f"delivery {delivery_id}")
        copy = self.events.duplicate(original)
        ok = await self.events.attempt(copy, self.config.webhook_timeout_s)
        copy.state = "delivered" if ok else "failed"
        return copy

    # --- ids --------------------------------------------------------------------
    @staticmethod
    def _new_id(length: int, taken: Mapping[str, Any]) -> str:
        while True:
            candidate = "".join(secrets.choice(_ID_ALPHABET) for _ in range(length))
            if candidate not in taken:
                return candidate

    def _transaction_id(self, now: float) -> str:
        while True:
            candidate = f"{self.config.merchant_id}-{int(now)}-{secrets.randbelow(100_000):05d}"
            if candidate not in self.transactions:
                return candidate
