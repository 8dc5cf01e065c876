"""What every service's ASGI app shares: wire models, error rendering, limits, middleware."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator
from pydantic.alias_generators import to_camel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware import Middleware
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from disco.platform.db import Database, UnitOfWork
from disco.platform.errors import (
    DiscoError,
    PayloadTooLarge,
    Unauthorized,
    Unavailable,
    ValidationFailed,
    error_body,
)
from disco.platform.jsonlimits import MAX_JSON_DEPTH, deeper_than, too_deep_message
from disco.platform.observability import RequestContextMiddleware
from disco.platform.outages import MAY_BE_OUTAGES, is_backend_outage
from disco.platform.security import Principal, TokenVerifier
from disco.platform.service_auth import (
    ServiceCallerMiddleware,
    ServiceCredentials,
    service_caller,
)

__all__ = [
    "ApiModel",
    "BodyLimitMiddleware",
    "CurrentPrincipal",
    "InputGuardMiddleware",
    "RequestModel",
    "RequireServiceCaller",
    "Uow",
    "bearer_token",
    "check_readiness",
    "create_service_app",
    "current_principal",
    "error_response",
    "from_state",
    "install_error_handlers",
    "not_nullable",
    "parse_request",
    "unit_of_work",
]

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


class ApiModel(BaseModel):
    """camelCase on the wire, snake_case in Python."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list | tuple | set | frozenset):
        return any(_holds_nul(v) for v in value)
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    return False


class RequestModel(ApiModel):
    """A request body: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=False, extra="forbid", str_strip_whitespace=True
    )

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        # No text in the API carries a NUL, and PostgreSQL cannot store one: refused here, it
        # is a 422 naming the field rather than a 500 from the database.
        if _holds_nul(value):
            raise ValueError("Text may not contain a NUL (\\u0000) character.")
        return value


RequestModelT = TypeVar("RequestModelT", bound=RequestModel)


def not_nullable(schema: dict[str, Any]) -> None:
    """``json_schema_extra`` for an optional field that may be left out but not sent as null
    (its validator refuses the null): the API document then says what the server accepts, so
    clients and fuzzers do not take ``null`` for a valid value."""
    variants = schema.pop("anyOf", None)
    if variants is not None:
        kept = [v for v in variants if v.get("type") != "null"]
        if len(kept) == 1:
            schema.update(kept[0])
        else:
            schema["anyOf"] = kept
    schema.pop("default", None)


def _json_error(
    status: int, code: str, message: str, details: Any = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(error_body(code, message, details), status_code=status, headers=headers)


def error_response(exc: DiscoError) -> JSONResponse:
    """A DiscoError in the error format, for code that answers outside the exception handlers
    (pure ASGI middleware, WebSocket denials)."""
    return _json_error(exc.status_code, exc.code, exc.message, exc.details, exc.headers)


def parse_request(model: type[RequestModelT], data: Any) -> RequestModelT:
    """``model`` from a body that did not come through FastAPI (a direct call, a frame), with
    the same 422 a request would get."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        details = [
            {
                "field": ".".join(str(p) for p in e["loc"]) or None,
                "message": e["msg"],
                "type": e["type"],
            }
            for e in exc.errors()
        ]
        raise ValidationFailed("Some fields are missing or invalid.", details=details) from None


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
    return _json_error(400, "VALIDATION_ERROR", message, details)


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
        return _json_error(422, "VALIDATION_ERROR", "Some fields are missing or invalid.", details)

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
            return _json_error(405, "METHOD_NOT_ALLOWED", message, None, headers)
        if exc.status_code == 400 and isinstance(exc.__cause__, ValueError):
            # FastAPI's answer to a body its JSON parser could not even decode (not UTF-8).
            return _not_json("it is not UTF-8 text")
        code = _STATUS_CODES.get(exc.status_code, "INTERNAL_ERROR")
        message = exc.detail if isinstance(exc.detail, str) else "Request failed."
        return _json_error(exc.status_code, code, message, None, headers)

    @app.exception_handler(Exception)
    async def _crash(_: Request, exc: Exception) -> JSONResponse:
        if is_backend_outage(exc):
            log.warning("a backend did not answer: %r", exc)
            return error_response(Unavailable())
        log.exception("unhandled error", exc_info=exc)
        return _json_error(500, "INTERNAL_ERROR", "Something went wrong on our side.")

    for kind in MAY_BE_OUTAGES:
        app.add_exception_handler(kind, _crash)  # type: ignore[arg-type]


def _may_be_json(scope: Scope) -> bool:
    """FastAPI reads a body as JSON when its type says JSON, and also when it names no type."""
    content_type = dict(scope.get("headers") or []).get(b"content-type")
    return content_type is None or b"json" in content_type.lower()


def _refusal(message: str, kind: str) -> JSONResponse:
    details = [{"field": None, "message": message, "type": kind}]
    return _json_error(400, "VALIDATION_ERROR", message, details)


class InputGuardMiddleware:
    """Refuses (400), before any endpoint sees it, input that no endpoint could use and that
    would otherwise fail deep inside one: a NUL character in the path or query (PostgreSQL
    cannot compare text holding one), or a JSON body nested deeper than ``max_json_depth``.
    Bodies that are not JSON (photo uploads) pass untouched."""

    def __init__(self, app: ASGIApp, max_json_depth: int = MAX_JSON_DEPTH) -> None:
        self.app = app
        self.max_json_depth = max_json_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query = scope.get("query_string", b"")
        if "\x00" in scope["path"] or b"%00" in query or b"\x00" in query:
            refusal = "The address may not contain a NUL (%00) character."
            await _refusal(refusal, "nul_character")(scope, receive, send)
            return
        if not _may_be_json(scope):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away mid-body: nobody is left to answer
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if deeper_than(body, self.max_json_depth):
            too_deep = too_deep_message(self.max_json_depth)
            await _refusal(too_deep, "json_too_deep")(scope, receive, send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


class BodyLimitMiddleware:
    """Refuses bodies over ``max_bytes`` (or their path's own limit) with 413 before the app
    reads them. A limit's path may hold ``{name}`` segments, each matching any one segment."""

    def __init__(
        self, app: ASGIApp, max_bytes: int, path_limits: Mapping[str, int] | None = None
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.path_limits = {
            tuple(path.split("/")): limit for path, limit in (path_limits or {}).items()
        }

    def _limit_of(self, path: str) -> int:
        segments = path.split("/")
        for pattern, limit in self.path_limits.items():
            if len(pattern) == len(segments) and all(
                p == s or (p.startswith("{") and p.endswith("}") and s)
                for p, s in zip(pattern, segments, strict=True)
            ):
                return limit
        return self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes = self._limit_of(scope["path"])
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > max_bytes):
            await _reject(send, max_bytes)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    raise PayloadTooLarge(f"The body is over {max_bytes} bytes.")
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except PayloadTooLarge:
            if not started:
                await _reject(send, max_bytes)


async def _reject(send: Send, max_bytes: int) -> None:
    response = _json_error(413, "VALIDATION_ERROR", f"The body is over {max_bytes} bytes.")
    await send({"type": "http.response.start", "status": 413, "headers": response.raw_headers})
    await send({"type": "http.response.body", "body": response.body})


class RequireServiceCaller:
    """Guards an app that only Disco's own services may call (a service's internal endpoints):
    a request without a valid service credential is refused before any route sees it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and service_caller(scope) is None:
            refusal = Unauthorized("Only Disco's own services may call this endpoint.")
            await error_response(refusal)(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        await self.app(scope, receive, send)


def create_service_app(
    name: str,
    *,
    credentials: ServiceCredentials,
    max_body_bytes: int,
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]] | None = None,
    title: str | None = None,
    openapi_url: str | None = "/openapi.json",
    middleware: Sequence[Middleware] = (),
    body_limits: Mapping[str, int] | None = None,
    internal: APIRouter | None = None,
    max_json_depth: int = MAX_JSON_DEPTH,
) -> FastAPI:
    """``middleware`` runs inside the request context (so it has a request id and its answers
    are counted) and outside the body limit (so it sees every request), first one outermost.

    ``internal`` holds the endpoints other services call. They are not mounted beside the
    public routes but in an app of their own under ``/internal``, which refuses any request
    without a service credential (``platform/service_auth.py``); it shares this app's state.
    """
    app = FastAPI(
        title=title or f"Disco {name}",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=openapi_url,
    )
    install_error_handlers(app)
    # Added first, so it runs inside the body limit: a body is counted before it is buffered.
    app.add_middleware(InputGuardMiddleware, max_json_depth=max_json_depth)
    app.add_middleware(BodyLimitMiddleware, max_bytes=max_body_bytes, path_limits=body_limits)
    for extra in reversed(middleware):
        app.add_middleware(extra.cls, *extra.args, **extra.kwargs)
    app.add_middleware(RequestContextMiddleware, service=name)
    app.add_middleware(ServiceCallerMiddleware, credentials=credentials, service=name)

    # Named checks of this app's backends; /readyz runs them all.
    app.state.readiness = {}

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        failing = await check_readiness(app.state.readiness)
        if failing:
            return JSONResponse({"status": "unavailable", "failing": failing}, status_code=503)
        return JSONResponse({"status": "ok"})

    if internal is not None:
        internal_app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
        install_error_handlers(internal_app)
        internal_app.add_middleware(RequireServiceCaller)
        internal_app.include_router(internal)
        internal_app.state = app.state
        app.mount("/internal", internal_app)
    return app


async def check_readiness(checks: dict[str, Callable[[], Awaitable[None]]]) -> list[str]:
    """Names of the checks that fail or take over two seconds."""

    async def one(name: str, check: Callable[[], Awaitable[None]]) -> str | None:
        try:
            await asyncio.wait_for(check(), timeout=2.0)
        except Exception:
            log.warning("readiness check %s failed", name, exc_info=True)
            return name
        return None

    results = await asyncio.gather(*(one(n, c) for n, c in checks.items()))
    return sorted(r for r in results if r is not None)


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


async def current_principal(request: Request) -> Principal:
    """The caller, verified against the JWKS (the app keeps its verifier in ``state``)."""
    token = bearer_token(request)
    if token is None:
        raise Unauthorized("A bearer access token is required.")
    verifier: TokenVerifier = request.app.state.token_verifier
    principal = await verifier.verify(token)
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


async def unit_of_work(request: Request) -> AsyncIterator[UnitOfWork]:
    """The request's one transaction, named ``<service>.<endpoint>`` for logs and metrics.

    Used with ``scope="function"`` (``Uow``): it commits when the endpoint returns and before
    the answer is sent, so whatever the client hears of has happened, and the client's next
    request, to any service, sees it.
    """
    db: Database = request.app.state.db
    route = request.scope.get("route")
    name = f"{db.service}.{getattr(route, 'name', None) or 'request'}"
    async with db.unit_of_work(name) as uow:
        yield uow


Uow = Annotated[UnitOfWork, Depends(unit_of_work, scope="function")]


def from_state(name: str) -> Callable[[Request], Any]:
    """A dependency on what the service host put in the app's state under ``name``:
    ``Service = Annotated[UsersService, Depends(from_state("service"))]``."""

    def get(request: Request) -> Any:
        return getattr(request.app.state, name)

    get.__name__ = f"state_{name}"
    return get
