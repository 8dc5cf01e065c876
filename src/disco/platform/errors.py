"""The DiscoError family, and the one renderer every app uses for every error."""

from __future__ import annotations

from typing import Any

__all__ = [
    "Conflict",
    "DiscoError",
    "Forbidden",
    "NotFound",
    "PayloadTooLarge",
    "RateLimited",
    "Unauthorized",
    "Unavailable",
    "ValidationFailed",
    "error_body",
]


class DiscoError(Exception):
    status_code = 500
    code = "INTERNAL_ERROR"
    default_message = "Something went wrong on our side."

    def __init__(
        self,
        message: str | None = None,
        *,
        details: Any = None,
        headers: dict[str, str] | None = None,
        keep_changes: bool = False,
    ) -> None:
        self.message = message or self.default_message
        self.details = details
        self.headers = headers or {}
        # The unit of work commits before this error is answered, rather than rolling back:
        # for refusals that must leave a trace (a replayed refresh token revokes its family).
        self.keep_changes = keep_changes
        super().__init__(self.message)


class ValidationFailed(DiscoError):
    status_code = 422
    code = "VALIDATION_ERROR"
    default_message = "The request is not valid."


class Unauthorized(DiscoError):
    status_code = 401
    code = "UNAUTHORIZED"
    default_message = "Authentication is required."

    def __init__(self, message: str | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("headers", {"WWW-Authenticate": "Bearer"})
        super().__init__(message, **kwargs)


class Forbidden(DiscoError):
    status_code = 403
    code = "FORBIDDEN"
    default_message = "You may not do that."


class NotFound(DiscoError):
    status_code = 404
    code = "NOT_FOUND"
    default_message = "Not found."


class Conflict(DiscoError):
    status_code = 409
    code = "CONFLICT"
    default_message = "That conflicts with the current state."


class PayloadTooLarge(DiscoError):
    status_code = 413
    code = "VALIDATION_ERROR"
    default_message = "The request body is too large."


class RateLimited(DiscoError):
    status_code = 429
    code = "RATE_LIMITED"
    default_message = "Too many requests; slow down."


class Unavailable(DiscoError):
    status_code = 503
    code = "UNAVAILABLE"
    default_message = "A backend is unavailable; try again shortly."


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details}}
