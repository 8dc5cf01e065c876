"""Errors as every service answers them: the error format, and the handlers that turn
exceptions (ours, FastAPI's validation, Starlette's 404/405, a backend outage) into it."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from disco.platform.errors import DiscoError, Unavailable, error_body
from disco.platform.outages import MAY_BE_OUTAGES, is_backend_outage

__all__ = ["error_response", "install_error_handlers", "json_error", "unexpected_error"]

log = logging.getLogger(__name__)

_STATUS_CODES = {
    400: "VALIDATION_ERROR",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    413: "VALIDATION_ERROR",
    415: "VALIDATION_ERROR",
    422: "VALIDATION_ERROR",
    429: "RATE_LIMITED",
}


def json_error(
    status: int, code: str, message: str, details: Any = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(error_body(code, message, details), status_code=status, headers=headers)


def error_response(exc: DiscoError) -> JSONResponse:
    """A DiscoError in the error format, for code that answers outside the exception handlers
    (pure ASGI middleware, WebSocket denials)."""
    return json_error(exc.status_code, exc.code, exc.message, exc.details, exc.headers)


def _validation_details(exc: RequestValidationError) -> list[dict[str, Any]]:
    details = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p != "body"]
        details.append(
            {"field": ".".join(loc) or None, "message": err.get("msg"), "type": err.get("type")}
        )
    return details


def _not_json(reason: str) -> JSONResponse:
    """400 for a body that is not JSON at all: no field is to blame, so none is named."""
    message = f"The body is not valid JSON: {reason}."
    details = [{"field": None, "message": message, "type": "json_invalid"}]
    return json_error(400, "VALIDATION_ERROR", message, details)


def _where(document: Any, position: int) -> str:
    """``line L, column C`` of a character offset, as an editor counts them."""
    text = document.decode("utf-8", "replace") if isinstance(document, bytes) else str(document)
    line = text.count("\n", 0, position) + 1
    column = position - (text.rfind("\n", 0, position) + 1) + 1
    return f"line {line}, column {column}"


def _allowed_methods(request: Request) -> list[str]:
    """Every method this app answers at the request's path. FastAPI makes one route per
    method, so the router's own 405 names only the first route it found: ask them all."""
    allowed = []
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        probe = {**request.scope, "method": method}
        if any(route.matches(probe)[0] == Match.FULL for route in request.app.router.routes):
            allowed.append(method)
    return allowed


def unexpected_error(exc: Exception) -> DiscoError:
    """How an exception no handler expected is answered, logged: a backend that did not answer
    is a 503 the client may retry, anything else a bug (a 500, with its traceback in the log).
    For code that answers outside the handlers too (a socket frame's in-process call)."""
    if is_backend_outage(exc):
        # Type and message: redis-py's repr names the error's kind alone, not what happened.
        log.warning("a backend did not answer: %s: %s", type(exc).__name__, exc)
        return Unavailable()
    log.error("unhandled error", exc_info=exc)
    return DiscoError()


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DiscoError)
    async def _disco(_: Request, exc: DiscoError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        broken = next((e for e in exc.errors() if e.get("type") == "json_invalid"), None)
        if broken is not None:
            reason = str((broken.get("ctx") or {}).get("error") or "it cannot be parsed")
            position = broken["loc"][-1] if broken.get("loc") else None
            if isinstance(position, int) and exc.body is not None:
                reason = f"{reason} at {_where(exc.body, position)}"
            return _not_json(reason)
        details = _validation_details(exc)
        return json_error(422, "VALIDATION_ERROR", "Some fields are missing or invalid.", details)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            allowed = _allowed_methods(request) or [
                m.strip() for m in headers.get("Allow", "").split(",") if m.strip()
            ]
            headers["Allow"] = ", ".join(allowed)
            message = (
                f"{request.method} is not allowed here; this path accepts "
                f"{', '.join(allowed) or 'no method'}."
            )
            return json_error(405, "METHOD_NOT_ALLOWED", message, None, headers)
        if exc.status_code == 400 and isinstance(exc.__cause__, ValueError):
            # FastAPI's answer to a body its JSON parser could not even decode (not UTF-8).
            return _not_json("it is not UTF-8 text")
        code = _STATUS_CODES.get(exc.status_code, "INTERNAL_ERROR")
        message = exc.detail if isinstance(exc.detail, str) else "Request failed."
        return json_error(exc.status_code, code, message, None, headers)

    @app.exception_handler(Exception)
    async def _crash(_: Request, exc: Exception) -> JSONResponse:
        return error_response(unexpected_error(exc))

    async def _outage(_: Request, exc: Exception) -> JSONResponse:
        """Answered here, not re-raised past the app (the catch-all above always is, and the
        server logs a traceback for each request during a backend blip); a bug goes on."""
        if not is_backend_outage(exc):
            raise exc
        return error_response(unexpected_error(exc))

    for kind in MAY_BE_OUTAGES:
        app.add_exception_handler(kind, _outage)
