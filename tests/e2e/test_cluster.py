"""``disco cluster`` end to end: a process per service and two gateways, on the real backends.

The cluster runs as the operator would start it (``python -m disco cluster``) with its own
database, namespace and ports; the tests drive it only through the SDK and the OS.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import random
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import aio_pika
import aio_pika.abc
import httpx
import jwt
import pytest
from redis.asyncio import Redis

from disco.client import ApiError, DiscoClient
from disco.client.e2ee import DecryptedMessage, MemoryKeyStore, SecureChat
from disco.client.e2ee.wire import Envelope
from disco.config import Settings
from tests.conftest import PASSWORD, unique_email
from tests.support.attack import TRAVERSALS, raw_request
from tests.support.chat import room_of
from tests.support.cluster import Cluster, meet, running_cluster
from tests.support.e2ee import base64_fragments
from tests.support.poll import eventually
from tests.support.users import files_naming, onboard_at_once, rows_naming

pytestmark = pytest.mark.real


@pytest.fixture(scope="module")
async def cluster(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Cluster]:
    # As verbose as it gets: were any code to log a request's body or an event's payload, the
    # no-plaintext test below (issue 13) sees it in the log.
    async with running_cluster(tmp_path_factory.mktemp("cluster"), DISCO_LOG_LEVEL="DEBUG") as c:
        yield c


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
    (auth,) = [process for process in cluster.processes() if process[0] == "auth"]
    await cluster.kill_and_wait(auth)
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
        match_id = await meet(ada, bob, (48.8566, 2.3522))
        room = (await room_of(ada, match_id))["id"]
        await room_of(bob, match_id)
        attachment = os.urandom(300_000)
        async with bob.socket() as bob_ws, ada.socket() as ada_ws:
            sent = await ada.send_message(room, b"hello from gateway A", client_message_id="hi")
            frame = await bob_ws.expect("message", timeout=20)
            assert frame["data"]["id"] == sent["id"]
            own = await ada_ws.expect("message", timeout=20)  # her own devices hear of it too
            assert own["data"]["id"] == sent["id"]
            assert DiscoClient.body_of(frame["data"]) == b"hello from gateway A"
            # Larger than the gateway buffers (64 KiB) both ways: the upload and the download
            # stream through its hop to the chat process.
            media_id = (await bob.upload_media(room, attachment))["id"]
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
        download = await ada.request("GET", f"/v1/chats/rooms/{room}/media/{media_id}")
        assert download.status_code == 200, download.text
        assert download.content == attachment


class BusProbe:
    """A queue of the test's own, bound to the cluster's exchange with a catch-all key: a copy
    of every event any process publishes while it is open."""

    def __init__(self, queue: aio_pika.abc.AbstractQueue) -> None:
        self._queue = queue
        self.seen: list[tuple[str, str]] = []  # (routing key, headers and body as text)

    @classmethod
    @contextlib.asynccontextmanager
    async def on(cls, settings: Settings) -> AsyncIterator[BusProbe]:
        assert settings.amqp_url is not None
        connection = await aio_pika.connect(settings.amqp_url)
        async with connection:
            channel = await connection.channel()
            # Passive: the cluster's processes declared it; the probe must not make its own.
            exchange = await channel.get_exchange(f"{settings.namespace}.events", ensure=True)
            queue = await channel.declare_queue(exclusive=True, auto_delete=True)
            await queue.bind(exchange, routing_key="#")
            yield cls(queue)

    async def drain(self) -> list[tuple[str, str]]:
        while (message := await self._queue.get(no_ack=True, fail=False)) is not None:
            headers = repr(message.headers or {})
            self.seen.append((message.routing_key or "", f"{headers} {message.body.decode()}"))
        return self.seen


async def redis_naming(settings: Settings, needles: list[str]) -> tuple[int, list[str]]:
    """How many keys the cluster's namespace holds, and ``key: value`` of each whose name or
    value (of whatever type) contains a needle."""
    assert settings.redis_url is not None
    redis = Redis.from_url(settings.redis_url, decode_responses=True)
    keys, found = 0, []
    try:
        async for key in redis.scan_iter(match=f"{settings.namespace}:*", count=500):
            keys += 1
            kind = await redis.type(key)
            value: object
            if kind == "string":
                value = await redis.get(key)
            elif kind == "hash":
                value = await redis.hgetall(key)
            elif kind == "list":
                value = await redis.lrange(key, 0, -1)
            elif kind == "set":
                value = await redis.smembers(key)
            elif kind == "zset":
                value = await redis.zrange(key, 0, -1, withscores=True)
            elif kind == "stream":
                value = await redis.xrange(key)
            else:  # expired between SCAN and TYPE ("none"), or a type we do not read
                assert kind == "none", (key, kind)
                continue
            text = f"{key}: {value!r}"
            if any(n.lower() in text.lower() for n in needles):
                found.append(text)
    finally:
        await redis.aclose()
    return keys, found


async def _next_from_peer(chat: SecureChat, ws: Any) -> DecryptedMessage:
    """The next message on ``ws`` that someone else sent, as ``chat`` decrypts it."""
    stream = chat.incoming(ws)
    try:
        while True:
            item = await asyncio.wait_for(anext(stream), 20)
            assert isinstance(item, DecryptedMessage), item
            if item.sender_id != chat.user_id:
                return item
    finally:
        await stream.aclose()


async def test_two_people_chat_end_to_end_encrypted_and_no_plaintext_reaches_the_cluster(
    cluster: Cluster,
) -> None:
    """Issue 13's acceptance: known plaintexts sent between two SDK clients, each on its own
    gateway, are nowhere on the server side: not in any table row, file, log line (at DEBUG),
    event on the broker, nor Redis key. Each search is shown to find what *is* there."""
    gateway_a, gateway_b = cluster.gateways
    settings = cluster.settings
    first_name = "Zelie" + "".join(random.choices("abcdefghijklmnopqrstuvwxyz", k=8))
    async with (
        DiscoClient(gateway_a) as ada,
        DiscoClient(gateway_b) as bob,
        DiscoClient(gateway_b) as ada_tablet,
    ):
        ada_email = unique_email("e2e-e2ee-ada")
        await ada.signup(ada_email, PASSWORD, first_name, "Secret")
        await bob.signup(unique_email("e2e-e2ee-bob"), PASSWORD, "Bob", "Secret")
        await ada_tablet.login(ada_email, PASSWORD)  # Ada's second device, on the other gateway
        match_id = await meet(ada, bob, (45.7640, 4.8357))
        room = (await room_of(ada, match_id))["id"]
        await room_of(bob, match_id)
        ada_chat = SecureChat(ada, "phone", MemoryKeyStore())
        tablet_chat = SecureChat(ada_tablet, "tablet", MemoryKeyStore())
        bob_chat = SecureChat(bob, "phone", MemoryKeyStore())
        for chat in (ada_chat, tablet_chat, bob_chat):
            await chat.setup()

        tag = uuid.uuid4().hex
        texts = [
            f"ada to bob: the spare key is under the blue flowerpot {tag}",
            f"bob to ada: my passport number is X7RQ-{tag}",
            f"ada to bob: meet me at the lighthouse at nine {tag}",
            f"bob to ada: you will regret ignoring me {tag}",  # Ada reports this one
        ]
        async with BusProbe.on(settings) as probe:
            sent = []
            async with bob.socket() as bob_ws, ada.socket() as ada_ws:
                # Turn by turn, each reads the other's message live, from the other gateway.
                for n, text in enumerate(texts):
                    writer, reader, ws = (
                        (ada_chat, bob_chat, bob_ws) if n % 2 == 0 else (bob_chat, ada_chat, ada_ws)
                    )
                    sent.append(await writer.send(room, text))
                    got = await _next_from_peer(reader, ws)
                    assert (got.id, got.text) == (sent[-1].id, text)
            read_by_tablet = [m async for m in tablet_chat.history(room)]
            assert [getattr(m, "text", None) for m in read_by_tablet] == texts

            # What the server holds: one opaque envelope per message, a part per device, each
            # part's ciphertext its own; a franking tag in and a server tag out.
            stored = [m async for m in bob.iter_messages(room)]
            assert [m["id"] for m in stored] == [m.id for m in sent]
            for item in stored:
                envelope = Envelope.decode(base64.b64decode(item["ciphertext"], validate=True))
                parts = {(p.user_id, p.device_id): p.ciphertext for p in envelope.parts}
                assert len(parts) == 2 and len(set(parts.values())) == 2, parts.keys()
                for field in ("frankingTag", "serverTag"):
                    assert len(base64.b64decode(item[field], validate=True)) == 32, field
            ada_sees = {m.id: m for m in [m async for m in ada_chat.history(room)]}
            threat = ada_sees[sent[3].id]
            assert isinstance(threat, DecryptedMessage) and threat.text == texts[3]
            report = await ada_chat.report(bob_chat.user_id, "threat", [threat])
            assert report["id"]

            # Every event that crossed the broker during the exchange, down to each message's
            # push to the gateways (which carries its ciphertext).
            async def probe_saw_every_message() -> bool:
                events = "\n".join(body for _, body in await probe.drain())
                return all(m["ciphertext"] in events for m in stored) and "safety." in events

            await eventually(
                probe_saw_every_message, timeout=30, what="the probe to see every message"
            )
            events = probe.seen
        published = {key for key, _ in events}
        assert {"chat.message.sent", "realtime.push.requested", "safety.report.filed"} <= published

    # Each plaintext as it is, as hex (how PostgreSQL prints a bytea) and inside base64 (a JSON
    # body's bytes, the reported message's opening); the reported one too: the report's evidence
    # is sealed at rest. Each search is first shown to find a value that is there.
    needles = [n for text in texts for n in (text, text.encode().hex(), *base64_fragments(text))]

    def naming(found: list[str]) -> list[str]:
        return [f for f in found if any(n.lower() in f.lower() for n in needles)]

    rows = await rows_naming(settings, [first_name, *needles])
    assert any(first_name.lower() in row.lower() for row in rows), "the row search finds nothing"
    files = files_naming(settings.data_dir, ["disco cluster: chat on", *needles])
    assert str(cluster.log) in files, "the file search does not read the cluster's log"
    lines = cluster.output().splitlines()
    chat_posts = [
        line
        for line in lines
        if "method=POST" in line
        and f"path=/v1/chats/rooms/{room}/messages " in line
        and "service=chat" in line
    ]
    assert len(chat_posts) >= len(texts), "the log search does not see the chat service's lines"
    keys, in_redis = await redis_naming(settings, [*needles, bob_chat.user_id])
    # Bob's id is in the chat service's own keys (his send counter, his key fetches).
    assert keys > 0 and any(":chat:" in kv for kv in in_redis), "the Redis search finds nothing"

    leaks = {
        "table rows": naming(rows),
        "files": files_naming(settings.data_dir, needles),
        "log lines": naming(lines),
        "broker messages": naming([body for _, body in events]),
        "redis keys": naming(in_redis),
    }
    assert leaks == {where: [] for where in leaks}


async def test_sign_up_then_onboard_at_once_across_processes(cluster: Cluster) -> None:
    """Read-your-writes where the sign-up's event crosses RabbitMQ to other processes: the
    onboarding requests, sent the moment the sign-up answers, all succeed."""

    async def newcomer(n: int) -> None:
        async with DiscoClient(cluster.gateways[n % 2]) as client:
            await onboard_at_once(client, f"Clustered{n}")

    await asyncio.gather(*(newcomer(n) for n in range(10)))
