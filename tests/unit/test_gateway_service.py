"""The gateway's pure rules: routing, frame rate, frame routes, the merged OpenAPI document."""

from __future__ import annotations

from typing import Any

import pytest

from disco.gateway.frames import FRAME_ROUTES, FrameRate, FrameRoute
from disco.gateway.hub import Connection, SocketHub
from disco.gateway.openapi import merge_openapi
from disco.gateway.proxy import canonical_path, forwardable, owner_of
from disco.platform.errors import ValidationFailed
from disco.platform.observability import redact_secrets


class Ticks:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("path", "owner"),
    [
        ("/v1/auth/login", "auth"),
        ("/v1/auth", "auth"),
        ("/v1/users/me", "users"),
        ("/v1/location", "match"),
        ("/v1/matches/42", "match"),
        ("/v1/chats/rooms", "chat"),
        ("/v1/keys/u1", "chat"),
        ("/v1/safety/alerts", "safety"),
        ("/v1/nonsense/x", None),
        ("/v2/auth/login", None),
        ("/auth/login", None),
        ("/v1/", None),
    ],
)
def test_owner_of_names_the_service_of_an_area(path: str, owner: str | None) -> None:
    assert owner_of(path) == owner


def test_frame_rate_allows_a_burst_of_twice_the_rate_then_refuses() -> None:
    ticks = Ticks()
    rate = FrameRate(5, max_strikes=20, monotonic=ticks)
    assert [rate.allow() for _ in range(10)] == [True] * 10
    assert rate.allow() is False
    ticks.now += 0.2  # one frame's worth of refill at 5/s
    assert rate.allow() is True
    assert rate.allow() is False


def test_a_sustained_flood_exhausts_the_strikes() -> None:
    ticks = Ticks()
    rate = FrameRate(5, max_strikes=20, monotonic=ticks)
    for _ in range(10):
        rate.allow()
    refused = 0
    while not rate.exhausted:
        assert rate.allow() is False
        refused += 1
        ticks.now += 0.01
    assert refused == 21


def test_strikes_fade_so_an_occasional_burst_is_forgiven() -> None:
    ticks = Ticks()
    rate = FrameRate(5, max_strikes=20, monotonic=ticks)
    for _ in range(100):  # a burst over the rate every two seconds, for 200 seconds
        for _ in range(11):
            rate.allow()
        ticks.now += 2.0
    assert not rate.exhausted


def test_frame_routes_cover_the_client_frames_of_the_api() -> None:
    assert FRAME_ROUTES["location_update"].service == "match"
    assert FRAME_ROUTES["typing"].service == "chat"
    assert FRAME_ROUTES["read"].service == "chat"


def test_a_frame_route_fills_its_path_from_the_data_and_sends_the_rest() -> None:
    route = FrameRoute("chat", "POST", "/v1/chats/rooms/{roomId}/read")
    assert route.target({"roomId": "r_1-a", "upTo": "m9"}) == (
        "/v1/chats/rooms/r_1-a/read",
        {"upTo": "m9"},
    )
    assert FRAME_ROUTES["location_update"].target({"latitude": 1.5}) == (
        "/v1/location",
        {"latitude": 1.5},
    )


@pytest.mark.parametrize("room", [None, "", "../../auth/me", "a/b", "x" * 65, 7, "a?b=c"])
def test_a_frame_route_refuses_path_values_that_are_not_ids(room: Any) -> None:
    route = FrameRoute("chat", "POST", "/v1/chats/rooms/{roomId}/read")
    with pytest.raises(ValidationFailed):
        route.target({"roomId": room} if room is not None else {})


def test_the_hub_delivers_to_every_socket_of_the_named_users_only() -> None:
    hub = SocketHub()
    a1, a2, b = Connection("a"), Connection("a"), Connection("b")
    for c in (a1, a2, b):
        hub.add(c)
    assert hub.deliver(["a"], {"type": "x"}) == 2
    assert a1.outbox.get_nowait() == a2.outbox.get_nowait() == {"type": "x"}
    assert b.outbox.empty()
    hub.remove(a1)
    assert hub.deliver(["a", "b"], {"type": "y"}) == 2
    assert a1.outbox.empty()
    assert hub.count == 2


def test_a_socket_too_slow_to_drain_its_queue_is_marked_closed() -> None:
    connection = Connection("a")
    for _ in range(connection.outbox.maxsize):
        assert connection.offer({"type": "x"})
    assert not connection.closed.is_set()
    assert connection.offer({"type": "x"}) is False
    assert connection.closed.is_set()


def test_hop_headers_and_identity_headers_from_clients_are_not_forwarded() -> None:
    headers = [
        (b"Host", b"example"),
        (b"Content-Length", b"3"),
        (b"X-Disco-Client-Ip", b"6.6.6.6"),
        (b"X-Request-Id", b"spoofed-id"),
        (b"Authorization", b"Bearer t"),
        (b"Content-Type", b"application/json"),
    ]
    assert forwardable(headers) == [
        (b"Authorization", b"Bearer t"),
        (b"Content-Type", b"application/json"),
    ]


def _doc(schema_name: str, path: str) -> dict[str, Any]:
    ref = {"$ref": f"#/components/schemas/{schema_name}"}
    return {
        "paths": {
            path: {"post": {"requestBody": {"content": {"application/json": {"schema": ref}}}}},
            "/internal/secret": {"get": {}},
        },
        "components": {"schemas": {schema_name: {"type": "object"}, "Page": {"type": "object"}}},
    }


def test_merged_openapi_keeps_public_paths_and_prefixes_schema_names() -> None:
    merged = merge_openapi(
        {"auth": _doc("Login", "/v1/auth/login"), "chat": _doc("Login", "/v1/chats/rooms")},
        title="Disco",
        version="1",
    )
    assert set(merged["paths"]) == {"/v1/auth/login", "/v1/chats/rooms"}
    assert {"auth_Login", "auth_Page", "chat_Login", "chat_Page"} <= set(
        merged["components"]["schemas"]
    )
    schema = merged["paths"]["/v1/chats/rooms"]["post"]["requestBody"]["content"][
        "application/json"
    ]["schema"]
    assert schema == {"$ref": "#/components/schemas/chat_Login"}


@pytest.mark.parametrize(
    "line",
    [
        '127.0.0.1:5000 - "WebSocket /v1/ws?token=eyJhbGciOi.eyJzdWIi.c2ln" [accepted]',
        '127.0.0.1:5000 - "WebSocket /v1/ws?x=1&token=eyJhbGciOi.eyJzdWIi.c2ln" 401',
        "subprotocols ['disco.v1', 'bearer.eyJhbGciOi.eyJzdWIi.c2ln']",
    ],
)
def test_tokens_are_redacted_from_log_lines(line: str) -> None:
    redacted = redact_secrets(line)
    assert "eyJhbGciOi" not in redacted
    assert "[redacted]" in redacted


@pytest.mark.parametrize(
    "raw",
    [
        "/v1/auth/../internal",
        "/v1/auth/./me",
        "/v1/auth/%2e%2e/x",
        "/v1/auth/%2E/x",
        "/v1/auth/.%2e/x",
        "/v1/auth/a%2fb",
        "/v1/auth/a%5cb",
        "/v1/auth/a\\b",
        "/v1/auth/%252e%252e/x",
        "/v1/auth/a;b/c",
        "/v1/auth/a%3bb",
        "/v1//auth/me",
        "/v1/auth/me/",
        "v1/auth/me",
        "/v1/auth/%zz",
        "/v1/auth/%ff",
    ],
)
def test_a_path_any_hop_could_read_differently_is_refused(raw: str) -> None:
    with pytest.raises(ValidationFailed):
        canonical_path(raw)


def test_a_canonical_path_is_decoded_once() -> None:
    assert canonical_path("/v1/auth/me") == "/v1/auth/me"
    assert canonical_path("/v1/users/%6de") == "/v1/users/me"
    assert canonical_path("/v1/safety/live/a-b_c~d...") == "/v1/safety/live/a-b_c~d..."
    assert canonical_path("/v1/users/no%20one") == "/v1/users/no one"
