"""Service credentials: tokens addressed to one service, short-lived, from the deployment's
key ring; the headers only a credentialed caller may send are dropped from anyone else."""

from __future__ import annotations

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from disco.platform.service_auth import (
    CLIENT_IP_HEADER,
    SERVICE_TOKEN_HEADER,
    ServiceCallerMiddleware,
    ServiceCredentials,
    service_caller,
)

OLD, NEW = b"o" * 32, b"n" * 32


class Ticks:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_a_token_is_for_one_service_and_expires() -> None:
    clock = Ticks()
    gateway = ServiceCredentials([NEW], caller="gateway", ttl_seconds=120, now=clock)
    token = gateway.token_for("auth")
    assert gateway.caller_of(token, "auth") == "gateway"
    assert gateway.caller_of(token, "users") is None
    assert gateway.token_for("auth") == token  # reused while young
    clock.now += 61
    assert gateway.token_for("auth") != token  # renewed past half its life
    assert gateway.caller_of(token, "auth") == "gateway"  # still current
    clock.now += 65
    assert gateway.caller_of(token, "auth") is None  # checked before, expired now
    clock.now = 2_000_000.0
    assert ServiceCredentials([NEW], caller="auth").caller_of(token, "auth") is None


def test_a_rotated_ring_still_accepts_the_old_keys_tokens_and_a_stranger_is_refused() -> None:
    before = ServiceCredentials([OLD], caller="match")
    after = ServiceCredentials([NEW, OLD], caller="users")
    assert after.caller_of(before.token_for("users"), "users") == "match"
    assert before.caller_of(after.token_for("match"), "match") is None  # signed with NEW
    stranger = ServiceCredentials([b"s" * 32], caller="mallory")
    assert after.caller_of(stranger.token_for("users"), "users") is None
    assert after.caller_of("garbage", "users") is None


async def _echo(request: Request) -> JSONResponse:
    return JSONResponse(
        {"caller": service_caller(request.scope), "ip": request.headers.get(CLIENT_IP_HEADER)}
    )


async def test_only_a_credentialed_caller_may_vouch_for_the_client_address() -> None:
    credentials = ServiceCredentials([NEW], caller="gateway")
    app = ServiceCallerMiddleware(
        Starlette(routes=[Route("/", _echo)]), credentials=credentials, service="auth"
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://auth"
    ) as http:
        spoofed = await http.get("/", headers={CLIENT_IP_HEADER: "1.2.3.4"})
        assert spoofed.json() == {"caller": None, "ip": None}
        vouched = (
            await http.get(
                "/",
                headers={
                    CLIENT_IP_HEADER: "1.2.3.4",
                    SERVICE_TOKEN_HEADER: credentials.token_for("auth"),
                },
            )
        ).json()
        assert vouched == {"caller": "gateway", "ip": "1.2.3.4"}
