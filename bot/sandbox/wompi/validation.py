"""Input checks of the Wompi emulator: payment-link bodies and checkout payments.

Wompi answers a bad body with 422 ``INPUT_VALIDATION_ERROR`` and a ``messages`` map of
field → list of sentences; collecting every problem (not just the first) lets a
client's test see all its mistakes at once, as the real API does. The emulator is
deliberately stricter than the public docs where they are silent (unknown fields,
``expires_at`` offsets), so client bugs surface here rather than in production.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

_LINK_FIELDS = frozenset(
    {
        "name",
        "description",
        "single_use",
        "collect_shipping",
        "collect_customer_legal_id",
        "currency",
        "amount_in_cents",
        "expires_at",
        "redirect_url",
        "image_url",
        "sku",
        "customer_data",
        "taxes",
    }
)
_TAX_TYPES = frozenset({"VAT", "CONSUMPTION"})
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_LEGAL_ID_TYPES = frozenset({"CC", "CE", "NIT", "PP", "TI", "DNI", "RG", "OTHER"})

#: Sandbox test data (contract §1, "Sandbox test data").
NEQUI_OUTCOMES = {"3991111111": "APPROVED", "3992222222": "DECLINED"}
CARD_OUTCOMES = {"4242424242424242": "APPROVED", "4111111111111111": "DECLINED"}
PSE_BANKS = {"1": ("Banco que aprueba", "APPROVED"), "2": ("Banco que rechaza", "DECLINED")}

STATUS_MESSAGES = {
    "APPROVED": None,
    "DECLINED": "Transacción declinada (sandbox)",
    "ERROR": "Error en el sistema externo de pago (sandbox)",
}


class InputErrors(Exception):
    """Field → messages; raised once with everything that was wrong."""

    def __init__(self, messages: dict[str, list[str]]) -> None:
        super().__init__("input validation error")
        self.messages = messages


class _Collector:
    def __init__(self) -> None:
        self.messages: dict[str, list[str]] = {}

    def add(self, name: str, message: str) -> None:
        self.messages.setdefault(name, []).append(message)

    def raise_if_any(self) -> None:
        if self.messages:
            raise InputErrors(self.messages)


def parse_utc(value: str) -> dt.datetime:
    """ISO 8601 in UTC (``Z``, ``+00:00`` or no offset); other offsets are refused.

    Wompi documents ``expires_at`` as UTC; a Bogotá offset usually means the caller
    forgot to convert, which would shift the expiry by five hours.
    """
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    moment = dt.datetime.fromisoformat(text)  # ValueError for garbage
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.timezone.utc)
    if moment.utcoffset() != dt.timedelta(0):
        raise ValueError("not UTC")
    return moment.astimezone(dt.timezone.utc)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_url(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    parts = urlparse(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def validate_link(body: Any, now: dt.datetime) -> dict[str, Any]:
    """Check a ``POST /payment_links`` body; return the normalised fields."""
    errors = _Collector()
    if not isinstance(body, dict):
        raise InputErrors({"body": ["El cuerpo debe ser un objeto JSON"]})
    for name in sorted(set(body) - _LINK_FIELDS):
        errors.add(name, f'"{name}" no está permitido')
    out: dict[str, Any] = {}
    for name in ("name", "description"):
        value = body.get(name)
        if value is None:
            errors.add(name, f'"{name}" es requerido')
        elif not isinstance(value, str) or not value.strip():
            errors.add(name, f'"{name}" debe ser un texto no vacío')
        else:
            out[name] = value
    for name in ("single_use", "collect_shipping"):
        value = body.get(name)
        if value is None:
            errors.add(name, f'"{name}" es requerido')
        elif not isinstance(value, bool):
            errors.add(name, f'"{name}" debe ser booleano')
        else:
            out[name] = value
    legal = body.get("collect_customer_legal_id", False)
    if not isinstance(legal, bool):
        errors.add("collect_customer_legal_id", '"collect_customer_legal_id" debe ser booleano')
    out["collect_customer_legal_id"] = legal
    currency = body.get("currency")
    if currency is None:
        errors.add("currency", '"currency" es requerido')
    elif currency != "COP":
        errors.add("currency", '"currency" debe ser "COP"')
    out["currency"] = "COP"
    amount = body.get("amount_in_cents")
    if amount is not None and (not _is_int(amount) or amount <= 0):
        errors.add("amount_in_cents", '"amount_in_cents" debe ser un entero positivo o null')
    out["amount_in_cents"] = amount
    expires = body.get("expires_at")
    out["expires_at"] = None
    if expires is not None:
        try:
            if not isinstance(expires, str):
                raise ValueError("not a string")
            moment = parse_utc(expires)
        except ValueError:
            errors.add("expires_at", '"expires_at" debe ser una fecha ISO 8601 en UTC')
        else:
            if moment <= now:
                errors.add("expires_at", '"expires_at" debe estar en el futuro')
            out["expires_at"] = moment
    for name in ("redirect_url", "image_url"):
        value = body.get(name)
        if value is not None and not _is_url(value):
            errors.add(name, f'"{name}" debe ser una URL http(s) válida')
        out[name] = value
    sku = body.get("sku")
    if sku is not None and (not isinstance(sku, str) or not sku or len(sku) > 36):
        errors.add("sku", '"sku" debe ser un texto de 1 a 36 caracteres')
    out["sku"] = sku
    customer_data = body.get("customer_data")
    if customer_data is not None:
        refs = customer_data.get("customer_references") if isinstance(customer_data, dict) else 0
        if not isinstance(refs, list | type(None)) or (isinstance(refs, list) and len(refs) > 2):
            errors.add("customer_data", '"customer_references" admite como máximo 2 campos')
    out["customer_data"] = customer_data
    taxes = body.get("taxes")
    if taxes is not None:
        if not isinstance(taxes, list) or not all(
            isinstance(t, dict) and t.get("type") in _TAX_TYPES for t in taxes
        ):
            errors.add("taxes", '"taxes" es una lista de {"type": "VAT"|"CONSUMPTION", ...}')
    out["taxes"] = taxes or []
    errors.raise_if_any()
    return out


@dataclass(frozen=True)
class PaymentInput:
    """A checked checkout payment; no card number or CVC survives past this object."""

    method: str  # CARD | NEQUI | PSE
    outcome: str  # APPROVED | DECLINED | ERROR
    payment_method: dict[str, Any]
    customer_email: str
    customer_data: dict[str, Any] = field(default_factory=dict)
    amount_in_cents: int | None = None


def _text(body: Mapping[str, Any], *names: str, default: str | None = None) -> str | None:
    for name in names:
        value = body.get(name)
        if value is not None and str(value).strip() != "":
            return str(value).strip()
    return default


def _card_brand(number: str) -> str:
    if number.startswith("4"):
        return "VISA"
    if number[:2] in ("34", "37"):
        return "AMEX"
    if 51 <= int(number[:2]) <= 55 or 2221 <= int(number[:4]) <= 2720:
        return "MASTERCARD"
    return "UNKNOWN"


def _expiry(body: Mapping[str, Any], errors: _Collector) -> tuple[int, int] | None:
    month_text = _text(body, "exp_month")
    year_text = _text(body, "exp_year")
    combined = _text(body, "expiry")
    if combined and not (month_text and year_text):
        match = re.fullmatch(r"(\d{1,2})\s*/\s*(\d{2}|\d{4})", combined)
        if not match:
            errors.add("expiry", "La fecha de vencimiento debe ser MM/AA")
            return None
        month_text, year_text = match.groups()
    if not month_text or not year_text:
        return None  # the sandbox default applies
    if not (month_text.isdigit() and year_text.isdigit()):
        errors.add("expiry", "La fecha de vencimiento debe ser numérica")
        return None
    month, year = int(month_text), int(year_text)
    if year < 100:
        year += 2000
    if not 1 <= month <= 12:
        errors.add("exp_month", "El mes debe estar entre 01 y 12")
        return None
    return month, year


def validate_payment(
    body: Mapping[str, Any], *, link_amount: int | None, now: dt.datetime
) -> PaymentInput:
    """Check what the checkout form (or the sandbox route) sent and decide the outcome.

    Missing optional fields get sandbox defaults so tests and benchmarks can pay with
    ``{"method": "NEQUI", "phone": "3991111111"}``; present fields are always checked.
    """
    errors = _Collector()
    method = (_text(body, "method", "payment_method_type") or "").upper()
    if method == "TARJETA":
        method = "CARD"
    email = _text(body, "email", "customer_email", default="comprador@example.com") or ""
    if not _EMAIL.match(email):
        errors.add("customer_email", "El correo electrónico no es válido")
    full_name = _text(body, "full_name", default="Comprador Sandbox")
    customer_data: dict[str, Any] = {"full_name": full_name}
    customer_phone = _text(body, "phone_number")
    if customer_phone:
        customer_data["phone_number"] = customer_phone
    amount: int | None = None
    if link_amount is None:
        raw_amount = _text(body, "amount_in_cents")
        pesos = _text(body, "amount")
        if raw_amount and raw_amount.isdigit() and int(raw_amount) > 0:
            amount = int(raw_amount)
        elif pesos and pesos.replace(".", "").isdigit() and int(pesos.replace(".", "")) > 0:
            amount = int(pesos.replace(".", "")) * 100
        else:
            errors.add("amount_in_cents", "Este enlace requiere que indiques el monto a pagar")

    outcome = "ERROR"
    payment_method: dict[str, Any] = {"type": method}
    if method == "NEQUI":
        phone = re.sub(r"[\s-]", "", _text(body, "phone", "nequi_phone") or "")
        if not re.fullmatch(r"\d{10}", phone):
            errors.add("phone_number", "El número Nequi debe tener 10 dígitos")
        outcome = NEQUI_OUTCOMES.get(phone, "ERROR")
        payment_method.update({"phone_number": phone, "extra": {"is_three_ds": False}})
    elif method == "PSE":
        bank = _text(body, "bank", "financial_institution_code") or ""
        if bank not in PSE_BANKS:
            errors.add("financial_institution_code", "Selecciona un banco de prueba (1 o 2)")
        else:
            outcome = PSE_BANKS[bank][1]
        user_type_text = _text(body, "user_type", default="0") or "0"
        if user_type_text not in ("0", "1"):
            errors.add("user_type", "user_type es 0 (persona natural) o 1 (jurídica)")
        id_type = (_text(body, "legal_id_type", "user_legal_id_type", default="CC") or "").upper()
        if id_type not in _LEGAL_ID_TYPES:
            errors.add("user_legal_id_type", "Tipo de documento no válido")
        legal_id = _text(body, "legal_id", "user_legal_id", default="1999888777") or ""
        if not re.fullmatch(r"[A-Za-z0-9]{4,20}", legal_id):
            errors.add("user_legal_id", "El número de documento no es válido")
        description = _text(body, "payment_description", default="Pago Fashionistas") or ""
        payment_method.update(
            {
                "user_type": int(user_type_text) if user_type_text in ("0", "1") else 0,
                "user_legal_id_type": id_type,
                "user_legal_id": legal_id,
                "financial_institution_code": bank,
                "payment_description": description[:30],
                "extra": {
                    "bank_name": PSE_BANKS.get(bank, ("", ""))[0],
                    "return_code": "SUCCESS",
                    "is_three_ds": False,
                },
            }
        )
    elif method == "CARD":
        number = re.sub(r"[\s-]", "", _text(body, "number", "card_number") or "")
        if not re.fullmatch(r"\d{13,19}", number):
            errors.add("number", "El número de tarjeta debe tener entre 13 y 19 dígitos")
            number = "0" * 16
        outcome = CARD_OUTCOMES.get(number, "ERROR")
        expiry = _expiry(body, errors) or (12, now.year + 3)
        month, year = expiry
        if (year, month) < (now.year, now.month):
            errors.add("exp_year", "La tarjeta está vencida")
        cvc = _text(body, "cvc", default="123") or ""
        if not re.fullmatch(r"\d{3,4}", cvc):
            errors.add("cvc", "El código de seguridad debe tener 3 o 4 dígitos")
        installments_text = _text(body, "installments", default="1") or "1"
        if not installments_text.isdigit() or not 1 <= int(installments_text) <= 36:
            errors.add("installments", "Las cuotas van de 1 a 36")
            installments_text = "1"
        brand = _card_brand(number)
        payment_method.update(
            {
                "installments": int(installments_text),
                "extra": {
                    "bin": number[:6],
                    "name": f"{brand}-{number[-4:]}",
                    "brand": brand,
                    "exp_year": f"{year % 100:02d}",
                    "exp_month": f"{month:02d}",
                    "last_four": number[-4:],
                    "card_holder": _text(body, "card_holder", default="Comprador Sandbox"),
                    "is_three_ds": False,
                },
            }
        )
    else:
        errors.add("payment_method_type", "Método de pago no disponible: usa NEQUI, PSE o CARD")
    errors.raise_if_any()
    return PaymentInput(
        method=method,
        outcome=outcome,
        payment_method=payment_method,
        customer_email=email,
        customer_data=customer_data,
        amount_in_cents=amount,
    )
