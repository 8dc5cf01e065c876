"""WebSocket /v1/ws: authentication, the OWASP limits, and realtime delivery to every socket."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from disco.client import DiscoClient, Socket
from disco.contracts.events.realtime import RealtimePushed
from disco.platform.bus import Envelope, EventBus
from disco.platform.clock import FrozenClock
from disco.platform.db import new_id
from tests.conftest import PASSWORD, unique_email
from tests.support.backends import Running, backend_settings, serve
from tests.support.faults import Gate
from tests.support.mailbox import Mailbox

SERVICES = ("auth", "gateway")
ALLOWED_ORIGIN = "https://app.example"


@pytest.fixture(scope="module")
async def gateway(backend: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Running]:
    data_dir = tmp_path_factory.mktemp(f"ws-{backend}")
    async with backend_settings(backend, data_dir, allowed_origins=[ALLOWED_ORIGIN]) as s:
        async with serve(s, SERVICES) as running:
            yield running


async def signed_up(url: str) -> DiscoClient:
    client = DiscoClient(url)
    await client.signup(unique_email("ws"), PASSWORD, "Web", "Socket")
    return client


@pytest.fixture
async def user(gateway: Running) -> AsyncIterator[DiscoClient]:
    client = await signed_up(gateway.url)
    yield client
    await client.close()


def ws_url(base: str, query: str = "") -> str:
    return base.replace("http://", "ws://") + "/v1/ws" + query


async def push(bus: EventBus, user_ids: list[str], frame_type: str, data: dict[str, Any]) -> None:
    """What any service's outbox relay does with a RealtimePushed."""
    event = RealtimePushed(user_ids=user_ids, frame_type=frame_type, data=data)
    await bus.publish(
        Envelope(
            id=new_id(),
            type=event.event_type,
            version=event.event_version,
            occurred_at=datetime.now(UTC),
            payload=event.model_dump(mode="json"),
        )
    )


async def refused_status(url: str, **kwargs: Any) -> tuple[int, dict[str, Any]]:
    """The HTTP status and error body of a refused handshake."""
    with pytest.raises(InvalidStatus) as refused:
        async with connect(url, **kwargs):
            pass
    response = refused.value.response
    return response.status_code, json.loads(response.body or b"{}")


async def closed_code(ws: ClientConnection, timeout: float = 10.0) -> int | None:
    """Read until the server closes; the close code it sent."""
    async with asyncio.timeout(timeout):
        try:
            async for _ in ws:
                pass
        except ConnectionClosed:
            pass
    return ws.close_code


# --- authentication -----------------------------------------------------------------------------
@pytest.mark.parametrize("token_in", ["query", "subprotocol", "frame"])
async def test_a_token_opens_the_socket_wherever_it_travels(
    user: DiscoClient, token_in: str
) -> None:
    async with user.socket(token_in=token_in) as ws:
        assert ws.ws is not None
        assert ws.ws.subprotocol == "disco.v1"  # never the bearer.<jwt> one
        await ws.send("ping", {"n": 7})
        pong = await ws.expect("pong")
        assert pong["data"] == {"n": 7}


async def test_the_ready_frame_says_who_and_for_how_long(user: DiscoClient) -> None:
    assert user.user is not None
    async with connect(ws_url(user.base_url, f"?token={user.token}")) as ws:
        ready = json.loads(await ws.recv())
    assert ready["type"] == "ready"
    assert ready["data"]["userId"] == user.user["id"]
    assert ready["data"]["expiresAt"] > datetime.now(UTC).timestamp()
    assert ready["data"]["idleTimeoutSeconds"] > 0


@pytest.mark.parametrize("token", ["garbage", "a.b.c", ""])
async def test_a_bad_token_is_refused_at_the_handshake(gateway: Running, token: str) -> None:
    status, body = await refused_status(ws_url(gateway.url, f"?token={token}"))
    assert status == 401
    assert body["error"]["code"] == "UNAUTHORIZED"
    status, _ = await refused_status(
        ws_url(gateway.url), subprotocols=["disco.v1", f"bearer.{token or 'x'}"]
    )
    assert status == 401


async def test_a_refresh_token_is_not_an_access_token(user: DiscoClient) -> None:
    status, _ = await refused_status(ws_url(user.base_url, f"?token={user.refresh_token}"))
    assert status == 401


async def test_an_expired_token_is_refused(backend: str, tmp_path: Path) -> None:
    issued_expired = FrozenClock(datetime.now(UTC) - timedelta(hours=2))
    async with backend_settings(backend, tmp_path) as s:
        async with serve(s, SERVICES, clock=issued_expired) as running:
            client = await signed_up(running.url)
            try:
                status, body = await refused_status(ws_url(running.url, f"?token={client.token}"))
                assert status == 401
                assert "expired" in body["error"]["message"]
                async with connect(ws_url(running.url)) as ws:
                    await ws.send(json.dumps({"type": "auth", "data": {"token": client.token}}))
                    assert await closed_code(ws) == 4401
            finally:
                await client.close()


async def test_without_a_token_the_first_frame_must_authenticate(gateway: Running) -> None:
    async with connect(ws_url(gateway.url)) as ws:
        await ws.send(json.dumps({"type": "ping", "data": {}}))
        assert await closed_code(ws) == 4401
    async with connect(ws_url(gateway.url)) as ws:
        await ws.send(json.dumps({"type": "auth", "data": {"token": "garbage"}}))
        assert await closed_code(ws) == 4401
    async with connect(ws_url(gateway.url)) as ws:
        await ws.send("not json")
        assert await closed_code(ws) == 4401


async def test_a_socket_says_nothing_and_is_closed_unauthenticated(
    backend: str, tmp_path: Path
) -> None:
    async with backend_settings(backend, tmp_path, ws_idle_timeout_seconds=0.3) as s:
        async with serve(s, SERVICES) as running, connect(ws_url(running.url)) as ws:
            assert await closed_code(ws) == 4401


# --- origin -------------------------------------------------------------------------------------
async def test_a_disallowed_origin_is_refused(user: DiscoClient) -> None:
    for origin in ("https://evil.example", "null", "http://127.0.0.1:1"):
        status, body = await refused_status(
            ws_url(user.base_url, f"?token={user.token}"), origin=origin
        )
        assert status == 403
        assert body["error"]["code"] == "FORBIDDEN"


@pytest.mark.parametrize("which", ["configured", "own"])
async def test_an_allowed_origin_is_accepted(user: DiscoClient, which: str) -> None:
    origin = ALLOWED_ORIGIN if which == "configured" else user.base_url
    async with user.socket(origin=origin) as ws:
        await ws.send("ping")
        await ws.expect("pong")


# --- frames -------------------------------------------------------------------------------------
async def test_malformed_frames_get_error_frames_and_the_socket_stays_open(
    user: DiscoClient,
) -> None:
    async with user.socket() as ws:
        for raw in (
            "not json",
            "[1, 2]",
            '"ping"',
            '{"data": {}}',
            '{"type": 5}',
            '{"type": "ping", "data": [1]}',
            '{"type": "no_such_frame", "data": {}}',
            b"\xff\xfe",
        ):
            await ws.send_raw(raw)
            error = await ws.expect("error")
            assert error["data"]["code"] == "VALIDATION_ERROR", raw
        await ws.send("ping", {"still": "open"})
        assert (await ws.expect("pong"))["data"] == {"still": "open"}


async def test_an_oversize_frame_closes_the_socket_1009(
    gateway: Running, user: DiscoClient
) -> None:
    limit = gateway.system.settings.ws_max_frame_bytes
    async with user.socket() as ws:
        await ws.send("ping", {"pad": "x" * (limit + 1)})
        assert await ws.wait_closed(10) == 1009


async def test_a_flood_of_frames_is_refused_then_closed_1008(backend: str, tmp_path: Path) -> None:
    async with backend_settings(backend, tmp_path, ws_frames_per_second=5) as s:
        async with serve(s, SERVICES) as running:
            client = await signed_up(running.url)
            try:
                async with client.socket() as ws:
                    with pytest.raises(ConnectionClosed):
                        for _ in range(500):
                            await ws.send("ping")
                            await asyncio.sleep(0)
                    assert await ws.wait_closed(10) == 1008
                    kinds = []
                    while not ws.frames.empty():
                        kinds.append(ws.frames.get_nowait()["type"])
                    assert "pong" in kinds
                    assert "error" in kinds
            finally:
                await client.close()


async def test_rate_limited_frames_get_a_rate_limited_error(backend: str, tmp_path: Path) -> None:
    async with backend_settings(backend, tmp_path, ws_frames_per_second=2) as s:
        async with serve(s, SERVICES) as running:
            client = await signed_up(running.url)
            try:
                async with client.socket() as ws:
                    for _ in range(6):  # a burst of four passes, then two are refused
                        await ws.send("ping")
                    error = await ws.expect("error")
                    assert error["data"]["code"] == "RATE_LIMITED"
                    await asyncio.sleep(0.6)  # a frame's worth of budget comes back
                    await ws.send("ping", {"after": "pause"})
                    assert (await ws.expect("pong"))["data"] == {"after": "pause"}
            finally:
                await client.close()


async def test_an_idle_socket_is_closed_and_pings_keep_it_open(
    backend: str, tmp_path: Path
) -> None:
    # Pings every 0.25 s for 4 s outlast the 3 s timeout, with 2.75 s to spare for a ping
    # delayed by a busy machine: the test holds however slow the machine is.
    async with backend_settings(backend, tmp_path, ws_idle_timeout_seconds=3.0) as s:
        async with serve(s, SERVICES) as running:
            client = await signed_up(running.url)
            try:
                async with client.socket() as ws:
                    started = asyncio.get_running_loop().time()
                    while asyncio.get_running_loop().time() - started < 4.0:
                        await asyncio.sleep(0.25)
                        await ws.send("ping")
                        await ws.expect("pong")
                    assert await ws.wait_closed(15) == 4408
            finally:
                await client.close()


@pytest.mark.parametrize("ending", ["logout", "password_reset"])
async def test_a_socket_closes_when_its_session_ends(
    backend: str, tmp_path: Path, mailbox: Mailbox, ending: str
) -> None:
    async with backend_settings(
        backend, tmp_path, ws_revocation_check_seconds=0.3, smtp_url=mailbox.url
    ) as s:
        # Safety sends auth's mails (the one notification path).
        async with serve(s, (*SERVICES, "users", "safety")) as running:
            client = await signed_up(running.url)
            try:
                async with client.socket() as ws:
                    if ending == "logout":
                        await client.logout()
                    else:
                        assert client.user is not None
                        email = client.user["email"]
                        await client.post("/v1/auth/password-reset/request", {"email": email})
                        mail = (await mailbox.wait_for(email, count=2))[-1]
                        await client.post(
                            "/v1/auth/password-reset/reset",
                            {"token": mail.token(), "password": PASSWORD + " renewed"},
                        )
                    assert await ws.wait_closed(10) == 4401
            finally:
                await client.close()


async def test_a_frame_for_a_service_that_is_not_running_gets_an_error_frame(
    user: DiscoClient,
) -> None:
    async with user.socket() as ws:
        await ws.send("location_update", {"latitude": 51.5, "longitude": -0.12})
        error = await ws.expect("error")
        assert error["data"]["code"] == "UNAVAILABLE"
        assert error["data"]["frame"] == "location_update"
        await ws.send("read", {"roomId": "../../auth/me"})
        error = await ws.expect("error")
        assert error["data"]["code"] == "VALIDATION_ERROR"
        assert error["data"]["frame"] == "read"
        await ws.send("typing", {"roomId": "room1"})
        assert (await ws.expect("error"))["data"]["code"] == "UNAVAILABLE"


@pytest.mark.real
async def test_a_frame_whose_backend_does_not_answer_gets_an_error_frame_not_a_dropped_socket(
    tmp_path: Path,
) -> None:
    """Redis behind a proxy the test cuts: the location frame's first step (its rate count)
    cannot reach it. Every service in this process, so the frame is a direct call."""
    async with Gate(6379).running() as redis:
        redis_url = f"redis://127.0.0.1:{redis.port}/0"
        async with backend_settings("real", tmp_path, redis_url=redis_url) as s:
            async with serve(s) as running:
                client = await signed_up(running.url)
                async with client, client.socket() as ws:
                    await redis.cut([os.getpid()])
                    await ws.send("location_update", {"latitude": 51.5, "longitude": -0.12})
                    error = await ws.expect("error", timeout=15)
                    assert error["data"]["code"] == "UNAVAILABLE"
                    assert error["data"]["frame"] == "location_update"
                    redis.heal()
                    await ws.send("ping", {"still": "open"})
                    assert (await ws.expect("pong"))["data"] == {"still": "open"}


# --- token lifetime -----------------------------------------------------------------------------
async def test_a_socket_closes_when_its_token_expires_unless_given_a_fresh_one(
    backend: str, tmp_path: Path
) -> None:
    ttl = 900
    # Tokens from this clock expire three seconds from now.
    clock = FrozenClock(datetime.now(UTC) - timedelta(seconds=ttl - 3))
    async with backend_settings(backend, tmp_path, access_token_ttl_seconds=ttl) as s:
        async with serve(s, SERVICES, clock=clock) as running:
            client = await signed_up(running.url)
            try:
                async with client.socket() as expiring, client.socket() as renewed:
                    clock.advance((datetime.now(UTC) - clock.now()).total_seconds())  # to now
                    assert client.user is not None
                    await client.login(client.user["email"], PASSWORD)
                    await renewed.send("auth", {"token": client.token})
                    assert (await renewed.expect("authenticated"))["data"]["expiresAt"] > (
                        datetime.now(UTC).timestamp() + 60
                    )
                    assert await expiring.wait_closed(15) == 4401
                    await renewed.send("ping", {"after": "expiry"})
                    assert (await renewed.expect("pong"))["data"] == {"after": "expiry"}
            finally:
                await client.close()


async def test_another_users_token_cannot_take_over_a_socket(gateway: Running) -> None:
    ada, bob = await signed_up(gateway.url), await signed_up(gateway.url)
    try:
        async with ada.socket() as ws:
            await ws.send("auth", {"token": bob.token})
            assert (await ws.expect("error"))["data"]["code"] == "FORBIDDEN"
            await ws.send("auth", {"token": "garbage"})
            assert (await ws.expect("error"))["data"]["code"] == "UNAUTHORIZED"
    finally:
        await ada.close()
        await bob.close()


# --- realtime delivery --------------------------------------------------------------------------
async def test_a_push_reaches_every_socket_of_its_user_and_no_one_else(
    gateway: Running,
) -> None:
    ada, bob = await signed_up(gateway.url), await signed_up(gateway.url)
    assert ada.user is not None and bob.user is not None
    try:
        async with (
            ada.socket(token_in="query") as ada_phone,
            ada.socket() as ada_laptop,
            bob.socket() as bob_phone,
        ):
            await push(gateway.system.bus, [ada.user["id"]], "match_update", {"n": 1})
            for ws in (ada_phone, ada_laptop):
                assert (await ws.expect("match_update", timeout=10))["data"] == {"n": 1}
            # Bob's next match_update is the one addressed to him: Ada's never came.
            await push(gateway.system.bus, [bob.user["id"]], "match_update", {"n": 2})
            assert (await bob_phone.expect("match_update", timeout=10))["data"] == {"n": 2}
    finally:
        await ada.close()
        await bob.close()


@pytest.mark.real
async def test_a_push_reaches_sockets_on_every_gateway_process(tmp_path: Path) -> None:
    """Two systems on one broker and namespace: the user's sockets on both hear a push
    published by either."""
    async with backend_settings("real", tmp_path) as s:
        async with serve(s, SERVICES) as one, serve(s, SERVICES) as two:
            ada = await signed_up(one.url)
            assert ada.user is not None
            try:
                on_one = Socket(one.url, str(ada.token), token_in="query", origin=None)
                on_two = Socket(two.url, str(ada.token), token_in="query", origin=None)
                async with on_one, on_two:
                    await push(one.system.bus, [ada.user["id"]], "message", {"n": 1})
                    await push(two.system.bus, [ada.user["id"]], "message", {"n": 2})
                    for ws in (on_one, on_two):
                        got = [(await ws.expect("message", timeout=10))["data"] for _ in range(2)]
                        assert sorted(d["n"] for d in got) == [1, 2]
            finally:
                await ada.close()


async def test_a_sign_in_elsewhere_is_told_to_the_open_socket(gateway: Running) -> None:
    ada = await signed_up(gateway.url)
    assert ada.user is not None
    try:
        async with ada.socket() as ws, DiscoClient(gateway.url) as other_device:
            await other_device.login(ada.user["email"], PASSWORD)
            notice = await ws.expect("notification", timeout=15)
            assert notice["data"]["kind"] == "new_sign_in"
    finally:
        await ada.close()


# --- logs ---------------------------------------------------------------------------------------
async def test_tokens_never_reach_the_logs(
    user: DiscoClient, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    token = str(user.token)
    async with user.socket(token_in="query") as ws:
        await ws.send("ping")
        await ws.expect("pong")
    async with user.socket(token_in="subprotocol") as ws:
        await ws.send("ping")
        await ws.expect("pong")
    with pytest.raises(InvalidStatus):
        async with connect(ws_url(user.base_url, f"?token={token}x")):
            pass
    await asyncio.sleep(0.1)  # let the server finish its log lines
    captured = capsys.readouterr()
    # The test's own client library logs its request line at DEBUG; only the server's count.
    server_log = "\n".join(
        r.getMessage() for r in caplog.records if not r.name.startswith("websockets.client")
    )
    # The handshakes were logged (so the capture works), their tokens were not.
    assert "/v1/ws?token=[redacted]" in server_log
    assert token[:40] not in server_log
    assert token[:40] not in captured.out + captured.err


# --- attacks on the socket (issue 9) ------------------------------------------------------------
def nested(depth: int) -> str:
    """A frame whose ``data`` holds ``depth`` nested lists."""
    return '{"type": "ping", "data": {"deep": ' + "[" * depth + "]" * depth + "}}"


@pytest.mark.parametrize("depth", [33, 5000])
async def test_a_frame_nested_too_deep_gets_an_error_frame_and_the_socket_stays_usable(
    gateway: Running, user: DiscoClient, depth: int
) -> None:
    assert len(nested(depth).encode()) <= gateway.system.settings.ws_max_frame_bytes
    async with user.socket() as ws:
        await ws.send_raw(nested(depth))
        error = await ws.expect("error")
        assert error["data"]["code"] == "VALIDATION_ERROR"
        assert "nest" in error["data"]["message"]
        await ws.send("ping", {"after": "deep"})
        assert (await ws.expect("pong"))["data"] == {"after": "deep"}


async def test_a_frame_at_the_nesting_limit_is_answered(user: DiscoClient) -> None:
    # The frame object itself is one level and "data" a second: 30 lists bring it to 32.
    async with user.socket() as ws:
        await ws.send_raw(nested(30))
        pong = await ws.expect("pong")
        assert pong["data"]["deep"] == json.loads(nested(30))["data"]["deep"]


async def test_an_auth_frame_nested_too_deep_is_refused_with_4401(gateway: Running) -> None:
    async with connect(ws_url(gateway.url)) as ws:
        await ws.send('{"type": "auth", "data": {"token": ' + "[" * 5000 + "]" * 5000 + "}}")
        assert await closed_code(ws) == 4401


async def test_one_socket_more_than_a_person_may_hold_closes_their_oldest(
    gateway: Running,
) -> None:
    cap = gateway.system.settings.ws_max_sockets_per_user
    ada, bob = await signed_up(gateway.url), await signed_up(gateway.url)
    try:
        async with contextlib.AsyncExitStack() as stack:
            bobs = await stack.enter_async_context(bob.socket())
            sockets = [await stack.enter_async_context(ada.socket()) for _ in range(cap)]
            newest = await stack.enter_async_context(ada.socket())
            assert await sockets[0].wait_closed(10) == 4008
            for ws in [*sockets[1:], newest, bobs]:  # the others, and other people's, stay
                await ws.send("ping", {"still": "open"})
                assert (await ws.expect("pong"))["data"] == {"still": "open"}
            # The next one closes the next oldest.
            await stack.enter_async_context(ada.socket())
            assert await sockets[1].wait_closed(10) == 4008
            await sockets[2].send("ping")
            await sockets[2].expect("pong")
    finally:
        await ada.close()
        await bob.close()
