"""Bearer tokens for the action server's non-public routes, and the roles of the admin API.

The admin API has three roles, each including the one before it:

* ``viewer`` — read-only: every ``GET`` (lists, reports, progress, the OpenAPI document);
* ``organizer`` — viewer, plus what an event organizer does on the night: create,
  preview, dry-run, send and cancel broadcasts, and send emergency alerts;
* ``admin`` — everything, including refund decisions, hand-off releases and contact
  changes (money, other people's conversations and who counts as staff).

Tokens come from ``ADMIN_TOKEN`` (role ``admin``, kept for backwards compatibility) and
``ADMIN_TOKENS`` (``role:token,role:token``, parsed by :func:`parse_admin_tokens` when the
settings load, so a typo stops the process at startup instead of locking someone out
at 3 a.m.). A route declares its role with :func:`requires`; the admin blueprint's
middleware enforces it through :func:`required_role`, the one function the OpenAPI test
also uses, so the document and the enforcement cannot disagree silently. A route that
declares nothing needs ``admin`` (fail closed), and a non-``GET`` route never needs
less than ``organizer`` whatever it declares (a mis-declared write is not a read).

Tokens are compared with :func:`hmac.compare_digest` and never logged: handlers and
logs see a *label* (``ADMIN_TOKEN`` or ``organizer#2``, the entry's position in
``ADMIN_TOKENS``) instead.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

if TYPE_CHECKING:  # keep this module importable from bot.settings without Sanic
    from sanic.request import Request

__all__ = [
    "ADMIN_ROLES",
    "READ_METHODS",
    "ROLE_ATTRIBUTE",
    "AdminRole",
    "AdminToken",
    "TokenTable",
    "bearer_ok",
    "bearer_token",
    "declared_role",
    "parse_admin_tokens",
    "required_role",
    "requires",
    "role_allows",
]

AdminRole = Literal["viewer", "organizer", "admin"]

#: Ordered from least to most: a role includes every role before it.
ADMIN_ROLES: tuple[AdminRole, ...] = ("viewer", "organizer", "admin")

#: Methods that only read; everything else needs at least ``organizer``.
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

#: Attribute :func:`requires` sets on a handler (read by :func:`declared_role`).
ROLE_ATTRIBUTE = "__admin_role__"

#: Refused as tokens, like the placeholders :meth:`bot.settings.Settings.secret` refuses.
_PLACEHOLDERS = frozenset({"changeme", "change-me", "change_me", "secret", "xxx", "placeholder"})

_F = TypeVar("_F", bound=Callable[..., Any])


def bearer_token(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, or None."""
    header = request.headers.get("authorization") or ""
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    return token


def bearer_ok(request: Request, expected: str) -> bool:
    """True when the request carries exactly ``expected`` as its bearer token."""
    token = bearer_token(request)
    if token is None:
        return False
    return hmac.compare_digest(token.encode(), expected.encode())


def role_allows(have: str, needs: str) -> bool:
    """True when role ``have`` includes role ``needs``."""
    return ADMIN_ROLES.index(cast(AdminRole, have)) >= ADMIN_ROLES.index(cast(AdminRole, needs))


def parse_admin_tokens(value: str | None) -> tuple[tuple[AdminRole, str], ...]:
    """``"organizer:abc, viewer:def"`` → ``(("organizer", "abc"), ("viewer", "def"))``.

    Raises ValueError naming the entry's position (never its token) when an entry is
    not ``role:token``, names an unknown role, has an empty or placeholder token, or
    repeats a token (one token with two roles would be ambiguous). Blank entries (a
    trailing comma) are skipped. The token may itself contain ``:``.
    """
    entries: list[tuple[AdminRole, str]] = []
    seen: set[str] = set()
    for position, raw in enumerate((value or "").split(","), start=1):
        entry = raw.strip()
        if not entry:
            continue
        role, colon, token = entry.partition(":")
        role, token = role.strip().lower(), token.strip()
        where = f"ADMIN_TOKENS entry {position}"
        if not colon:
            raise ValueError(f"{where} must be role:token (roles: {', '.join(ADMIN_ROLES)})")
        if role not in ADMIN_ROLES:
            # echo a short word (a typo like "organiser"), never what may be a token
            shown = repr(role) if role.isalpha() and len(role) <= 16 else "an unknown role"
            raise ValueError(f"{where} has role {shown}; roles: {', '.join(ADMIN_ROLES)}")
        if not token:
            raise ValueError(f"{where} ({role}) has an empty token")
        if token.lower() in _PLACEHOLDERS:
            raise ValueError(f"{where} ({role}) is a placeholder; set a real token")
        if token in seen:
            raise ValueError(f"{where} ({role}) repeats a token of an earlier entry")
        seen.add(token)
        entries.append((cast(AdminRole, role), token))
    return tuple(entries)


@dataclass(frozen=True)
class AdminToken:
    """One accepted token: its role and the label that stands for it in logs."""

    role: AdminRole
    label: str
    token: str

    def __repr__(self) -> str:  # the token stays out of reprs, tracebacks and logs
        return f"AdminToken(role={self.role!r}, label={self.label!r})"


class TokenTable:
    """Every token the admin API accepts, with its role.

    Built once per blueprint from ``ADMIN_TOKEN`` and the ``ADMIN_TOKENS`` entries.
    ``ADMIN_TOKEN`` may also be listed in ``ADMIN_TOKENS`` only with role ``admin``.
    """

    def __init__(self, admin_token: str | None, extra: str | Iterable[tuple[str, str]] = ()):
        entries = parse_admin_tokens(extra) if isinstance(extra, str) else tuple(extra)
        tokens: list[AdminToken] = []
        if admin_token:
            tokens.append(AdminToken("admin", "ADMIN_TOKEN", admin_token))
        for position, (role, token) in enumerate(entries, start=1):
            if role not in ADMIN_ROLES or not token:
                raise ValueError(f"ADMIN_TOKENS entry {position} is not a role and a token")
            if admin_token and hmac.compare_digest(token.encode(), admin_token.encode()):
                if role != "admin":
                    raise ValueError(
                        f"ADMIN_TOKENS entry {position} ({role}) reuses ADMIN_TOKEN, "
                        "which is always role admin"
                    )
                continue
            tokens.append(AdminToken(cast(AdminRole, role), f"{role}#{position}", token))
        if not tokens:
            raise ValueError("the admin API needs ADMIN_TOKEN or ADMIN_TOKENS")
        self._tokens = tuple(tokens)

    def __len__(self) -> int:
        return len(self._tokens)

    def __repr__(self) -> str:
        return f"TokenTable({', '.join(t.label for t in self._tokens)})"

    def match(self, request: Request) -> AdminToken | None:
        """The token the request's bearer header carries, or None.

        Every configured token is compared (no early exit), so the time taken does
        not say which entry, if any, a guess came close to.
        """
        offered = bearer_token(request)
        if offered is None:
            return None
        found: AdminToken | None = None
        for candidate in self._tokens:
            if hmac.compare_digest(offered.encode(), candidate.token.encode()) and found is None:
                found = candidate
        return found


def requires(role: AdminRole) -> Callable[[_F], _F]:
    """Declare the role a route handler needs (enforced by the admin middleware).

    Put it under the route decorator::

        @bp.post("/broadcasts/<broadcast_id:int>/send")
        @requires("organizer")
        async def send(request, broadcast_id): ...
    """
    if role not in ADMIN_ROLES:
        raise ValueError(f"unknown admin role {role!r}")

    def mark(handler: _F) -> _F:
        setattr(handler, ROLE_ATTRIBUTE, role)
        return handler

    return mark


def declared_role(handler: Any) -> AdminRole | None:
    """The role :func:`requires` set on ``handler`` (None when it set none)."""
    return getattr(handler, ROLE_ATTRIBUTE, None)


def required_role(method: str, handler: Any) -> AdminRole:
    """The role a request with ``method`` to ``handler`` needs: what the server enforces.

    Undeclared → ``admin``; a write (not GET/HEAD/OPTIONS) → at least ``organizer``.
    """
    role: AdminRole = declared_role(handler) or "admin"
    if method.upper() not in READ_METHODS and role == "viewer":
        role = "organizer"
    return role
