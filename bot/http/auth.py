"""Bearer-token check shared by every non-public route of the action server."""

from __future__ import annotations

import hmac

from sanic.request import Request


def bearer_ok(request: Request, expected: str) -> bool:
    header = request.headers.get("authorization") or ""
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return False
    return hmac.compare_digest(token.strip().encode(), expected.encode())
