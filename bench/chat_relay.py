"""The ceiling for bench/chat.py: a minimal chat relay on Disco's WebSocket stack, and no more.

    .venv/bin/python -m bench.chat_relay --port 8100

The same server (uvicorn, with the options ``disco up`` passes it), the same framework
(Starlette, which FastAPI is), the same socket handling (one queue of at most 256 frames and
one writer task per socket, as ``disco.gateway.hub``), and the same public paths and frames as
Disco: ``/v1/ws`` with the ``bearer.<token>`` subprotocol answered by a ``ready`` frame, and
``POST /v1/chats/rooms/{roomId}/messages`` ``{ciphertext, clientMessageId}`` answered 201 with
the message, pushed as a ``message`` frame to every socket of both members. What it leaves out
is what a chat service is: no database, no bus, no rate limit, no expiry, tokens and rooms in
a dict. ``POST /bench/pairs`` ``{count}`` makes that many pairs with a room each.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
import contextlib
import itertools
import json
import secrets
import subprocess
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: python bench/chat_relay.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import asyncpg
import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from bench.support import PG_ADMIN, Disco, _cpu_seconds

ROOT = Path(__file__).resolve().parent.parent
MAX_CIPHERTEXT_BYTES = 64 * 1024
WS_MAX_FRAME_BYTES = 16 * 1024  # DISCO_WS_MAX_FRAME_BYTES, the default


@dataclass(eq=False)
class Socket:
    user_id: str
    outbox: asyncio.Queue[dict[str, Any]] = field(
        default_factory=lambda: asyncio.Queue(maxsize=256)
    )
    closed: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class Room:
    members: tuple[str, str]
    seq: itertools.count[int] = field(default_factory=lambda: itertools.count(1))


@dataclass
class RelayState:
    users: dict[str, str] = field(default_factory=dict)  # token -> user id
    rooms: dict[str, Room] = field(default_factory=dict)
    sockets: dict[str, set[Socket]] = field(default_factory=dict)

    def deliver(self, user_ids: tuple[str, ...], frame: dict[str, Any]) -> None:
        for user_id in user_ids:
            for socket in list(self.sockets.get(user_id, ())):
                try:
                    socket.outbox.put_nowait(frame)
                except asyncio.QueueFull:
                    socket.closed.set()


RELAY = RelayState()


def _problem(status: int, code: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code}}, status_code=status)


async def pairs(request: Request) -> JSONResponse:
    count = int((await request.json())["count"])
    made = []
    for _ in range(count):
        people = []
        for _ in range(2):
            token, user_id = secrets.token_urlsafe(24), str(uuid.uuid4())
            RELAY.users[token] = user_id
            people.append({"token": token, "userId": user_id})
        room_id = str(uuid.uuid4())
        RELAY.rooms[room_id] = Room((people[0]["userId"], people[1]["userId"]))
        made.append({"a": people[0], "b": people[1], "roomId": room_id})
    return JSONResponse({"pairs": made}, status_code=201)


async def send(request: Request) -> Response:
    token = request.headers.get("authorization", "").removeprefix("Bearer ")
    user_id = RELAY.users.get(token)
    if user_id is None:
        return _problem(401, "UNAUTHORIZED")
    room = RELAY.rooms.get(request.path_params["room_id"])
    if room is None or user_id not in room.members:
        return _problem(404, "NOT_FOUND")
    try:
        body = await request.json()
        ciphertext = body["ciphertext"]
        if len(base64.b64decode(ciphertext, validate=True)) > MAX_CIPHERTEXT_BYTES:
            return _problem(422, "VALIDATION_FAILED")
    except (ValueError, KeyError, TypeError, binascii.Error):
        return _problem(422, "VALIDATION_FAILED")
    now = datetime.now(UTC)
    message = {
        "id": str(uuid.uuid4()),
        "roomId": request.path_params["room_id"],
        "seq": next(room.seq),
        "senderId": user_id,
        "senderDeviceId": None,
        "clientMessageId": body.get("clientMessageId"),
        "ciphertext": ciphertext,
        "frankingTag": None,
        "serverTag": None,
        "mediaIds": [],
        "sentAt": now.isoformat(),
        "expiresAt": (now + timedelta(days=1)).isoformat(),
    }
    RELAY.deliver(room.members, {"type": "message", "data": message})
    return JSONResponse(message, status_code=201)


async def healthz(_: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def socket_endpoint(ws: WebSocket) -> None:
    offered = ws.scope.get("subprotocols", [])
    token = next((p.removeprefix("bearer.") for p in offered if p.startswith("bearer.")), "")
    user_id = RELAY.users.get(token)
    if user_id is None:
        await ws.close(code=4401)
        return
    await ws.accept(subprotocol="disco.v1")
    socket = Socket(user_id)
    RELAY.sockets.setdefault(user_id, set()).add(socket)
    await ws.send_text(json.dumps({"type": "ready", "data": {"userId": user_id}}))

    async def write() -> None:
        while True:
            frame = await socket.outbox.get()
            await ws.send_text(json.dumps(frame, separators=(",", ":")))

    async def read() -> None:
        while True:
            raw = await ws.receive_text()
            if json.loads(raw).get("type") == "ping":
                socket.outbox.put_nowait({"type": "pong", "data": {}})

    tasks = [asyncio.create_task(t) for t in (write(), read(), socket.closed.wait())]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        RELAY.sockets.get(user_id, set()).discard(socket)
        with contextlib.suppress(RuntimeError, WebSocketDisconnect):
            await ws.close()


app = Starlette(
    routes=[
        Route("/healthz", healthz),
        Route("/bench/pairs", pairs, methods=["POST"]),
        Route("/v1/chats/rooms/{room_id}/messages", send, methods=["POST"]),
        WebSocketRoute("/v1/ws", socket_endpoint),
    ]
)


# --- for bench/chat.py -----------------------------------------------------------------------
@dataclass(frozen=True)
class Pair:
    """Two matched people (token and id each) and their room, on Disco or on this relay."""

    a_token: str
    a_id: str
    b_token: str
    b_id: str
    room_id: str


class Relay(Disco):
    """This relay as a child process, handled as a Disco is (``args``: this module's)."""

    def __enter__(self) -> Relay:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bench.chat_relay", *self.args],
                env=self.env,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self


def relay_pairs(url: str, count: int) -> list[Pair]:
    made = httpx.post(f"{url}/bench/pairs", json={"count": count}, timeout=60).json()["pairs"]
    return [
        Pair(p["a"]["token"], p["a"]["userId"], p["b"]["token"], p["b"]["userId"], p["roomId"])
        for p in made
    ]


# --- CPU of the backends, for bench/chat.py in real mode ----------------------------------------
def _pids_named(name: str) -> list[int]:
    found = subprocess.run(["pgrep", "-x", name], capture_output=True, text=True).stdout
    return [int(pid) for pid in found.split()]


async def _postgres_pids(database: str) -> list[int]:
    """The backends serving ``database`` and PostgreSQL's own processes (WAL writer, ...)."""
    conn = await asyncpg.connect(PG_ADMIN)
    query = "select pid from pg_stat_activity where datname = $1 or datname is null"
    rows = await conn.fetch(query, database)
    await conn.close()
    return [int(r["pid"]) for r in rows]


def backend_cpu(database: str) -> Callable[[], dict[str, dict[int, float]]]:
    """Readings of the backends' CPU seconds so far, by process, of the processes found now
    (diff them with ``used_between``): a PostgreSQL connection opened later is missed."""
    pids = {
        "postgres": asyncio.run(_postgres_pids(database)),
        "rabbitmq": _pids_named("beam.smp"),
        "redis": _pids_named("redis-server"),
    }
    return lambda: {name: {p: _cpu_seconds(p) for p in found} for name, found in pids.items()}


def used_between(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds between two readings, of the processes alive at both (an ended one reads 0)."""
    return sum(after[p] - before[p] for p in before if after.get(p, 0.0) >= before[p])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8100)
    args = parser.parse_args()
    sys.setswitchinterval(0.0005)  # as disco's _serve
    uvicorn.run(  # the options disco.cli._serve passes
        app,
        host=args.host,
        port=args.port,
        log_config=None,
        access_log=False,
        ws_max_size=WS_MAX_FRAME_BYTES,
        ws_ping_interval=20,
        ws_ping_timeout=20,
        lifespan="off",
        proxy_headers=False,
        server_header=False,
    )


if __name__ == "__main__":
    main()
