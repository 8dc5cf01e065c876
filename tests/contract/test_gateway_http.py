"""The gateway over HTTP: routing, body limits, request ids, health, metrics, OpenAPI."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from disco.client import DiscoClient
from disco.platform.clock import FrozenClock
from tests.conftest import PASSWORD, unique_email
from tests.support.backends import backend_settings, serve
from tests.support.net import free_port

SERVICES = ("auth", "gateway")


@dataclass(frozen=True)
class Front:
    url: str  # the gateway's
    auth_app: FastAPI  # the app of the auth service behind it


@pytest.fixture(scope="module", params=["in-process", "network"])
async def gateway(
    backend: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Front]:
    """The gateway in front of auth, with the smallest body limit Settings allows: in one
    process (``disco up``), or in a process of its own that reaches auth over the network, as
    in a cluster (``gateway/remote.py``)."""
    data_dir = tmp_path_factory.mktemp(f"gateway-{backend}")
    async with backend_settings(backend, data_dir, max_body_bytes=1024) as settings:
        if request.param == "in-process":
            async with serve(settings, SERVICES) as running:
                yield Front(running.url, running.system.apps["auth"])
            return
        async with serve(settings, ["auth"]) as auth:
            apart = settings.model_copy(update={"service_urls": {"auth": auth.url}})
            async with serve(apart, ["gateway"]) as running:
                yield Front(running.url, auth.system.apps["auth"])


@pytest.fixture
async def http(gateway: Front) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=gateway.url) as client:
        yield client


def assert_error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]


# --- routing ------------------------------------------------------------------------------------
async def test_a_v1_path_reaches_the_service_that_owns_its_area(http: httpx.AsyncClient) -> None:
    response = await http.get("/v1/auth/.well-known/jwks.json")
    assert response.status_code == 200
    assert response.json()["keys"]


async def test_an_unknown_area_is_404_in_the_error_format(http: httpx.AsyncClient) -> None:
    assert_error(await http.get("/v1/no-such-area/anything"), 404, "NOT_FOUND")
    assert_error(await http.post("/v1/no-such-area", json={}), 404, "NOT_FOUND")


async def test_an_expired_token_does_not_stand_in_the_way_of_a_refresh(
    backend: str, tmp_path: Path
) -> None:
    """The gateway counts a bad token against the address and lets the service decide: the
    refresh endpoint needs no access token, and a client usually holds an expired one."""
    issued_expired = FrozenClock(datetime.now(UTC) - timedelta(hours=2))
    async with backend_settings(backend, tmp_path) as s:
        async with serve(s, SERVICES, clock=issued_expired) as running:
            async with DiscoClient(running.url) as c:
                await c.signup(unique_email("expired"), PASSWORD, "Ada", "L")
                me = await c.request("GET", "/v1/auth/me")
                assert_error(me, 401, "UNAUTHORIZED")
                pair = await c.refresh()  # sent with the expired bearer token
                assert pair["refreshToken"]


async def test_a_service_that_is_down_is_503_in_the_error_format(
    backend: str, tmp_path: Path
) -> None:
    """A gateway-only process whose auth service URL answers nothing, as in a cluster."""
    down = f"http://127.0.0.1:{free_port()}"
    async with backend_settings(backend, tmp_path, service_urls={"auth": down}) as s:
        async with serve(s, ["gateway"]) as running:
            async with httpx.AsyncClient(base_url=running.url) as http:
                response = await http.post("/v1/auth/login", json={"email": "a@b.c"})
                assert_error(response, 503, "UNAVAILABLE")
                assert "auth" in response.json()["error"]["message"]
                assert response.headers["X-RateLimit-Limit"]  # still counted and told
                # A bearer token cannot be checked without the auth service's keys either.
                response = await http.get("/v1/auth/me", headers={"Authorization": "Bearer a.b.c"})
                assert_error(response, 503, "UNAVAILABLE")
                ready = await http.get("/readyz")
                assert ready.status_code == 503
                assert ready.json()["failing"] == ["auth"]
                assert (await http.get("/healthz")).status_code == 200


# --- body size ----------------------------------------------------------------------------------
async def test_a_body_over_the_limit_is_413_when_its_length_is_declared(
    http: httpx.AsyncClient,
) -> None:
    response = await http.post(
        "/v1/auth/login",
        content=b"{" + b" " * 2000 + b"}",
        headers={"Content-Type": "application/json"},
    )
    assert_error(response, 413, "VALIDATION_ERROR")
    assert response.headers["X-RateLimit-Remaining"]


async def test_a_chunked_body_over_the_limit_is_413(http: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(4):
            yield b" " * 400

    response = await http.post(
        "/v1/auth/login", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    assert response.request.headers["transfer-encoding"] == "chunked"
    assert_error(response, 413, "VALIDATION_ERROR")


async def test_a_chunked_body_under_the_limit_goes_through(http: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"email": "nobody@example.com",'
        yield b' "password": "not the password"}'

    response = await http.post(
        "/v1/auth/login", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert_error(response, 401, "UNAUTHORIZED")


# --- request ids --------------------------------------------------------------------------------
async def test_a_request_id_that_is_sent_is_echoed(http: httpx.AsyncClient) -> None:
    for path in ("/v1/auth/.well-known/jwks.json", "/v1/no-such-area", "/healthz"):
        response = await http.get(path, headers={"X-Request-Id": "client-chosen-id-42"})
        assert response.headers["X-Request-Id"] == "client-chosen-id-42"


async def test_a_request_id_is_made_up_when_none_is_sent(http: httpx.AsyncClient) -> None:
    first = await http.get("/v1/auth/.well-known/jwks.json")
    second = await http.get("/v1/no-such-area")
    ids = [first.headers["X-Request-Id"], second.headers["X-Request-Id"]]
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)
    assert ids[0] != ids[1]


# --- health and metrics -------------------------------------------------------------------------
async def test_healthz_and_readyz_answer_ok_when_everything_is_up(
    http: httpx.AsyncClient,
) -> None:
    assert (await http.get("/healthz")).json() == {"status": "ok"}
    ready = await http.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok"}


async def test_readyz_names_the_kv_store_when_it_does_not_answer(
    backend: str, tmp_path: Path
) -> None:
    closed = f"redis://127.0.0.1:{free_port()}/0"
    async with backend_settings(backend, tmp_path, redis_url=closed) as s:
        async with serve(s, SERVICES) as running:
            async with httpx.AsyncClient(base_url=running.url, timeout=30) as http:
                ready = await http.get("/readyz")
                assert ready.status_code == 503
                assert "kv" in ready.json()["failing"]
                assert (await http.get("/healthz")).status_code == 200
                # Without its counters the gateway refuses rather than serve unlimited.
                response = await http.get("/v1/auth/.well-known/jwks.json")
                assert_error(response, 503, "UNAVAILABLE")


async def test_metrics_are_prometheus_text_with_request_counts(
    http: httpx.AsyncClient,
) -> None:
    await http.get("/v1/auth/.well-known/jwks.json")
    response = await http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert re.search(
        r'^disco_http_requests_total\{[^}]*service="gateway"[^}]*\} \d', response.text, re.M
    )


# --- OpenAPI ------------------------------------------------------------------------------------
def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


async def test_openapi_lists_every_auth_path_with_resolvable_schemas(
    gateway: Front, http: httpx.AsyncClient
) -> None:
    response = await http.get("/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    own = gateway.auth_app.openapi()
    auth_paths = {p for p in own["paths"] if p.startswith("/v1/auth")}
    assert auth_paths
    assert auth_paths <= set(document["paths"])
    for path in auth_paths:
        assert set(own["paths"][path]) == set(document["paths"][path]), path
    assert all(p.startswith("/v1/") for p in document["paths"])  # internal routes stay private
    refs = _refs(document)
    assert refs
    schemas = document["components"]["schemas"]
    for ref in refs:
        assert ref.startswith("#/components/schemas/"), ref
        assert ref.removeprefix("#/components/schemas/") in schemas, ref


async def test_docs_is_an_html_page_over_the_merged_document(http: httpx.AsyncClient) -> None:
    response = await http.get("/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "/openapi.json" in response.text
