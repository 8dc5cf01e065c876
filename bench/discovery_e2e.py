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
from typing import Any

import httpx

from bench.crowd import (
    SHOWN_STEP_M,
    STEP_M,
    Person,
    Run,
    Server,
    against_disco_up,
    latlon,
    location_fixes,
    oracle,
    people_online,
    people_parser,
    plane,
)
from bench.support import (
    percentile,
    watch_loop_lag,
)


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


async def drive(server: Server, args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(args.seed)
    run, setup_s, settle_s = await people_online(server, args, rng)
    url, server_cpu = server.url, server.cpu_seconds
    people = run.people
    # With the sockets open: the pairs this places in range are told over them.
    await place_everyone(url, run, asyncio.Semaphore(50))
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
    parser = people_parser(__doc__)
    parser.add_argument("--interval", type=float, default=2.0)
    parser.add_argument("--warmup", type=float, default=10.0)
    parser.add_argument("--measure", type=float, default=60.0)
    parser.add_argument("--drain", type=float, default=5.0)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    result = against_disco_up(parse_args(argv), drive)
    failed = result["missed_certain"] or result["extra_beyond_slack"] or result["one_sided"]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
