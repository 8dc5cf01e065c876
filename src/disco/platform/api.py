"""What every service's ASGI app shares: wire models, error rendering, limits, middleware."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from disco.platform.db import Database, UnitOfWork
from disco.platform.errors import PayloadTooLarge, Unauthorized, ValidationFailed
from disco.platform.http_errors import error_response, install_error_handlers, json_error
from disco.platform.jsonlimits import MAX_JSON_DEPTH, deeper_than, too_deep_message
from disco.platform.observability import RequestContextMiddleware
from disco.platform.security import Principal, TokenVerifier
from disco.platform.service_auth import (
    ServiceCallerMiddleware,
    ServiceCredentials,
    service_caller,
)
from disco.platform.wire import RequestModel

__all__ = [
    "BodyLimitMiddleware",
    "CurrentPrincipal",
    "InputGuardMiddleware",
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


RequestModelT = TypeVar("RequestModelT", bound=RequestModel)


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


def _may_be_json(scope: Scope) -> bool:
    """FastAPI reads a body as JSON when its type says JSON, and also when it names no type."""
    content_type = dict(scope.get("headers") or []).get(b"content-type")
    return content_type is None or b"json" in content_type.lower()


def _refusal(message: str, kind: str) -> JSONResponse:
    details = [{"field": None, "message": message, "type": kind}]
    return json_error(400, "VALIDATION_ERROR", message, details)


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
    response = json_error(413, "VALIDATION_ERROR", f"The body is over {max_bytes} bytes.")
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


def from_state(name: str) -> Callable[[Request], Awaitable[Any]]:
    """A dependency on what the service host put in the app's state under ``name``:
    ``Service = Annotated[UsersService, Depends(from_state("service"))]``.

    A coroutine, as every dependency here: FastAPI runs a plain function in a worker thread,
    which cost a tenth of a request's CPU (a thread hop and anyio's limiter) to read an
    attribute (``bench.gateway`` profile)."""

    async def get(request: Request) -> Any:
        return getattr(request.app.state, name)

    get.__name__ = f"state_{name}"
    return get
