"""Money, QR codes and the Ley 1480 retracto term, without any server."""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

import pytest
import zxingcpp
from PIL import Image

from bot.calendar import BOGOTA
from bot.ticketing.money import cop, to_pesos
from bot.ticketing.qr import ticket_qr_png
from bot.ticketing.refunds import assess


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (150000, "$150.000"),
        (85000.0, "$85.000"),
        (0, "$0"),
        (1250000, "$1.250.000"),
        (-5000, "-$5.000"),
    ],
)
def test_cop(amount: float, text: str) -> None:
    assert cop(amount) == text


def test_to_pesos_rounds_half_up() -> None:
    assert to_pesos("85000.50") == 85001
    assert to_pesos(85000.49) == 85000


def test_qr_decodes_to_the_public_id() -> None:
    png = ticket_qr_png("A-XY98ZT1")
    assert png.startswith(b"\x89PNG")
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert [r.text for r in found] == ["A-XY98ZT1"]


def test_qr_refuses_empty() -> None:
    with pytest.raises(ValueError):
        ticket_qr_png("")


def bog(*args: int) -> datetime:
    return datetime(*args, tzinfo=BOGOTA).astimezone(timezone.utc)


def test_retracto_within_term() -> None:
    # Paid Monday 30 Nov 2026; 5 business days → Monday 7 Dec (8 Dec is a holiday, irrelevant).
    verdict = assess(
        paid_at=bog(2026, 11, 30, 10),
        event_starts_at=bog(2026, 12, 11, 20),
        requested_at=bog(2026, 12, 3, 9),
    )
    assert verdict.eligible and verdict.basis == "retracto"
    assert verdict.retracto_deadline.date().isoformat() == "2026-12-07"
    assert verdict.refund_due_by is not None
    assert verdict.refund_due_by.date().isoformat() == "2026-12-18"


def test_retracto_term_skips_holidays() -> None:
    # Paid Friday 4 Dec: Mon 7, (Tue 8 Inmaculada), Wed 9, Thu 10, Fri 11, Mon 14.
    verdict = assess(
        paid_at=bog(2026, 12, 4, 18),
        event_starts_at=bog(2027, 1, 23, 20),
        requested_at=bog(2026, 12, 14, 23),
    )
    assert verdict.eligible
    assert verdict.retracto_deadline.date().isoformat() == "2026-12-14"


def test_term_passed() -> None:
    verdict = assess(
        paid_at=bog(2026, 11, 2, 10),
        event_starts_at=bog(2027, 1, 23, 20),
        requested_at=bog(2026, 11, 20, 10),
    )
    assert not verdict.eligible and verdict.why == "term_passed"


def test_show_within_the_term_is_the_exception() -> None:
    verdict = assess(
        paid_at=bog(2026, 12, 9, 10),
        event_starts_at=bog(2026, 12, 11, 20),
        requested_at=bog(2026, 12, 10, 10),
    )
    assert not verdict.eligible and verdict.why == "show_within_term"


def test_show_started() -> None:
    start = bog(2026, 12, 11, 20)
    verdict = assess(
        paid_at=start - timedelta(days=30),
        event_starts_at=start,
        requested_at=start + timedelta(hours=1),
    )
    assert not verdict.eligible and verdict.why == "show_started"
