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
from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.alias_generators import to_camel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from disco.platform.db import Database, UnitOfWork
from disco.platform.errors import (
    DiscoError,
    PayloadTooLarge,
    Unauthorized,
    ValidationFailed,
    error_body,
)
from disco.platform.observability import RequestContextMiddleware
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
    "parse_request",
    "unit_of_work",
]

log = logging.getLogger(__name__)

_STATUS_CODES = {
    400: "VALIDATION_ERROR",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "VALIDATION_ERROR",
    409: "CONFLICT",
    413: "VALIDATION_ERROR",
    415: "VALIDATION_ERROR",
    422: "VALIDATION_ERROR",
    429: "RATE_LIMITED",
}


class ApiModel(BaseModel):
    """camelCase on the wire, snake_case in Python."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class RequestModel(ApiModel):
    """A request body: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=False, extra="forbid", str_strip_whitespace=True
    )


RequestModelT = TypeVar("RequestModelT", bound=RequestModel)


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


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DiscoError)
    async def _disco(_: Request, exc: DiscoError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        details = _validation_details(exc)
        if any(d["type"] == "json_invalid" for d in details):
            return _json_error(400, "VALIDATION_ERROR", "The body is not valid JSON.", details)
        return _json_error(422, "VALIDATION_ERROR", "Some fields are missing or invalid.", details)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _STATUS_CODES.get(exc.status_code, "INTERNAL_ERROR")
        message = exc.detail if isinstance(exc.detail, str) else "Request failed."
        return _json_error(exc.status_code, code, message, None, dict(exc.headers or {}))

    @app.exception_handler(Exception)
    async def _crash(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return _json_error(500, "INTERNAL_ERROR", "Something went wrong on our side.")


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
