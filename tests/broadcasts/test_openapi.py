"""The OpenAPI 3 document of the admin API: well formed, complete, examples valid.

Offline checks (no server): the served copy is checked in ``test_api.py``.
"""

from __future__ import annotations

import re
from typing import Any

import jsonschema

from bot.http.broadcasts import ROUTES
from bot.http.openapi import OPENAPI_FILE, openapi_document

METHODS = {"get", "post", "put", "patch", "delete"}


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for value in node.values() for r in _refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in _refs(value)]
    return []


def _resolve(document: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = document
    for part in ref[2:].split("/"):
        node = node[part]
    return node


def _inline(document: dict[str, Any], node: Any) -> Any:
    """The schema with every ``$ref`` replaced by its target (for jsonschema)."""
    if isinstance(node, dict):
        if "$ref" in node:
            return _inline(document, _resolve(document, node["$ref"]))
        return {k: _inline(document, v) for k, v in node.items() if k != "nullable"}
    if isinstance(node, list):
        return [_inline(document, v) for v in node]
    return node


def test_document_is_openapi_3_with_its_required_parts() -> None:
    document = openapi_document()
    assert OPENAPI_FILE.name == "openapi.yaml"
    assert re.fullmatch(r"3\.\d+\.\d+", document["openapi"])
    assert document["info"]["title"] and document["info"]["version"]
    assert document["components"]["securitySchemes"]["adminToken"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "ADMIN_TOKEN (role admin)",
    }
    assert document["security"] == [{"adminToken": []}]
    operation_ids = []
    for path, item in document["paths"].items():
        assert path.startswith("/admin/")
        templated = set(re.findall(r"\{(\w+)\}", path))
        for method, operation in item.items():
            if method == "parameters":
                continue
            assert method in METHODS, (path, method)
            operation_ids.append(operation["operationId"])
            assert operation["responses"], (path, method)
            assert "401" in operation["responses"], (path, method)
            params = [
                _resolve(document, p["$ref"]) if "$ref" in p else p
                for p in [*item.get("parameters", []), *operation.get("parameters", [])]
            ]
            assert {p["name"] for p in params if p["in"] == "path"} == templated, path
    assert len(operation_ids) == len(set(operation_ids))


def test_every_ref_resolves() -> None:
    document = openapi_document()
    refs = _refs(document)
    assert refs
    for ref in refs:
        assert _resolve(document, ref) is not None


def test_every_served_route_is_described() -> None:
    paths = openapi_document()["paths"]
    for method, path in ROUTES:
        assert method in paths.get(path, {}), f"{method.upper()} {path} is not documented"


def test_create_example_matches_its_schema() -> None:
    document = openapi_document()
    body = document["paths"]["/admin/broadcasts"]["post"]["requestBody"]["content"][
        "application/json"
    ]
    schema = _inline(document, body["schema"])
    jsonschema.validate(body["example"], schema)
    bad = {**body["example"], "segment": {"city": "Medellín"}}
    try:
        jsonschema.validate(bad, schema)
    except jsonschema.ValidationError:
        pass
    else:
        raise AssertionError("an unknown segment key should not validate")
