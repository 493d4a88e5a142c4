"""Error answers of the emulator in Hi.Events' (Laravel's) dialect (contract §1).

Operations raise :class:`ApiError`; the route wrapper turns it into the response, so
business code reads like the PHP services it mirrors (``throw new
ResourceConflictException(...)``) and no route forgets the envelope.
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An HTTP error with its Laravel body; ``body=None`` = empty body (the 404 helper)."""

    def __init__(
        self, status: int, body: dict[str, Any] | None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(f"HTTP {status}: {body}")
        self.status = status
        self.body = body
        self.headers = headers or {}


def not_found(message: str | None = None) -> ApiError:
    """``ResourceNotFoundException`` → ``{"message"}``; no message = the empty-body helper."""
    return ApiError(404, {"message": message} if message else None)


def conflict(message: str) -> ApiError:
    """``ResourceConflictException`` caught by the action → 409."""
    return ApiError(409, {"message": message, "errors": []})


def forbidden(message: str) -> ApiError:
    """``UnauthorizedException`` extends ``AccessDeniedHttpException`` → 403."""
    return ApiError(403, {"message": message})


def unauthenticated() -> ApiError:
    return ApiError(401, {"message": "Unauthenticated."})


def validation(errors: dict[str, list[str]]) -> ApiError:
    """Laravel 422: the first message, "(and N more errors)", and every field's list."""
    messages = [m for values in errors.values() for m in values]
    message = messages[0] if messages else "The given data was invalid."
    extra = len(messages) - 1
    if extra > 0:
        message += f" (and {extra} more error{'s' if extra > 1 else ''})"
    return ApiError(422, {"message": message, "errors": errors})
