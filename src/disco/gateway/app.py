"""create_app(ctx): the gateway as an ASGI app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware import Middleware
from starlette.responses import Response
from starlette.types import Scope
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from disco.gateway import api
from disco.gateway.handlers import on_realtime_push
from disco.gateway.ratelimit import RateLimiter, RateLimitMiddleware
from disco.gateway.service import Gateway
from disco.gateway.websocket import PersonSockets
from disco.platform.api import create_service_app
from disco.platform.context import ServiceContext
from disco.platform.observability import keep_secrets_out_of_server_logs

__all__ = ["NAME", "create_app"]

NAME = "gateway"
WEB_CLIENT = Path(__file__).resolve().parent.parent / "web"
# The web client's own meta policy (web/index.html), plus what only a header can say: no other
# site may frame the app (clickjacking a "Say hi", an SOS or a moderator's action).
WEB_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; img-src 'self' data: blob:; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


class WebClientFiles(StaticFiles):
    """The built web client, each file sent with the security headers above."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers.update(WEB_HEADERS)
        return response


def create_app(ctx: ServiceContext) -> FastAPI:
    gateway = Gateway(ctx)
    ctx.bus.subscribe(NAME, ["realtime.#"], on_realtime_push(gateway.hub), broadcast=True)
    # Sockets may bring their token in the query string, which the server logs with the path.
    keep_secrets_out_of_server_logs()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        gateway.presence.start()
        try:
            yield
        finally:
            await gateway.presence.stop()

    app = create_service_app(
        NAME,
        lifespan=lifespan,
        credentials=ctx.credentials,
        max_body_bytes=ctx.settings.max_body_bytes,
        body_limits=ctx.settings.body_limits,
        title="Disco",
        openapi_url=None,  # it serves the merged document instead
        middleware=[
            # First: the rate limits, the proxy and the sockets all take the client's address
            # from the scope, which this sets from X-Forwarded-For only for trusted proxies.
            Middleware(ProxyHeadersMiddleware, trusted_hosts=ctx.settings.trusted_proxies),
            Middleware(
                RateLimitMiddleware,
                limiter=RateLimiter(ctx.kv, ctx.settings),
                tokens=ctx.tokens,
            ),
        ],
    )
    app.state.gateway = gateway
    app.state.sockets = PersonSockets(ctx.settings.ws_max_sockets_per_user)
    app.state.readiness = gateway.readiness_checks()
    app.state.token_verifier = ctx.tokens
    # The proxy first: it is every API call, and the routes after it are few and not under /v1
    # (the socket's route is a WebSocket one, which an HTTP route never matches).
    app.add_route("/v1/{path:path}", api.proxy, methods=api.PROXY_METHODS, include_in_schema=False)
    app.include_router(api.router)
    if (WEB_CLIENT / "index.html").exists():
        app.mount("/", WebClientFiles(directory=WEB_CLIENT, html=True), name="web")
    return app
