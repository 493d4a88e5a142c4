"""The OpenAPI 3 document of the admin API, served at ``GET /admin/openapi.json``.

The document is written by hand in ``bot/http/openapi.yaml`` (reviewed like code) and
served as JSON behind the same bearer token as the routes it describes: it tells
nobody outside anything, and a client that can call the API can read it.
``tests/broadcasts/test_openapi.py`` checks that every route served by
``bot/http/broadcasts.py`` is in it and that every ``$ref`` resolves;
``tests/test_admin_roles.py`` that every ``/admin`` route is in it, with the role the
server enforces in its ``x-required-role`` (any token may read the document: role viewer).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.http.auth import requires

__all__ = ["OPENAPI_FILE", "add_openapi_route", "openapi_document"]

OPENAPI_FILE = Path(__file__).with_name("openapi.yaml")


@lru_cache(maxsize=1)
def openapi_document() -> dict[str, Any]:
    """The parsed document (loaded once per process)."""
    data = yaml.safe_load(OPENAPI_FILE.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not str(data.get("openapi", "")).startswith("3."):
        raise ValueError(f"{OPENAPI_FILE} is not an OpenAPI 3 document")
    return data


def add_openapi_route(bp: Blueprint) -> None:
    """``GET <prefix>/openapi.json`` on ``bp`` (the admin blueprint: behind its token)."""

    @bp.get("/openapi.json")
    @requires("viewer")
    async def openapi(request: Request) -> HTTPResponse:
        return response.json(openapi_document())
