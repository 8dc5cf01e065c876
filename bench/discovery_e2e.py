"""End to end through ``disco up``: WebSocket clients streaming locations, timed to both ``nearby``.

    .venv/bin/python -m bench.discovery_e2e [--users 2000] [--interval 2] [--measure 60]
                                            [--json-out FILE]

``disco up`` runs as a child process (embedded mode). ``--users`` people sign up through the
API with the same interests (so every pair in range is compatible), radii 30, 150, 500 and
1609 m (a quarter each), in a ``--side-m`` square. Once the server's consumers have handled
the sign-ups' events (``settle_s``), each opens a WebSocket, sends a first fix over HTTP and
then a ``location_update`` every ``--interval`` seconds, moving up to 50 m each time. After
``--warmup`` seconds (everyone placed, the first burst of encounters told) the next
``--measure`` seconds are measured.

Latency of an encounter: from the update that brought the pair into range to the later of the
two ``nearby`` frames (one to each). Which update that was comes from the oracle's replay of
every update sent, so a backlog cannot hide behind a later update. A pair told to only one
side counts as a failure.

The oracle: every update sent is logged and replayed, brute force, at the position the server
shows it at (displaced and snapped: who is told is decided between shown positions, DESIGN.md
section 6), computed with the same secret (the benchmark hands the server its encryption key,
from which the displacement secret is derived) and measured as the server does (great circles,
a radius itself within). The server sees updates in the order they arrive, which differs from
the order sent by milliseconds between people, so a pair within a step or two of the edge may
fall either way; a step moves a shown position by up to the step and a cell's diagonal. The
run passes when every pair in range by more than two such steps at some update, so in range
whatever the order, was told (``missed_certain``), every pair told was in range give or take
two steps (``extra_beyond_slack``), and no pair was told on one side only. ``missed`` and
``extra`` count the boundary cases against the strict replay.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import random
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect

from bench.support import (
    PASSWORD,
    Disco,
    disco_env,
    free_port,
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


async def place_everyone(url: str, run: Run, gate: asyncio.Semaphore) -> None:
    """Each person's first fix (their socket already open), over HTTP: from then on the
    server tells them who they meet. A fix answered ``profile_pending`` (the projection of
    their profile is not there yet) is sent again a second later."""
    waiting = list(run.people)
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:

        async def place(person: Person) -> bool:
            async with gate:
                lat, lon = latlon(person.x, person.y)
                sent_at = time.monotonic()
                answer = await client.post(
                    "/v1/location",
                    json={"latitude": lat, "longitude": lon, "accuracy": 10},
                    headers={"Authorization": f"Bearer {person.token}"},
                )
                answer.raise_for_status()
                if not answer.json()["accepted"]:
                    return False
                shown = run.displacement.shown(person.user_id, lat, lon, time.time())
                run.updates.append((sent_at, person.number, *plane(*shown), *shown))
                person.sent.append(sent_at)
                return True

        while waiting:
            placed = await asyncio.gather(*(place(p) for p in waiting))
            waiting = [p for p, ok in zip(waiting, placed, strict=True) if not ok]
            if waiting:
                await asyncio.sleep(1.0)


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


async def walk(
    person: Person, run: Run, until: float, interval: float, side_m: float, rng: random.Random
) -> None:
    assert person.socket is not None
    await asyncio.sleep(rng.random() * interval)
    while time.monotonic() < until:
        angle = rng.uniform(0, 2 * math.pi)
        step = rng.uniform(0, STEP_M)
        half = side_m / 2
        person.x = max(-half, min(half, person.x + step * math.cos(angle)))
        person.y = max(-half, min(half, person.y + step * math.sin(angle)))
        lat, lon = latlon(person.x, person.y)
        now = time.monotonic()
        person.sent.append(now)
        shown = run.displacement.shown(person.user_id, lat, lon, time.time())
        run.updates.append((now, person.number, *plane(*shown), *shown))
        await person.socket.send(
            json.dumps(
                {
                    "type": "location_update",
                    "data": {"latitude": lat, "longitude": lon, "accuracy": 10},
                }
            )
        )
        await asyncio.sleep(interval - (time.monotonic() - now))


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


def latencies(
    run: Run,
    met_at: dict[tuple[int, int], float],
    window: tuple[float, float],
    slices: list[list[float]],
) -> tuple[list[float], int]:
    """From the update that brought a pair into range (the oracle's) to the later of its two
    frames, for every pair that met inside ``window``; and how many pairs were told on one
    side only."""
    out: list[float] = []
    one_sided = 0
    for (a, b), trigger in met_at.items():
        ta, tb = run.told.get((a, b)), run.told.get((b, a))
        if (ta is None) != (tb is None):
            one_sided += 1
        if ta is None or tb is None or not window[0] <= trigger <= window[1]:
            continue
        out.append(max(ta, tb) - trigger)
        slices[min(len(slices) - 1, int((trigger - window[0]) / 10))].append(out[-1])
    return out, one_sided


async def database_transactions(url: str) -> dict[str, dict[str, float]]:
    """The match service's units of work over the whole run (from /metrics): how many, and
    their mean duration including the wait for a connection."""
    async with httpx.AsyncClient(base_url=url) as client:
        text = (await client.get("/metrics")).text
    totals: dict[str, dict[str, float]] = defaultdict(dict)
    for line in text.splitlines():
        if line.startswith("disco_db_transaction_seconds_") and 'service="match"' in line:
            metric, value = line.rsplit(" ", 1)
            kind = metric.split("{")[0].rsplit("_", 1)[1]  # sum or count (or bucket)
            name = metric.split('transaction="')[1].split('"')[0]
            if kind in ("sum", "count"):
                totals[name][kind] = float(value)
    return {
        name: {"count": t["count"], "mean_ms": round(1000 * t["sum"] / max(1.0, t["count"]), 2)}
        for name, t in totals.items()
        if "count" in t and "sum" in t
    }


async def watch_loop_lag(lag: list[float], every_s: float = 0.01) -> None:
    loop = asyncio.get_running_loop()
    while True:
        started = loop.time()
        await asyncio.sleep(every_s)
        lag.append(loop.time() - started - every_s)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]


async def drive(
    url: str,
    args: argparse.Namespace,
    server_cpu: Callable[[], float],
    displacement: Displacement,
) -> dict[str, Any]:
    rng = random.Random(args.seed)
    started = time.monotonic()
    people = await make_people(url, args.users, args.side_m, rng)
    setup_s = time.monotonic() - started
    run = Run(people, displacement)
    by_id = {p.user_id: p.number for p in people}
    gate = asyncio.Semaphore(50)

    async def connect_one(person: Person) -> None:
        async with gate:
            await open_socket(url, person, run, by_id)

    # Sockets after the wait: one left silent through it would close for idleness.
    settle_s = await consumers_idle(url)
    await asyncio.gather(*(connect_one(p) for p in people))
    # With the sockets open: the pairs this places in range are told over them.
    await place_everyone(url, run, gate)
    begin = time.monotonic()
    measure_from = begin + args.warmup
    until = measure_from + args.measure
    lag: list[float] = []
    watcher = asyncio.create_task(watch_loop_lag(lag))
    walking = asyncio.gather(
        *(walk(p, run, until, args.interval, args.side_m, rng) for p in people)
    )
    await asyncio.sleep(max(0.0, measure_from - time.monotonic()))
    cpu_from = server_cpu()
    fixes_from = await location_fixes(url)
    await walking
    cpu_used = server_cpu() - cpu_from
    fixes = await location_fixes(url)
    watcher.cancel()
    await asyncio.sleep(args.drain)
    transactions = await database_transactions(url)
    for person in people:
        if person.socket is not None:
            await person.socket.close()
    await asyncio.gather(*(p.reader for p in people if p.reader), return_exceptions=True)

    slices: list[list[float]] = [[] for _ in range(max(1, math.ceil(args.measure / 10)))]
    expected = oracle(run, slack_m=2 * SHOWN_STEP_M)
    values, one_sided = latencies(run, expected.met_at, (measure_from, until), slices)
    told = {(min(a, b), max(a, b)) for a, b in run.told}
    sent_in_window = sum(1 for t, *_ in run.updates if measure_from <= t <= until)
    return {
        "users": args.users,
        "setup_s": round(setup_s, 1),
        # From the end of the sign-ups until the server's consumers had handled their events.
        "settle_s": round(settle_s, 1),
        "updates_per_s": round(sent_in_window / args.measure, 1),
        # Server CPU per update while measuring (encounters and pushes included).
        "server_cpu_ms_per_update": round(1000 * cpu_used / max(1, sent_in_window), 3),
        "encounters_measured": len(values),
        "p50_ms": round(1000 * statistics.median(values), 1) if values else None,
        "p99_ms": round(1000 * percentile(values, 0.99), 1) if values else None,
        "max_ms": round(1000 * max(values), 1) if values else None,
        # p50 of each 10 s of the measurement: a rising series is a backlog, a flat one a delay.
        "p50_ms_by_10s": [round(1000 * statistics.median(v), 1) if v else None for v in slices],
        "pairs_oracle": len(expected.met_at),
        "pairs_told": len(told),
        "missed": len(expected.met_at.keys() - told),
        "extra": len(told - expected.met_at.keys()),
        # The acceptance: every pair in range whatever the order of arrival was told, and every
        # pair told was in range give or take two steps (the order of arrival decides the rest).
        "pairs_certain": len(expected.certain),
        "missed_certain": len(expected.certain - told),
        "extra_beyond_slack": len(told - expected.near),
        # Of them, told while measuring (the rest were told in the warm-up).
        "extra_beyond_slack_measured": sum(
            1
            for a, b in told - expected.near
            if min(run.told.get((a, b), math.inf), run.told.get((b, a), math.inf)) >= measure_from
        ),
        "one_sided": one_sided,
        # How late this process's own event loop ran (it timestamps the frames): if this is
        # large, the latencies above are partly the load generator's.
        "client_loop_lag_p99_ms": round(1000 * percentile(lag, 0.99), 1) if lag else None,
        "match_transactions": transactions,
        # What became of the fixes sent while measuring: refusals ("implausible" when a
        # backlog bunches one person's updates) leave stale positions behind.
        "fixes_measured": {
            outcome: count - fixes_from.get(outcome, 0.0)
            for outcome, count in fixes.items()
            if count > fixes_from.get(outcome, 0.0)
        },
        "error_frames": len(run.errors),
        "first_errors": run.errors[:3],
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--side-m", type=float, default=20_000.0)
    parser.add_argument("--interval", type=float, default=2.0)
    parser.add_argument("--warmup", type=float, default=10.0)
    parser.add_argument("--measure", type=float, default=60.0)
    parser.add_argument("--drain", type=float, default=5.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json-out", type=Path)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with scratch_dir("disco-bench-e2e-") as scratch:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        key = FieldCipher.generate_key()
        env = disco_env(
            scratch / "data", DISCO_PORT=str(port), DISCO_ENCRYPTION_KEYS=json.dumps([key])
        )
        secret = FieldCipher([key]).derive_secret("location-displacement")
        with Disco(["up", "--port", str(port)], env, scratch / "disco.log") as server:
            server.wait_ready(url)
            result = asyncio.run(drive(url, args, server.cpu_seconds, Displacement(secret, SNAP_M)))
    document = {"machine": machine(), "args": vars(args) | {"json_out": None}, "result": result}
    print(json.dumps(result, indent=2))
    write_json(args.json_out, document)
    failed = result["missed_certain"] or result["extra_beyond_slack"] or result["one_sided"]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
