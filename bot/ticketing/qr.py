"""QR images of tickets: the attendee ``public_id`` that Hi.Events' scanner matches.

The code holds nothing but ``A-XY98ZT1`` (contract §8): the door scanner of Hi.Events
looks attendees up by it, so any scanner app works, and a screenshot leaks no personal
data. Error correction "Q" survives a cracked phone screen; the quiet zone and 10-pixel
modules keep it readable from a dim screen at the door.
"""

from __future__ import annotations

import io

import qrcode
from qrcode.constants import ERROR_CORRECT_Q

__all__ = ["ticket_qr_png"]


def ticket_qr_png(public_id: str, *, box_size: int = 10, border: int = 4) -> bytes:
    """PNG bytes of a QR code encoding exactly ``public_id``."""
    if not public_id or len(public_id) > 64:
        raise ValueError("a ticket QR encodes a Hi.Events attendee public_id")
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_Q, box_size=box_size, border=border)
    code.add_data(public_id)
    code.make(fit=True)
    image = code.make_image(fill_color="black", back_color="white")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
