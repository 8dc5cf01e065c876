"""The gateway's hop to a service in another process (``gateway/remote.py``), against a server
that answers as a service may: a redirect with a cookie, a large body, a path prefix."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from starlette.responses import StreamingResponse

from disco.gateway.remote import answer_of, open_remote, target_url
from disco.platform.errors import ValidationFailed
from disco.platform.http import ServiceDirectory
from disco.platform.service_auth import ServiceCredentials

BIG = bytes(range(256)) * 1024  # 256 KiB: more than the gateway buffers


@pytest.fixture
async def service() -> AsyncIterator[tuple[str, list[web.Request]]]:
    """A service under the path prefix ``/svc``; every request it got, in order."""
    seen: list[web.Request] = []

    async def authorize(request: web.Request) -> web.Response:
        seen.append(request)
        raise web.HTTPFound("http://127.0.0.1:9/elsewhere", headers={"Set-Cookie": "bind=1"})

    async def elsewhere(request: web.Request) -> web.Response:
        seen.append(request)
        return web.Response(text="followed")

    async def big(request: web.Request) -> web.StreamResponse:
        seen.append(request)
        response = web.StreamResponse(headers={"X-Kind": "big"})
        await response.prepare(request)
        for start in range(0, len(BIG), 10_000):
            await response.write(BIG[start : start + 10_000])
        return response

    app = web.Application()
    app.router.add_get("/svc/v1/auth/authorize", authorize)
    app.router.add_get("/svc/v1/auth/elsewhere", elsewhere)
    app.router.add_get("/svc/v1/chats/big", big)
    async with TestServer(app) as server:
        yield str(server.make_url("/svc")), seen


@pytest.fixture
async def directory(service: tuple[str, list[web.Request]]) -> AsyncIterator[ServiceDirectory]:
    credentials = ServiceCredentials([b"k" * 32], caller="gateway")
    directory = ServiceDirectory(credentials, {"auth": service[0], "chat": service[0]})
    yield directory
    await directory.close()


async def test_a_redirect_goes_to_the_client_with_its_cookie_and_is_not_followed(
    service: tuple[str, list[web.Request]], directory: ServiceDirectory
) -> None:
    base, seen = service
    upstream = await open_remote(
        directory.forwarding_session("auth"),
        "auth",
        "GET",
        target_url(base, "/v1/auth/authorize", b"state=a%2Fb"),
        [("x-disco-service-token", "secret")],
        b"",
    )
    answer = await answer_of(upstream, frozenset())
    assert answer.status_code == 302
    headers = dict(answer.raw_headers)
    assert headers[b"Location"] == b"http://127.0.0.1:9/elsewhere"
    assert headers[b"Set-Cookie"] == b"bind=1"
    # The service got the request once, as sent; nobody was asked for the redirect's target.
    (request,) = seen
    assert request.raw_path == "/svc/v1/auth/authorize?state=a%2Fb"
    assert request.headers["x-disco-service-token"] == "secret"
    assert "User-Agent" not in request.headers  # nothing the client did not send


async def test_a_large_answer_streams_and_its_connection_goes_back(
    service: tuple[str, list[web.Request]], directory: ServiceDirectory
) -> None:
    base, seen = service
    session = directory.forwarding_session("chat")
    for _ in range(3):
        upstream = await open_remote(
            session, "chat", "GET", target_url(base, "/v1/chats/big", b""), [], b""
        )
        answer = await answer_of(upstream, frozenset())
        assert isinstance(answer, StreamingResponse)
        assert answer.status_code == 200
        assert dict(answer.raw_headers)[b"X-Kind"] == b"big"
        assert b"".join([chunk async for chunk in answer.body_iterator]) == BIG
    # All three came on one connection: each was given back to the pool once passed on.
    assert len({request.transport.get_extra_info("peername") for request in seen}) == 1


def test_a_path_the_client_would_read_otherwise_is_refused() -> None:
    assert str(target_url("http://s:1/p/", "/v1/a%20b", b"q=1")) == "http://s:1/p/v1/a%20b?q=1"
    for read_otherwise in ("/v1/a#b", "/v1/a?b"):  # canonical_path lets neither through
        with pytest.raises(ValidationFailed):
            target_url("http://s:1", read_otherwise, b"")
