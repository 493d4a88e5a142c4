"""Laravel-style list endpoints: ``filter_fields``, sorting, ``query`` and pagination.

``QueryParamsDTO`` + ``BaseRepository`` semantics (contract §1): ``page`` (1),
``per_page`` (20, at most 100), ``sort_by``/``sort_direction``,
``filter_fields[<field>][<op>]=<value>`` with ops ``eq ne lt lte gt gte like in``
(``in`` takes a comma list, ``null`` means IS NULL). Unknown fields are ignored and an
unknown operator is a 500, as in Hi.Events. Filters apply to the serialised resource,
which carries every allowed field under the same name.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from sanic import Request

from bot.sandbox.hi_events.errors import ApiError

_FILTER_KEY = re.compile(r"^filter_fields\[(\w+)\]\[(\w+)\]$")
OPERATORS = frozenset({"eq", "ne", "lt", "lte", "gt", "gte", "like", "in"})


@dataclass(frozen=True)
class ListSpec:
    allowed_filter_fields: tuple[str, ...] = ()
    allowed_sorts: tuple[str, ...] = ()
    default_sort: str = "id"
    default_sort_direction: str = "desc"
    #: Fields searched by the free-text ``query`` parameter.
    query_fields: tuple[str, ...] = ()


EVENTS = ListSpec(
    allowed_filter_fields=(
        "title",
        "start_date",
        "end_date",
        "created_at",
        "updated_at",
        "status",
        "organizer_id",
    ),
    allowed_sorts=("start_date", "end_date", "title", "created_at", "updated_at"),
    default_sort="start_date",
    default_sort_direction="asc",
    query_fields=("title",),
)
ORDERS = ListSpec(
    allowed_filter_fields=(
        "status",
        "payment_status",
        "refund_status",
        "created_at",
        "first_name",
        "last_name",
        "email",
        "public_id",
        "currency",
        "total_gross",
    ),
    allowed_sorts=("created_at", "first_name", "last_name", "email", "total_gross", "public_id"),
    default_sort="created_at",
    default_sort_direction="desc",
    query_fields=("first_name", "last_name", "email", "public_id"),
)
ATTENDEES = ListSpec(
    allowed_filter_fields=("status", "product_id", "product_price_id"),
    allowed_sorts=("created_at", "first_name", "last_name", "email", "public_id"),
    default_sort="created_at",
    default_sort_direction="desc",
    query_fields=("first_name", "last_name", "email", "public_id"),
)
PLAIN = ListSpec(default_sort="id", default_sort_direction="asc")


def _int_arg(request: Request, name: str, default: int) -> int:
    try:
        return int(request.args.get(name, default))
    except (TypeError, ValueError):
        return default


def _coerce(sample: Any, value: str) -> Any:
    if isinstance(sample, bool):
        return value.lower() in ("1", "true")
    if isinstance(sample, (int, float)):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def _matcher(field: str, op: str, raw: str) -> Callable[[dict[str, Any]], bool]:
    if op not in OPERATORS:
        raise ApiError(500, {"message": f"Invalid operator: {op}"})

    def match(item: dict[str, Any]) -> bool:
        actual = item.get(field)
        if raw == "null":
            return (actual is None) == (op != "ne")
        if op == "in":
            options = [v.strip() for v in raw.split(",")]
            return any(actual == _coerce(actual, option) for option in options)
        if actual is None:
            return op == "ne"
        if op == "like":
            return raw.strip("%").lower() in str(actual).lower()
        value = _coerce(actual, raw)
        try:
            return {
                "eq": actual == value,
                "ne": actual != value,
                "lt": actual < value,
                "lte": actual <= value,
                "gt": actual > value,
                "gte": actual >= value,
            }[op]
        except TypeError:
            return False

    return match


def _sort_key(field: str) -> Callable[[dict[str, Any]], tuple[int, Any]]:
    def key(item: dict[str, Any]) -> tuple[int, Any]:
        value = item.get(field)
        return (0, "") if value is None else (1, value)

    return key


def filter_and_sort(
    request: Request, items: list[dict[str, Any]], spec: ListSpec
) -> list[dict[str, Any]]:
    for key, values in request.args.items():
        found = _FILTER_KEY.match(key)
        if not found or found.group(1) not in spec.allowed_filter_fields:
            continue
        match = _matcher(found.group(1), found.group(2), values[0])
        items = [item for item in items if match(item)]
    query = (request.args.get("query") or "").strip().lower()
    if query and spec.query_fields:
        items = [
            item
            for item in items
            if any(query in str(item.get(f) or "").lower() for f in spec.query_fields)
        ]
    sort_by = request.args.get("sort_by")
    if sort_by not in spec.allowed_sorts:
        sort_by = spec.default_sort
    direction = (request.args.get("sort_direction") or spec.default_sort_direction).lower()
    return sorted(items, key=_sort_key(sort_by), reverse=direction == "desc")


def paginate(
    request: Request, items: list[dict[str, Any]], spec: ListSpec | None = None
) -> dict[str, Any]:
    """The ``{"data", "links", "meta"}`` envelope of a ``LengthAwarePaginator``."""
    spec = spec or PLAIN
    items = filter_and_sort(request, items, spec)
    per_page = min(100, max(1, _int_arg(request, "per_page", 20)))
    total = len(items)
    last_page = max(1, math.ceil(total / per_page))
    page = max(1, _int_arg(request, "page", 1))
    start = (page - 1) * per_page
    chunk = items[start : start + per_page]
    path = f"{request.scheme}://{request.host}{request.path}"
    others = {k: v[0] for k, v in request.args.items() if k != "page"}

    def url(number: int) -> str:
        return f"{path}?{urlencode({**others, 'page': number})}"

    meta_links = [{"url": url(page - 1) if page > 1 else None, "label": "&laquo; Previous"}]
    meta_links[0]["active"] = False
    meta_links += [
        {"url": url(n), "label": str(n), "active": n == page} for n in range(1, last_page + 1)
    ]
    meta_links.append(
        {
            "url": url(page + 1) if page < last_page else None,
            "label": "Next &raquo;",
            "active": False,
        }
    )
    meta: dict[str, Any] = {
        "current_page": page,
        "from": start + 1 if chunk else None,
        "last_page": last_page,
        "links": meta_links,
        "path": path,
        "per_page": per_page,
        "to": start + len(chunk) if chunk else None,
        "total": total,
    }
    if spec is not PLAIN:
        meta.update(
            {
                "allowed_filter_fields": list(spec.allowed_filter_fields),
                "allowed_sorts": list(spec.allowed_sorts),
                "default_sort": spec.default_sort,
                "default_sort_direction": spec.default_sort_direction,
            }
        )
    return {
        "data": chunk,
        "links": {
            "first": url(1),
            "last": url(last_page),
            "prev": url(page - 1) if page > 1 else None,
            "next": url(page + 1) if page < last_page else None,
        },
        "meta": meta,
    }
