"""``disco cluster`` end to end: a process per service and two gateways, on the real backends.

The cluster runs as the operator would start it (``python -m disco cluster``) with its own
database, namespace and ports; the tests drive it only through the SDK and the OS.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import httpx
import jwt
import pytest

from disco.client import ApiError, DiscoClient
from disco.config import SERVICES
from tests.conftest import PASSWORD, unique_email
from tests.support.attack import TRAVERSALS, raw_request
from tests.support.backends import (
    AMQP_URL,
    REDIS_URL,
    create_database,
    drop_database,
    new_namespace,
)
from tests.support.chat import room_of
from tests.support.poll import eventually

pytestmark = pytest.mark.real

GATEWAYS = 2
STARTED = re.compile(r"disco cluster: (?P<name>\w+) on :(?P<port>\d+) \(pid (?P<pid>\d+)\)")


def _is_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_base_port(offsets: Sequence[int]) -> int:
    """A base port such that ``base + offset`` is free for every offset.

    Drawn below Linux's ephemeral range (32768+), so outgoing connections do not take them.
    """
    for _ in range(500):
        base = random.randrange(10_000, 32_000 - max(offsets))
        if all(_is_free(base + offset) for offset in offsets):
            return base
    raise RuntimeError("no block of free ports found")


BACK_SERVICES = [s for s in SERVICES if s != "gateway"]


class Cluster:
    def __init__(self, process: subprocess.Popen[bytes], log: Path, base_port: int) -> None:
        self.process = process
        self.log = log
        self.gateways = [f"http://127.0.0.1:{base_port + i}" for i in range(GATEWAYS)]
        # As `disco cluster` lays them out: DISCO_PORT + 100, + 101, ...
        self.services = {
            name: f"http://127.0.0.1:{base_port + 100 + i}" for i, name in enumerate(BACK_SERVICES)
        }

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def pids(self, service: str) -> list[int]:
        """Every process the supervisor started for ``service``, oldest first."""
        return [int(m["pid"]) for m in STARTED.finditer(self.output()) if m["name"] == service]

    def failure(self, what: str) -> str:
        return f"{what}; the cluster's output ends with:\n{self.output()[-4000:]}"

    async def wait_ready(self, timeout: float = 90.0) -> None:
        """Until every gateway's /readyz answers 200 (it checks the services behind it)."""
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(timeout=5.0) as http:
            for url in self.gateways:
                while True:
                    if self.process.poll() is not None:
                        raise AssertionError(self.failure("the cluster exited during start-up"))
                    try:
                        if (await http.get(f"{url}/readyz")).status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    if time.monotonic() > deadline:
                        raise AssertionError(self.failure(f"{url}/readyz never answered 200"))
                    await asyncio.sleep(0.2)

    def stop(self) -> None:
        """SIGTERM to the supervisor (it stops its children), then kill whatever is left."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        # The supervisor leads its own process group: anything it left behind goes with it.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)


@pytest.fixture(scope="module")
async def cluster(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Cluster]:
    data_dir = tmp_path_factory.mktemp("cluster")
    base_port = free_base_port([*range(GATEWAYS), *(100 + i for i in range(len(BACK_SERVICES)))])
    database = await create_database()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DISCO_")}
    env.update(
        DISCO_DATABASE_URL=f"postgresql+asyncpg://postgres@127.0.0.1:5432/{database}",
        DISCO_REDIS_URL=REDIS_URL,
        DISCO_AMQP_URL=AMQP_URL,
        DISCO_NAMESPACE=new_namespace(),
        DISCO_PORT=str(base_port),
        DISCO_DATA_DIR=str(data_dir),
        DISCO_ENVIRONMENT="test",
        DISCO_LOG_LEVEL="WARNING",
        DISCO_RATE_LIMIT_ANONYMOUS_PER_MINUTE="100000",
        DISCO_RATE_LIMIT_USER_PER_MINUTE="100000",
        DISCO_LOGIN_FAILURES_PER_IP="100000",
    )
    log = data_dir / "cluster.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "disco", "cluster", "--gateways", str(GATEWAYS)],
            env=env,
            cwd=data_dir,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    running = Cluster(process, log, base_port)
    try:
        await running.wait_ready()
        yield running
    finally:
        running.stop()
        await drop_database(database)


async def test_a_push_from_auth_reaches_a_socket_held_by_the_other_gateway(
    cluster: Cluster,
) -> None:
    gateway_a, gateway_b = cluster.gateways
    email = unique_email("e2e-push")
    async with DiscoClient(gateway_a) as on_a, DiscoClient(gateway_b) as on_b:
        await on_a.signup(email, PASSWORD, "Ada", "Lovelace")
        on_b.token = on_a.token
        async with on_b.socket() as socket_on_b:
            before_login = datetime.now(UTC)
            await on_a.login(email, PASSWORD)
            # The sign-up's own notice may still be on its way: wait for the login's.
            while True:
                frame = await socket_on_b.expect("notification", timeout=20.0)
                if datetime.fromisoformat(frame["data"]["at"]) >= before_login:
                    break
    assert frame["data"]["kind"] == "new_sign_in"


async def test_either_gateway_serves_the_same_user_and_a_logout_holds_on_both(
    cluster: Cluster,
) -> None:
    gateway_a, gateway_b = cluster.gateways
    async with DiscoClient(gateway_a) as on_a:
        pair = await on_a.signup(unique_email("e2e-either"), PASSWORD, "Grace", "Hopper")
        async with DiscoClient(gateway_b, token=on_a.token) as on_b:
            assert (await on_a.get("/v1/auth/me"))["id"] == pair["user"]["id"]
            assert (await on_b.get("/v1/auth/me"))["id"] == pair["user"]["id"]
            await on_b.logout()
            # The revocation lives in the shared store, so the other gateway refuses it too.
            with pytest.raises(ApiError) as refused:
                await on_a.get("/v1/auth/me")
            assert refused.value.status == 401


async def test_a_killed_service_is_restarted_and_serves_again(cluster: Cluster) -> None:
    gateway_a, gateway_b = cluster.gateways
    killed = cluster.pids("auth")[-1]
    os.kill(killed, signal.SIGKILL)

    await eventually(
        lambda: cluster.pids("auth")[-1] != killed,
        timeout=60.0,
        what=cluster.failure("the supervisor to start a new auth process"),
    )
    email = unique_email("e2e-restart")
    deadline = time.monotonic() + 60.0
    async with DiscoClient(gateway_a) as on_a:
        while True:
            try:
                await on_a.signup(email, PASSWORD, "Alan", "Turing")
                break
            except (ApiError, httpx.TransportError) as exc:
                # 503 while the new process starts; anything else is a real failure.
                if isinstance(exc, ApiError) and exc.status != 503:
                    raise
                if time.monotonic() > deadline:
                    raise AssertionError(cluster.failure("auth never served again")) from exc
                await asyncio.sleep(0.2)
        async with DiscoClient(gateway_b, token=on_a.token) as on_b:
            assert (await on_b.get("/v1/auth/me"))["email"] == email


async def test_internal_endpoints_are_out_of_reach_through_a_gateway_and_at_a_services_port(
    cluster: Cluster,
) -> None:
    """The attacker's probe against a real cluster: dot segments through either gateway, and
    requests straight to the services' own ports without a service credential."""
    gateway = cluster.gateways[1]
    email = unique_email("e2e-mallory")
    async with DiscoClient(gateway) as mallory:
        pair = await mallory.signup(email, PASSWORD, "Mallory", "Probe")
        victim = pair["user"]["id"]
        grant = {"email": email, "role": "moderator", "granted": True}
        for spelling in TRAVERSALS:
            target = "/v1/auth/" + spelling.format(rest="auth/roles", rest_encoded="auth%2froles")
            answer = await raw_request(gateway, "POST", target, token=mallory.token, body=grant)
            assert answer.status in (400, 404, 422), (target, answer.status)
        direct = [
            ("auth", "POST", "/internal/auth/roles", grant),
            ("auth", "GET", f"/internal/auth/users/{victim}/export", None),
            ("auth", "POST", f"/internal/auth/users/{victim}/disable", {"reason": "x"}),
            ("users", "GET", f"/internal/users/{victim}/emergency-contacts", None),
        ]
        for service, method, path, body in direct:
            answer = await raw_request(
                cluster.services[service], method, path, token=mallory.token, body=body
            )
            assert answer.status == 401, (service, path, answer.status)
        await mallory.refresh()
        assert (await mallory.get("/v1/auth/me"))["email"] == email
        assert mallory.token is not None
        claims = jwt.decode(mallory.token, options={"verify_signature": False})
        assert "roles" not in claims


async def _meet(a: DiscoClient, b: DiscoClient, spot: tuple[float, float]) -> str:
    """Both switch discovery on near ``spot`` and are told of each other, as their apps would;
    then both express interest. The match id."""
    for client in (a, b):
        await client.patch("/v1/users/me", {"interests": ["chess"], "activities": ["coffee"]})
        await client.put("/v1/users/me/preferences", {"discoveryRadiusMeters": 1609})
        await client.put("/v1/discovery", {"enabled": True})
    here = {"latitude": spot[0], "longitude": spot[1], "accuracy": 10}
    there = {"latitude": spot[0] + 0.0005, "longitude": spot[1], "accuracy": 10}
    async with a.socket() as a_ws:
        deadline = time.monotonic() + 60
        while True:
            # Until both profiles have reached matching (events), a fix is "profile_pending".
            await a.post("/v1/location", here)
            await b.post("/v1/location", there)
            try:
                await a_ws.expect("nearby", timeout=1.0)
                break
            except TimeoutError:
                assert time.monotonic() < deadline, "never told of each other"
    assert a.user is not None and b.user is not None
    await a.post("/v1/connections", {"userId": b.user["id"]})
    answer = await b.post("/v1/connections", {"userId": a.user["id"]})
    assert answer["status"] == "accepted", answer
    return str(answer["matchId"])


async def test_two_people_chat_across_gateways_and_a_third_sees_nothing(cluster: Cluster) -> None:
    gateway_a, gateway_b = cluster.gateways
    async with (
        DiscoClient(gateway_a) as ada,
        DiscoClient(gateway_b) as bob,
        DiscoClient(gateway_b) as eve,
    ):
        await ada.signup(unique_email("e2e-ada"), PASSWORD, "Ada", "Chat")
        await bob.signup(unique_email("e2e-bob"), PASSWORD, "Bob", "Chat")
        await eve.signup(unique_email("e2e-eve"), PASSWORD, "Eve", "Probe")
        match_id = await _meet(ada, bob, (48.8566, 2.3522))
        room = (await room_of(ada, match_id))["id"]
        await room_of(bob, match_id)
        async with bob.socket() as bob_ws, ada.socket() as ada_ws:
            sent = await ada.send_message(room, b"hello from gateway A", client_message_id="hi")
            frame = await bob_ws.expect("message", timeout=20)
            assert frame["data"]["id"] == sent["id"]
            own = await ada_ws.expect("message", timeout=20)  # her own devices hear of it too
            assert own["data"]["id"] == sent["id"]
            assert DiscoClient.body_of(frame["data"]) == b"hello from gateway A"
            media = await bob.request(
                "POST", f"/v1/chats/rooms/{room}/media", content=b"\x00" * 1000
            )
            assert media.status_code == 201, media.text
            media_id = media.json()["id"]
            reply = await bob.send_message(room, b"hello back", media_ids=[media_id])
            assert (await ada_ws.expect("message", timeout=20))["data"]["id"] == reply["id"]
        got = [m["id"] async for m in bob.iter_messages(room)]
        assert got == [sent["id"], reply["id"]]
        for path in (
            f"/v1/chats/rooms/{room}",
            f"/v1/chats/rooms/{room}/messages",
            f"/v1/chats/rooms/{room}/media/{media_id}",
        ):
            response = await eve.request("GET", path)
            assert response.status_code == 404, (path, response.text)
        assert (await ada.request("GET", f"/v1/chats/rooms/{room}/media/{media_id}")).content == (
            b"\x00" * 1000
        )
