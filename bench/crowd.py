"""People for the discovery benchmarks: signed up through the API, with open sockets, where
the server shows them, and the oracle that says who should be told about whom."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import random
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import redis
from websockets.asyncio.client import ClientConnection, connect

from bench.support import (
    AMQP_URL,
    PASSWORD,
    REDIS_URL,
    Disco,
    broker_namespace,
    disco_env,
    free_port,
    fresh_database,
    machine,
    scratch_dir,
    write_json,
)
from disco.client import DiscoClient
from disco.match.engine.geo import WITHIN_TOLERANCE_M, Displacement, haversine_m
from disco.platform.security import FieldCipher

ORIGIN = (51.5007, -0.1246)
RADII = (30, 150, 500, 1609)
STEP_M = 50.0
SNAP_M = 30.0  # DISCO_LOCATION_SNAP_METERS, the default
# A step moves a shown position by up to the step and a cell's diagonal.
SHOWN_STEP_M = STEP_M + math.sqrt(2) * SNAP_M
M_PER_DEG_LAT = 111_195.0
M_PER_DEG_LON = M_PER_DEG_LAT * math.cos(math.radians(ORIGIN[0]))
INTERESTS = ["coffee", "hiking", "live music"]


@dataclass
class Person:
    number: int
    token: str
    user_id: str
    radius: int
    x: float
    y: float
    socket: ClientConnection | None = None
    reader: asyncio.Task[None] | None = None
    sent: list[float] = field(default_factory=list)  # send times


@dataclass
class Run:
    people: list[Person]
    displacement: Displacement
    # t, who, x, y, lat, lon: where the update shows its sender (displaced, snapped), on this
    # plane (for the oracle's grid) and on the sphere (for its distances, as the server's).
    updates: list[tuple[float, int, float, float, float, float]] = field(default_factory=list)
    told: dict[tuple[int, int], float] = field(default_factory=dict)  # (to, about) -> t
    errors: list[dict[str, Any]] = field(default_factory=list)


def latlon(x: float, y: float) -> tuple[float, float]:
    return ORIGIN[0] + y / M_PER_DEG_LAT, ORIGIN[1] + x / M_PER_DEG_LON


def plane(lat: float, lon: float) -> tuple[float, float]:
    return (lon - ORIGIN[1]) * M_PER_DEG_LON, (lat - ORIGIN[0]) * M_PER_DEG_LAT


async def make_person(url: str, number: int, radius: int, x: float, y: float) -> Person:
    async with DiscoClient(url) as client:
        pair = await client.signup(
            f"e2e-{number}-{time.time_ns()}@example.com", PASSWORD, "E", "Two"
        )
        await client.patch(
            "/v1/users/me",
            json={"interests": INTERESTS, "activities": ["coffee", "walk"], "mode": "social"},
        )
        await client.put(
            "/v1/users/me/preferences", json={"discoveryRadiusMeters": radius, "timeWindows": []}
        )
        await client.put("/v1/discovery", json={"enabled": True})
        assert client.token is not None
        return Person(number, client.token, pair["user"]["id"], radius, x, y)


async def make_people(url: str, count: int, side_m: float, rng: random.Random) -> list[Person]:
    gate = asyncio.Semaphore(8)

    async def one(number: int) -> Person:
        async with gate:
            return await make_person(
                url,
                number,
                RADII[number % len(RADII)],
                rng.uniform(-side_m / 2, side_m / 2),
                rng.uniform(-side_m / 2, side_m / 2),
            )

    return list(await asyncio.gather(*(one(n) for n in range(count))))


async def consumers_idle(url: str, quiet_s: float = 3.0) -> float:
    """Waits until the server's consumers have handled every event of the sign-ups (their
    count, from /metrics, stands still for ``quiet_s``); returns how long that took. Matching
    acts on what it has projected: a person placed before their radius arrives is placed with
    the sign-up's default one, so measuring during the backlog measures the backlog."""
    started = time.monotonic()
    last, still_since = -1.0, time.monotonic()
    async with httpx.AsyncClient(base_url=url) as client:
        while True:
            text = (await client.get("/metrics")).text
            handled = sum(
                float(line.rsplit(" ", 1)[1])
                for line in text.splitlines()
                if line.startswith("disco_events_handled_total{")
            )
            now = time.monotonic()
            if handled != last:
                last, still_since = handled, now
            elif now - still_since >= quiet_s:
                return now - started - quiet_s
            if now - started > 900:
                raise RuntimeError("the server's consumers never went quiet in 15 minutes")
            await asyncio.sleep(0.5)


async def location_fixes(url: str) -> dict[str, float]:
    """The server's count of location fixes by outcome (accepted, or why not), from /metrics."""
    async with httpx.AsyncClient(base_url=url) as client:
        text = (await client.get("/metrics")).text
    counts: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith("disco_location_fixes_total{"):
            metric, value = line.rsplit(" ", 1)
            counts[metric.split('outcome="')[1].split('"')[0]] = float(value)
    return counts


async def open_socket(url: str, person: Person, run: Run, by_id: dict[str, int]) -> None:
    ws = await connect(
        url.replace("http://", "ws://") + "/v1/ws",
        subprotocols=["disco.v1", f"bearer.{person.token}"],  # type: ignore[list-item]
        max_size=2**20,
    )
    ready = json.loads(await ws.recv())
    assert ready["type"] == "ready", ready
    person.socket = ws

    async def read() -> None:
        async for raw in ws:
            now = time.monotonic()
            frame = json.loads(raw)
            if frame.get("type") == "nearby":
                other = by_id.get(frame["data"]["userId"])
                if other is not None:
                    run.told.setdefault((person.number, other), now)
            elif frame.get("type") == "error":
                run.errors.append(frame)

    person.reader = asyncio.create_task(read())


@dataclass
class Oracle:
    """What a brute-force replay of every update sent says should have been told."""

    met_at: dict[tuple[int, int], float]  # pair -> send time of the update bringing it in range
    certain: set[tuple[int, int]]  # pairs in range in any order of arrival (see ``oracle``)
    near: set[tuple[int, int]]  # pairs ever within range plus the slack


def oracle(run: Run, slack_m: float, cell: float = 1609.0) -> Oracle:
    """Replays the updates in the order they were sent, measuring as the server does (great
    circles between shown positions, a radius itself within). The server sees them in the
    order they arrive, which differs by milliseconds between people: a pair in range at a
    single update may or may not be in range in the server's order, and a pair the server saw
    in range may have been within ``slack_m`` of it in ours."""
    radius = {p.number: p.radius for p in run.people}
    where: dict[int, tuple[float, float, float, float]] = {}
    grid: dict[tuple[int, int], set[int]] = defaultdict(set)
    result = Oracle({}, set(), set())
    for sent_at, who, x, y, lat, lon in sorted(run.updates):
        if who in where:
            ox, oy, _, _ = where[who]
            grid[(math.floor(ox / cell), math.floor(oy / cell))].discard(who)
        where[who] = (x, y, lat, lon)
        cx, cy = math.floor(x / cell), math.floor(y / cell)
        grid[(cx, cy)].add(who)
        for gx in (cx - 1, cx, cx + 1):
            for gy in (cy - 1, cy, cy + 1):
                for other in grid.get((gx, gy), ()):
                    if other == who:
                        continue
                    _, _, blat, blon = where[other]
                    reach = min(radius[who], radius[other])
                    distance = haversine_m(lat, lon, blat, blon)
                    pair = (min(who, other), max(who, other))
                    if distance <= reach + slack_m:
                        result.near.add(pair)
                    if distance <= reach + WITHIN_TOLERANCE_M:
                        result.met_at.setdefault(pair, sent_at)
                    # In range by more than a step each: whichever order the server takes the
                    # updates around this one in, it sees them in range. A radius shorter than
                    # that slack is never certain (two people in one cell are 0 m apart, but
                    # only until either moves).
                    if distance <= reach - slack_m:
                        result.certain.add(pair)
    return result


async def people_online(
    server: Server, args: argparse.Namespace, rng: random.Random
) -> tuple[Run, float, float]:
    """``--users`` people signed up, settled and each with an open socket: the run, how long
    the sign-ups took and how long the server's consumers then took to handle them."""
    started = time.monotonic()
    people = await make_people(server.url, args.users, args.side_m, rng)
    setup_s = time.monotonic() - started
    run = Run(people, server.displacement)
    by_id = {p.user_id: p.number for p in people}
    gate = asyncio.Semaphore(50)

    async def connect_one(person: Person) -> None:
        async with gate:
            await open_socket(server.url, person, run, by_id)

    # Sockets after the wait: one left silent through it would close for idleness.
    settle_s = await consumers_idle(server.url)
    await asyncio.gather(*(connect_one(p) for p in people))
    return run, setup_s, settle_s


def people_parser(description: str) -> argparse.ArgumentParser:
    """The arguments of every benchmark that signs people up with ``make_people``."""
    parser = argparse.ArgumentParser(description=description.split("\n", 1)[0])
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--side-m", type=float, default=20_000.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json-out", type=Path)
    parser.add_argument(
        "--backends",
        choices=("embedded", "real"),
        default="embedded",
        help="real: a fresh PostgreSQL database, Redis (presence included) and RabbitMQ",
    )
    return parser


@dataclass(frozen=True)
class Server:
    """The ``disco up`` a benchmark drives: where, its CPU so far, and how it shows people."""

    url: str
    cpu_seconds: Callable[[], float]
    displacement: Displacement


Drive = Callable[[Server, argparse.Namespace], Coroutine[Any, Any, dict[str, Any]]]


def against_disco_up(args: argparse.Namespace, drive: Drive) -> dict[str, Any]:
    """``drive`` against a fresh ``disco up`` (a throwaway data directory; with ``--backends
    real`` a fresh database, Redis and a broker namespace of its own, removed afterwards), with
    the displacement the server applies (the benchmark hands it its encryption key); prints the
    result and writes it with the machine and arguments to ``--json-out``."""
    with scratch_dir("disco-bench-e2e-") as scratch, contextlib.ExitStack() as stack:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        key = FieldCipher.generate_key()
        settings = {"DISCO_PORT": str(port), "DISCO_ENCRYPTION_KEYS": json.dumps([key])}
        if args.backends == "real":
            namespace = stack.enter_context(broker_namespace(f"benchcrowd{uuid.uuid4().hex[:8]}"))
            stack.callback(_forget_keys, namespace)
            settings |= {
                "DISCO_DATABASE_URL": stack.enter_context(fresh_database()),
                "DISCO_REDIS_URL": REDIS_URL,
                "DISCO_AMQP_URL": AMQP_URL,
                "DISCO_NAMESPACE": namespace,
            }
        env = disco_env(scratch / "data", **settings)
        secret = FieldCipher([key]).derive_secret("location-displacement")
        with Disco(["up", "--port", str(port)], env, scratch / "disco.log") as server:
            server.wait_ready(url)
            target = Server(url, server.cpu_seconds, Displacement(secret, SNAP_M))
            result = asyncio.run(drive(target, args))
    document = {"machine": machine(), "args": vars(args) | {"json_out": None}, "result": result}
    print(json.dumps(result, indent=2))
    write_json(args.json_out, document)
    return result


def _forget_keys(namespace: str) -> None:
    """Delete the Redis keys of ``namespace`` (Redis keeps them until it restarts)."""
    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = list(client.scan_iter(match=f"{namespace}:*", count=1000))
        for start in range(0, len(keys), 500):
            client.delete(*keys[start : start + 500])
    finally:
        client.close()
