"""The gateway's in-process hop (``disco up``): the service's app gets the request it would get
over HTTP, with the gateway's credential, and the client its answer minus one-hop headers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from disco.gateway.proxy import ServiceProxy
from disco.platform.http import ServiceDirectory
from disco.platform.service_auth import (
    CLIENT_IP_HEADER,
    ServiceCallerMiddleware,
    ServiceCredentials,
    service_caller,
)

SECRET = [b"k" * 32]


def service_app() -> FastAPI:
    app = FastAPI()

    @app.api_route("/v1/auth/echo/{name}", methods=["GET", "POST"])
    async def echo(request: Request, name: str) -> Response:
        seen = {
            "name": name,
            "path": request.scope["path"],
            "rawPath": request.scope["raw_path"].decode(),
            "query": request.scope["query_string"].decode(),
            "body": (await request.body()).decode(),
            "caller": service_caller(request.scope),
            "clientIp": request.headers.get(CLIENT_IP_HEADER),
            "custom": request.headers.get("x-custom"),
            "smuggled": request.headers.get("x-disco-user"),
        }
        return JSONResponse(seen, headers={"x-answer": "kept", "x-disco-user": "never-passed-on"})

    @app.get("/v1/auth/boom")
    async def boom() -> None:
        raise RuntimeError("a bug in the service")

    app.add_middleware(
        ServiceCallerMiddleware, credentials=ServiceCredentials(SECRET, caller="x"), service="auth"
    )
    return app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    directory = ServiceDirectory(ServiceCredentials(SECRET, caller="gateway"))
    directory.register_app("auth", service_app())
    proxy = ServiceProxy(directory)
    gateway = FastAPI()

    @gateway.api_route("/v1/{path:path}", methods=["GET", "POST"])
    async def forward(request: Request) -> Response:
        return await proxy.forward(request)

    transport = httpx.ASGITransport(app=gateway, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://disco.test") as http:
        yield http
    await directory.close()


async def test_the_service_sees_the_request_as_the_http_hop_would_send_it(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/v1/auth/echo/%C3%A9t%C3%A9?page=2&q=a%20b",
        content=b'{"hello": "world"}',
        headers={"x-custom": "passed", "x-disco-user": "mallory", CLIENT_IP_HEADER: "6.6.6.6"},
    )
    assert response.status_code == 200
    seen: dict[str, Any] = response.json()
    assert seen == {
        "name": "été",
        "path": "/v1/auth/echo/été",
        "rawPath": "/v1/auth/echo/%C3%A9t%C3%A9",
        "query": "page=2&q=a%20b",
        "body": '{"hello": "world"}',
        "caller": "gateway",  # the gateway's credential, checked by the service
        "clientIp": "127.0.0.1",  # the gateway's word, not the client's header
        "custom": "passed",
        "smuggled": None,
    }


async def test_the_answer_keeps_its_length_and_loses_one_hop_headers(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/v1/auth/echo/x")
    assert response.headers["x-answer"] == "kept"
    assert "x-disco-user" not in response.headers
    assert int(response.headers["content-length"]) == len(response.content)


async def test_a_service_that_fails_answers_500_and_the_gateway_keeps_going(
    client: httpx.AsyncClient,
) -> None:
    assert (await client.get("/v1/auth/boom")).status_code == 500
    assert (await client.get("/v1/auth/echo/after")).json()["name"] == "after"
