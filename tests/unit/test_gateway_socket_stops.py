"""A socket is closed by what the server decides, not only by its client: a client too slow to
read its frames, and the oldest of a person's sockets when they open one too many, are closed
at once while the reader waits for a frame, and only between frames while it handles one."""

from __future__ import annotations

import asyncio
import contextlib
import time
from types import SimpleNamespace
from typing import Any

from disco.config import Settings
from disco.gateway.hub import Connection
from disco.gateway.websocket import (
    CLOSE_POLICY,
    CLOSE_TOO_MANY,
    CLOSE_UNAUTHORIZED,
    PersonSockets,
    SocketSession,
)
from disco.platform.errors import Unauthorized
from disco.platform.security import Principal


class Client:
    """A socket whose client sends ``frames`` (then nothing until the socket is closed) and
    reads nothing at all."""

    def __init__(self, frames: list[str] | None = None) -> None:
        self.frames = list(frames or [])
        self.closed: asyncio.Future[tuple[int, str]] = asyncio.get_running_loop().create_future()
        self.client = None
        self.headers: dict[str, str] = {}
        self.scope: dict[str, Any] = {"subprotocols": []}
        self.query_params = {"token": "a-token"}

    async def accept(self, subprotocol: str | None = None) -> None:
        return None

    async def receive(self) -> dict[str, Any]:
        if self.frames:
            return {"type": "websocket.receive", "text": self.frames.pop(0)}
        code, _ = await asyncio.shield(self.closed)  # never another frame; then the close
        return {"type": "websocket.disconnect", "code": code}

    async def send_text(self, text: str) -> None:
        await asyncio.Event().wait()  # never reads: the writer blocks on the first frame

    async def close(self, code: int, reason: str = "") -> None:
        if not self.closed.done():
            self.closed.set_result((code, reason))


class Gateway:
    """What a session asks of the gateway: settings, token checks, the hub, frame relays."""

    def __init__(self, **settings: Any) -> None:
        self.settings = Settings(ws_idle_timeout_seconds=60, **settings)
        # A relay starts, then waits until the test lets it finish.
        self.relay_started = asyncio.Event()
        self.relay_may_finish = asyncio.Event()
        self.relay_may_finish.set()
        self.relayed = 0
        self.relayed_for: list[str] = []
        self.opened = 0
        self.connections: list[Connection] = []

        async def verify(token: str) -> Principal:
            return Principal(user_id="ada", session_id="s", roles=(), expires_at=time.time() + 3600)

        self.tokens = SimpleNamespace(verify=verify)

    def connected(self, connection: Connection) -> None:
        self.opened += 1
        self.connections.append(connection)

    def disconnected(self, connection: Connection) -> None:
        self.connections.remove(connection)

    async def relay_frame(self, *_: Any, principal: Principal, **__: Any) -> None:
        self.relay_started.set()
        await self.relay_may_finish.wait()
        self.relayed += 1
        self.relayed_for.append(principal.user_id)


async def open_session(
    gateway: Gateway, sockets: PersonSockets, client: Client
) -> asyncio.Task[None]:
    """The session's task, once its socket is open."""
    opened = gateway.opened
    task = asyncio.create_task(SocketSession(client, gateway, sockets).run())
    while gateway.opened == opened:
        await asyncio.sleep(0.01)
    return task


async def ended(*tasks: asyncio.Task[None]) -> None:
    """The sessions still open at a test's end, closed: no socket outlives its test."""
    for task in tasks:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_a_client_too_slow_to_read_is_closed_while_waiting_for_a_frame() -> None:
    gateway, client = Gateway(), Client()
    task = await open_session(gateway, PersonSockets(limit=10), client)
    (connection,) = gateway.connections
    while connection.offer({"type": "nearby", "data": {}}):
        pass  # the queue overflows: the client reads nothing
    assert await asyncio.wait_for(client.closed, 5) == (CLOSE_POLICY, "client too slow to keep up")
    await asyncio.wait_for(task, 5)
    assert gateway.connections == []


async def test_the_oldest_socket_closes_when_one_too_many_opens() -> None:
    gateway, sockets = Gateway(), PersonSockets(limit=1)
    first = Client()
    first_task = await open_session(gateway, sockets, first)
    second = Client()
    second_task = await open_session(gateway, sockets, second)
    code, _ = await asyncio.wait_for(first.closed, 5)
    assert code == CLOSE_TOO_MANY and not second.closed.done()
    await asyncio.wait_for(first_task, 5)
    await ended(second_task)


async def test_a_stop_while_a_frame_is_handled_waits_for_it() -> None:
    """The oldest socket is evicted while its location fix is being relayed: the fix is still
    handled whole, and the socket closes after it."""
    gateway, sockets = Gateway(), PersonSockets(limit=1)
    gateway.relay_may_finish.clear()
    fix = '{"type":"location_update","data":{"latitude":51.5,"longitude":-0.12}}'
    first = Client([fix])
    first_task = await open_session(gateway, sockets, first)
    await asyncio.wait_for(gateway.relay_started.wait(), 5)
    second_task = await open_session(gateway, sockets, Client())  # evicts the first
    await asyncio.sleep(0.05)
    assert not first.closed.done() and gateway.relayed == 0  # the fix is still being relayed
    gateway.relay_may_finish.set()
    code, _ = await asyncio.wait_for(first.closed, 5)
    assert code == CLOSE_TOO_MANY and gateway.relayed == 1
    assert gateway.relayed_for == ["ada"]  # as the socket's own verified principal
    await asyncio.wait_for(first_task, 5)
    await ended(second_task)


async def test_a_revoked_socket_is_closed_even_after_the_token_store_failed_once() -> None:
    """Before, a store error (a Redis connection dropped) ended the socket's revocation watch
    without a word, and a logged-out person's socket stayed open, its fixes taken, until its
    token expired."""
    gateway = Gateway(ws_revocation_check_seconds=0.05)
    checks = 0
    valid = gateway.tokens.verify

    async def verify(token: str) -> Principal:
        nonlocal checks
        checks += 1
        if checks == 1:
            return await valid(token)  # the socket authenticates
        if checks == 2:
            raise ConnectionError("Connection closed by server.")  # the store, for a moment
        raise Unauthorized("The access token has been revoked.")  # then: logged out

    gateway.tokens = SimpleNamespace(verify=verify)
    client = Client()
    task = await open_session(gateway, PersonSockets(limit=10), client)
    assert await asyncio.wait_for(client.closed, 5) == (CLOSE_UNAUTHORIZED, "session ended")
    assert checks == 3
    await asyncio.wait_for(task, 5)
