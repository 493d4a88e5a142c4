"""Colombian pesos as people write them: ``$150.000`` (dot for thousands, no decimals).

Babel's es_CO output uses a no-break space and ",00"; WhatsApp users and the Wompi
checkout show the plain form, so we format it ourselves. English copy keeps the same
figure and adds ``COP`` where it matters, so nobody reads US dollars.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

__all__ = ["cop", "to_pesos"]


def cop(amount: int | float | Decimal) -> str:
    """``150000`` → ``$150.000``; negative amounts keep their sign."""
    pesos = to_pesos(amount)
    sign = "-" if pesos < 0 else ""
    return f"{sign}${abs(pesos):,}".replace(",", ".")


def to_pesos(amount: int | float | Decimal | str) -> int:
    """Whole pesos from Hi.Events' decimal major units (``85000.0``), rounding half up."""
    return int(Decimal(str(amount)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
