"""``X-Hub-Signature-256``: HMAC-SHA256 of the raw body, keyed by the app secret.

Meta signs an ASCII-escaped serialisation, so the check must run on the exact
bytes received, before any JSON parsing, and compare in constant time.
"""

from __future__ import annotations

import hashlib
import hmac

PREFIX = "sha256="


def sign(body: bytes, app_secret: str) -> str:
    return PREFIX + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def verify(body: bytes, header: str | None, app_secret: str) -> bool:
    """True only for a well-formed header whose digest matches ``body``."""
    if not app_secret or not header or not header.startswith(PREFIX):
        # An empty key is a key anyone can sign with: treat it as "cannot verify".
        return False
    expected = sign(body, app_secret)
    return hmac.compare_digest(expected.encode(), header.strip().lower().encode())
