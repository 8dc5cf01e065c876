"""Rate limits exactly as API.md states them, counted in the KV store (so shared by gateways)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from disco.client import DiscoClient
from tests.conftest import PASSWORD, unique_email
from tests.support.backends import backend_settings, serve

PUBLIC = "/v1/auth/.well-known/jwks.json"
# The gateway and the one service these tests call, whatever else the system grows.
SERVICES = ("auth", "gateway")


def limit_headers(response: httpx.Response) -> tuple[int, int, int]:
    h = response.headers
    return (
        int(h["X-RateLimit-Limit"]),
        int(h["X-RateLimit-Remaining"]),
        int(h["X-RateLimit-Reset"]),
    )


def assert_rate_limited(response: httpx.Response, limit: int) -> None:
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "RATE_LIMITED"
    assert set(response.json()["error"]) == {"code", "message", "details"}
    got_limit, remaining, reset = limit_headers(response)
    assert (got_limit, remaining) == (limit, 0)
    assert 1 <= reset <= 60
    assert int(response.headers["Retry-After"]) == reset


async def test_the_61st_anonymous_request_in_a_minute_is_refused(
    backend: str, tmp_path: Path
) -> None:
    async with backend_settings(backend, tmp_path, rate_limit_anonymous_per_minute=60) as s:
        async with serve(s, SERVICES) as running, httpx.AsyncClient(base_url=running.url) as http:
            for n in range(1, 61):
                response = await http.get(PUBLIC)
                assert response.status_code == 200, n
                limit, remaining, reset = limit_headers(response)
                assert (limit, remaining) == (60, 60 - n)
                assert 1 <= reset <= 60
            assert_rate_limited(await http.get(PUBLIC), 60)
            # Past the budget every /v1 path is refused, not only the one that spent it.
            assert_rate_limited(await http.post("/v1/auth/login", json={}), 60)


async def test_a_signed_in_user_spends_their_own_budget_not_their_ips(
    backend: str, tmp_path: Path
) -> None:
    async with backend_settings(
        backend, tmp_path, rate_limit_anonymous_per_minute=5, rate_limit_user_per_minute=8
    ) as s:
        async with serve(s, SERVICES) as running:
            async with DiscoClient(running.url) as ada, DiscoClient(running.url) as bob:
                await ada.signup(unique_email("rl-ada"), PASSWORD, "Ada", "L")  # anonymous 1
                await bob.signup(unique_email("rl-bob"), PASSWORD, "Bob", "L")  # anonymous 2
                for n in range(1, 9):
                    response = await ada.request("GET", "/v1/auth/me")
                    assert response.status_code == 200
                    assert limit_headers(response)[:2] == (8, 8 - n)
                assert_rate_limited(await ada.request("GET", "/v1/auth/me"), 8)
                # Same address, another user: a budget of their own.
                response = await bob.request("GET", "/v1/auth/me")
                assert response.status_code == 200
                assert limit_headers(response)[:2] == (8, 7)
                # Nine signed-in calls from this address took nothing from its anonymous budget.
                anonymous = await running_get(running.url, PUBLIC)
                assert anonymous.status_code == 200
                assert limit_headers(anonymous)[:2] == (5, 2)


async def running_get(base_url: str, path: str, **kwargs: object) -> httpx.Response:
    async with httpx.AsyncClient(base_url=base_url) as http:
        return await http.get(path, **kwargs)  # type: ignore[arg-type]


async def test_a_garbage_bearer_token_spends_the_ip_budget(backend: str, tmp_path: Path) -> None:
    async with backend_settings(backend, tmp_path, rate_limit_anonymous_per_minute=4) as s:
        async with serve(s, SERVICES) as running, httpx.AsyncClient(base_url=running.url) as http:
            garbage = {"Authorization": "Bearer not.a.token"}
            first = await http.get(PUBLIC, headers=garbage)
            assert first.status_code == 200  # a public endpoint still answers
            assert limit_headers(first)[:2] == (4, 3)
            me = await http.get("/v1/auth/me", headers=garbage)
            assert me.status_code == 401
            assert me.json()["error"]["code"] == "UNAUTHORIZED"
            assert limit_headers(me)[:2] == (4, 2)
            assert limit_headers(await http.get(PUBLIC))[:2] == (4, 1)
            assert limit_headers(await http.get(PUBLIC, headers=garbage))[:2] == (4, 0)
            assert_rate_limited(await http.get(PUBLIC, headers=garbage), 4)
            assert_rate_limited(await http.get(PUBLIC), 4)


async def test_every_v1_answer_carries_the_three_headers_errors_included(
    backend: str, tmp_path: Path
) -> None:
    async with backend_settings(backend, tmp_path, rate_limit_anonymous_per_minute=50) as s:
        async with serve(s, SERVICES) as running, httpx.AsyncClient(base_url=running.url) as http:
            answers = [
                await http.get(PUBLIC),  # 200 from the service
                await http.get("/v1/no-such-area/x"),  # 404 from the gateway
                await http.get("/v1/auth/me"),  # 401 from the service
                await http.post("/v1/auth/login", json={"email": "x"}),  # 422
                await http.post(
                    "/v1/auth/login",
                    content=b"{not json",
                    headers={"Content-Type": "application/json"},
                ),  # 400
                await http.post("/v1/auth/login", content=b"x" * (s.max_body_bytes + 1)),  # 413
            ]
            assert [a.status_code for a in answers] == [200, 404, 401, 422, 400, 413]
            remaining = [limit_headers(a)[1] for a in answers]
            assert remaining == [49, 48, 47, 46, 45, 44]
            # Health and metrics are for the operators' probes and are not counted.
            health = await http.get("/healthz")
            assert "X-RateLimit-Limit" not in health.headers


@pytest.mark.real
async def test_two_gateway_processes_share_one_budget(tmp_path: Path) -> None:
    """Two systems on one Redis and one namespace: requests split across them hit the same
    limit at the same count, for addresses and for users."""
    async with backend_settings(
        "real", tmp_path, rate_limit_anonymous_per_minute=6, rate_limit_user_per_minute=4
    ) as s:
        async with serve(s, SERVICES) as one, serve(s, SERVICES) as two:
            urls = [one.url, two.url]
            async with DiscoClient(one.url) as ada:
                await ada.signup(unique_email("rl-two"), PASSWORD, "Ada", "L")  # anonymous 1
                for n in range(1, 5):
                    response = await ada.request("GET", urls[n % 2] + "/v1/auth/me")
                    assert response.status_code == 200
                    assert limit_headers(response)[:2] == (4, 4 - n)
                assert_rate_limited(await ada.request("GET", urls[1] + "/v1/auth/me"), 4)
                assert_rate_limited(await ada.request("GET", urls[0] + "/v1/auth/me"), 4)
            for n in range(2, 7):
                response = await running_get(urls[n % 2], PUBLIC)
                assert response.status_code == 200
                assert limit_headers(response)[:2] == (6, 6 - n)
            assert_rate_limited(await running_get(urls[1], PUBLIC), 6)
            assert_rate_limited(await running_get(urls[0], PUBLIC), 6)
