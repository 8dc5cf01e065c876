"""The proximity engine against Redis GEOSEARCH and PostGIS ST_DWithin doing the same work.

    .venv/bin/python -m bench.discovery [--users 100000] [--updates 20000] [--json-out FILE]

A city of ``--users`` active users spread uniformly over a ``--side-m`` square, radii 30, 150,
500 and 1609 m (a quarter each). One update = one user moves up to 50 m in a random direction,
then everyone within both radii of it (distance <= min(own radius, theirs)) is found. The same
seeded sequence of updates drives, one after the other in one run:

  engine   ``disco.match.engine.PresenceIndex``: ``upsert`` (which also works out the pairs that
           just came into range) then ``query``, in this process
  redis    one pipelined round trip per update: GEOADD the new position, GEOSEARCH BYRADIUS the
           user's radius WITHDIST; the client keeps the others' radii and drops those whose own
           radius is shorter than the distance (Redis at 127.0.0.1:6379, a unique key, deleted)
  postgis  UPDATE the user's geography point, then SELECT the ids with ST_DWithin(pos, point,
           LEAST(own radius, theirs), false) over a GiST index (a fresh database, dropped)
  presence ``disco.match.presence_redis.RedisPresence``, the port the match service runs on
           Redis: ``move`` (one Lua script: the encounters that just started, atomically) then
           ``nearby`` (another: everyone in range, with buckets); the city is loaded through
           ``move`` too, 64 at a time (a unique namespace, deleted)

Reported per backend: updates/s, p50/p99/max per update (wall, including the client's work).
The baselines are slower, so they run ``--baseline-updates`` updates (the same first ones);
presence runs ``--presence-updates``.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import random
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: python bench/discovery.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import asyncpg
import redis

from bench.support import REDIS_URL, fresh_database, machine, write_json
from disco.match.engine.geo import METRES_PER_DEGREE_LAT, metres_per_degree_lon
from disco.match.engine.index import PresenceIndex
from disco.match.presence_redis import RedisPresence

RADII = (30, 150, 500, 1609)
ORIGIN = (40.7128, -74.0060)  # the middle of the square
MAX_STEP_M = 50.0
BACKENDS = ("engine", "redis", "postgis", "presence")
# Moves in flight at once while loading the city through RedisPresence.
PRESENCE_LOAD_BATCH = 64
# Every backend runs at least these first updates; their in-range counts must agree (up to
# pairs a hair from the edge: Redis, PostGIS and the engine's plane round differently).
COMMON_UPDATES = 200


@dataclass
class City:
    lat: list[float]
    lon: list[float]
    radius: list[int]


@dataclass(frozen=True)
class Update:
    user: int
    lat: float
    lon: float


@dataclass
class Result:
    backend: str
    updates: int
    updates_per_s: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    mean_found: float
    found_in_common: int  # in range, summed over the updates every backend ran: a cross-check
    load_s: float
    by_radius_p99_ms: dict[int, float]


def build_city(users: int, side_m: float, updates: int, seed: int) -> tuple[City, list[Update]]:
    """Start positions, then a sequence of moves of random users, each up to MAX_STEP_M."""
    rng = random.Random(seed)
    per_lat = 1 / METRES_PER_DEGREE_LAT
    per_lon = 1 / metres_per_degree_lon(ORIGIN[0])
    half = side_m / 2
    xs = [rng.uniform(-half, half) for _ in range(users)]
    ys = [rng.uniform(-half, half) for _ in range(users)]

    def latlon(x: float, y: float) -> tuple[float, float]:
        return ORIGIN[0] + y * per_lat, ORIGIN[1] + x * per_lon

    start = [latlon(x, y) for x, y in zip(xs, ys, strict=True)]
    city = City([p[0] for p in start], [p[1] for p in start], [RADII[i % 4] for i in range(users)])
    moves = []
    for _ in range(updates):
        user = rng.randrange(users)
        step, angle = rng.uniform(0, MAX_STEP_M), rng.uniform(0, 2 * math.pi)
        xs[user] = min(half, max(-half, xs[user] + step * math.cos(angle)))
        ys[user] = min(half, max(-half, ys[user] + step * math.sin(angle)))
        moves.append(Update(user, *latlon(xs[user], ys[user])))
    return city, moves


def summarise(
    backend: str,
    city: City,
    moves: Sequence[Update],
    latencies_ns: list[int],
    wall_s: float,
    found: list[int],
    load_s: float,
) -> Result:
    ordered = sorted(latencies_ns)

    def pct(values: list[int], q: float) -> float:
        return values[min(len(values) - 1, int(q * len(values)))] / 1e6

    by_radius = {}
    for radius in RADII:
        mine = sorted(
            ns for ns, m in zip(latencies_ns, moves, strict=False) if city.radius[m.user] == radius
        )
        by_radius[radius] = round(pct(mine, 0.99), 3)
    return Result(
        backend=backend,
        updates=len(latencies_ns),
        updates_per_s=round(len(latencies_ns) / wall_s, 1),
        p50_ms=round(pct(ordered, 0.50), 3),
        p99_ms=round(pct(ordered, 0.99), 3),
        max_ms=round(ordered[-1] / 1e6, 3),
        mean_found=round(sum(found) / len(found), 1),
        found_in_common=sum(found[:COMMON_UPDATES]),
        load_s=round(load_s, 1),
        by_radius_p99_ms=by_radius,
    )


def timed(
    moves: Sequence[Update], step: Callable[[Update], int]
) -> tuple[list[int], float, list[int]]:
    latencies = []
    found = []
    clock = time.perf_counter_ns
    began = clock()
    for move in moves:
        t0 = clock()
        found.append(step(move))
        latencies.append(clock() - t0)
    return latencies, (clock() - began) / 1e9, found


def compatible(a: str, b: str) -> bool:
    """Stand-in for the matching rule: about one pair in fifty is worth announcing."""
    return (hash(a) ^ hash(b)) % 50 == 0


def run_engine(city: City, moves: Sequence[Update]) -> Result:
    index = PresenceIndex(ttl_s=1e9, cooldown_s=1800, pair_filter=compatible)
    names = [f"u{i}" for i in range(len(city.radius))]
    began = time.perf_counter()
    for i, name in enumerate(names):
        index.upsert(name, city.lat[i], city.lon[i], city.radius[i], at=0.0)
    load_s = time.perf_counter() - began
    at = 1.0

    def step(move: Update) -> int:
        name = names[move.user]
        index.upsert(name, move.lat, move.lon, city.radius[move.user], at)
        return len(index.query(name))

    latencies, wall, found = timed(moves, step)
    return summarise("engine", city, moves, latencies, wall, found, load_s)


def run_redis(city: City, moves: Sequence[Update], url: str) -> Result:
    client = redis.Redis.from_url(url)
    key = f"disco:bench:discovery:{uuid.uuid4().hex}"
    names = [f"u{i}".encode() for i in range(len(city.radius))]
    radius_of = dict(zip(names, city.radius, strict=True))
    try:
        began = time.perf_counter()
        for start in range(0, len(names), 5000):
            values: list[Any] = []
            for i in range(start, min(start + 5000, len(names))):
                values += [city.lon[i], city.lat[i], names[i]]
            client.geoadd(key, values)
        load_s = time.perf_counter() - began

        def step(move: Update) -> int:
            name, radius = names[move.user], city.radius[move.user]
            pipe = client.pipeline(transaction=False)
            pipe.geoadd(key, [move.lon, move.lat, name])
            pipe.geosearch(
                key, longitude=move.lon, latitude=move.lat, radius=radius, unit="m", withdist=True
            )
            _, hits = pipe.execute()
            return sum(1 for other, dist in hits if other != name and dist <= radius_of[other])

        latencies, wall, found = timed(moves, step)
    finally:
        client.delete(key)
        client.close()
    return summarise("redis", city, moves, latencies, wall, found, load_s)


def run_presence(city: City, moves: Sequence[Update], url: str) -> Result:
    return asyncio.run(_presence(city, moves, url))


async def _presence(city: City, moves: Sequence[Update], url: str) -> Result:
    namespace = f"disco:bench:presence:{uuid.uuid4().hex}"
    presence = RedisPresence(url, namespace, ttl_s=1e6, cooldown_s=1800, memory_s=3600)
    names = [f"u{i}" for i in range(len(city.radius))]
    try:
        began = time.perf_counter()
        for start in range(0, len(names), PRESENCE_LOAD_BATCH):
            batch = range(start, min(start + PRESENCE_LOAD_BATCH, len(names)))
            await asyncio.gather(
                *(
                    presence.move(names[i], city.lat[i], city.lon[i], city.radius[i], at=0.0)
                    for i in batch
                )
            )
        load_s = time.perf_counter() - began
        latencies = []
        found = []
        clock = time.perf_counter_ns
        start_ns = clock()
        for move in moves:
            t0 = clock()
            name = names[move.user]
            await presence.move(name, move.lat, move.lon, city.radius[move.user], at=1.0)
            found.append(len(await presence.nearby(name)))
            latencies.append(clock() - t0)
        wall = (clock() - start_ns) / 1e9
    finally:
        keys = [key async for key in presence.redis.scan_iter(match=f"{namespace}:*")]
        if keys:
            await presence.redis.delete(*keys)
        await presence.close()
    return summarise("presence", city, moves, latencies, wall, found, load_s)


SCHEMA = """
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE TABLE presence (
    id integer PRIMARY KEY, radius real NOT NULL, pos geography(Point, 4326) NOT NULL
);
CREATE TEMPORARY TABLE start (id integer, radius real, lon double precision, lat double precision);
"""
MOVE = "UPDATE presence SET pos = ST_SetSRID(ST_MakePoint($2, $3), 4326)::geography WHERE id = $1"
NEAR = """
SELECT id FROM presence
WHERE ST_DWithin(pos, ST_SetSRID(ST_MakePoint($2, $3), 4326)::geography, $4, false)
  AND ST_DWithin(pos, ST_SetSRID(ST_MakePoint($2, $3), 4326)::geography, LEAST($4, radius), false)
  AND id <> $1
"""


def run_postgis(city: City, moves: Sequence[Update]) -> Result:
    with fresh_database() as sqlalchemy_url:
        return asyncio.run(_postgis(city, moves, sqlalchemy_url.replace("+asyncpg", "")))


async def _postgis(city: City, moves: Sequence[Update], url: str) -> Result:
    conn = await asyncpg.connect(url)
    try:
        began = time.perf_counter()
        await conn.execute(SCHEMA)
        rows = [
            (i, float(city.radius[i]), city.lon[i], city.lat[i]) for i in range(len(city.radius))
        ]
        await conn.copy_records_to_table("start", records=rows)
        await conn.execute(
            "INSERT INTO presence SELECT id, radius, "
            "ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geography FROM start;"
            "CREATE INDEX presence_pos ON presence USING gist (pos); ANALYZE presence;"
        )
        load_s = time.perf_counter() - began
        move_stmt, near_stmt = await conn.prepare(MOVE), await conn.prepare(NEAR)
        latencies = []
        found = []
        clock = time.perf_counter_ns
        start = clock()
        for move in moves:
            t0 = clock()
            radius = float(city.radius[move.user])
            await move_stmt.fetch(move.user, move.lon, move.lat)
            found.append(len(await near_stmt.fetch(move.user, move.lon, move.lat, radius)))
            latencies.append(clock() - t0)
        wall = (clock() - start) / 1e9
    finally:
        await conn.close()
    return summarise("postgis", city, moves, latencies, wall, found, load_s)


def table(results: Iterator[Result] | list[Result]) -> str:
    results = list(results)
    engine = next((r for r in results if r.backend == "engine"), None)
    lines = [
        "| backend | updates | updates/s | p50 ms | p99 ms | max ms | found/update "
        f"| found in first {COMMON_UPDATES} | engine x |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        ratio = f"x{engine.updates_per_s / r.updates_per_s:.1f}" if engine else "-"
        lines.append(
            f"| {r.backend} | {r.updates} | {r.updates_per_s:,.0f} | {r.p50_ms} | {r.p99_ms} "
            f"| {r.max_ms} | {r.mean_found} | {r.found_in_common} | {ratio} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--side-m", type=float, default=20_000.0)
    parser.add_argument("--updates", type=int, default=20_000, help="measured engine updates")
    parser.add_argument("--baseline-updates", type=int, default=3_000, help="for redis, postgis")
    parser.add_argument("--presence-updates", type=int, default=1_000)
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.add_argument("--redis-url", default=REDIS_URL)
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args(argv)
    if min(args.updates, args.baseline_updates, args.presence_updates) < COMMON_UPDATES:
        parser.error(f"every --*updates must be at least {COMMON_UPDATES}")
    backends = [b for b in args.backends.split(",") if b]
    unknown = set(backends) - set(BACKENDS)
    if unknown:
        parser.error(f"unknown backends {sorted(unknown)}; choose from {list(BACKENDS)}")

    about = machine()
    print(f"bench.discovery {about['date']}, load average {about['load_average_at_start']}")
    city, moves = build_city(
        args.users,
        args.side_m,
        max(args.updates, args.baseline_updates, args.presence_updates),
        args.seed,
    )
    results = []
    for backend in backends:
        if backend == "engine":
            result = run_engine(city, moves[: args.updates])
        elif backend == "redis":
            result = run_redis(city, moves[: args.baseline_updates], args.redis_url)
        elif backend == "presence":
            result = run_presence(city, moves[: args.presence_updates], args.redis_url)
        else:
            result = run_postgis(city, moves[: args.baseline_updates])
        print(
            f"  {backend}: {result.updates_per_s:,.0f} updates/s, p50 {result.p50_ms} ms, "
            f"p99 {result.p99_ms} ms, p99 by radius {result.by_radius_p99_ms}",
            flush=True,
        )
        results.append(result)
    print(table(results))
    write_json(
        args.json_out,
        {
            "machine": about,
            "arguments": vars(args) | {"json_out": str(args.json_out)},
            "results": [asdict(r) for r in results],
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
