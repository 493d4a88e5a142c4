"""Small HTTP helpers shared by the sandbox blueprints."""

from __future__ import annotations

import json
from typing import Any

from sanic.response import HTTPResponse
from sanic.response import json as json_response


def _dumps(value: Any, **kwargs: Any) -> str:
    # Readable UTF-8 for the web chat; webhooks use their own ASCII-escaped encoder.
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def reply(body: Any, status: int = 200) -> HTTPResponse:
    """A JSON response (UTF-8, not ujson, so slashes and accents stay readable)."""
    return json_response(body, status=status, dumps=_dumps)
