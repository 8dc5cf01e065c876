"""The gateway's endpoints: health, metrics, OpenAPI, the WebSocket, and the proxy to services."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, WebSocket
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from disco.gateway.service import Gateway
from disco.gateway.websocket import SocketSession

router = APIRouter()


async def _gateway(request: Request) -> Gateway:
    return request.app.state.gateway


GatewayDep = Annotated[Gateway, Depends(_gateway)]


@router.get("/metrics", include_in_schema=False)
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


@router.get("/openapi.json", include_in_schema=False)
async def openapi(gateway: GatewayDep) -> JSONResponse:
    return JSONResponse(await gateway.openapi())


@router.get("/docs", include_in_schema=False)
async def docs() -> HTMLResponse:
    # Swagger UI's files come with the web client's build (web/vite.config.ts), never a CDN:
    # the page must work on a machine with no internet.
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="Disco API",
        swagger_js_url="/api-docs/swagger-ui-bundle.js",
        swagger_css_url="/api-docs/swagger-ui.css",
        swagger_favicon_url="data:,",
    )


@router.websocket("/v1/ws")
async def websocket(ws: WebSocket) -> None:
    await SocketSession(ws, ws.app.state.gateway, ws.app.state.sockets).run()


async def proxy(request: Request) -> Response:
    """Every API call: a plain Starlette route (``create_app`` puts it first), since FastAPI's
    dependency solving, its per-request exit stack and its included-router matching were
    a third of the gateway's own CPU per request (``bench.gateway`` profile), and this route
    has nothing to inject or validate."""
    gateway: Gateway = request.app.state.gateway
    return await gateway.proxy.forward(request)


PROXY_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
