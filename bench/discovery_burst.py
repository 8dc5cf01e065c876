"""The start-up burst through ``disco up``: everyone switches on within a couple of seconds.

    .venv/bin/python -m bench.discovery_burst [--users 2000] [--spread 2] [--json-out FILE]

People sign up as in ``bench.discovery_e2e`` (the same interests, so every pair in range is
compatible; radii 30, 150, 500 and 1609 m; a ``--side-m`` square), wait for the server's
consumers to handle the sign-ups, and open their WebSockets. Then each person sends their first
location over their socket at a random moment within ``--spread`` seconds: that is switching
on, since nobody is discoverable before their first fix. Nobody moves after it.

The target (issue 15): every pair in range is told, on both sides, within 2 s of the last
person switching on (``all_told_after_last_s``). Also reported: for each pair, the time from
the later of its two fixes to the later of its two ``nearby`` frames (p50, p99, max).

The oracle is ``bench.discovery_e2e``'s, with one fix each: a pair is in range when the shown
positions (displaced and snapped with the server's secret) are within the shorter radius. Pairs
within the server's tolerance of the edge may go either way: ``missed`` counts pairs inside the
radius by more than the tolerance that were never told, ``extra`` pairs told that were beyond
it, and ``one_sided`` pairs told to one side only. The run fails on any of them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
from typing import Any

from bench.crowd import (
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
from bench.support import percentile, watch_loop_lag
from disco.match.engine.geo import WITHIN_TOLERANCE_M


async def switch_on(person: Person, run: Run, at: float) -> None:
    """``person``'s first fix, over their socket, at the monotonic time ``at``."""
    assert person.socket is not None
    await asyncio.sleep(max(0.0, at - time.monotonic()))
    lat, lon = latlon(person.x, person.y)
    now = time.monotonic()
    person.sent.append(now)
    shown = run.displacement.shown(person.user_id, lat, lon, time.time())
    run.updates.append((now, person.number, *plane(*shown), *shown))
    frame = {"type": "location_update", "data": {"latitude": lat, "longitude": lon, "accuracy": 10}}
    await person.socket.send(json.dumps(frame))


async def all_told(run: Run, pairs: set[tuple[int, int]], timeout_s: float) -> None:
    """Until every pair in ``pairs`` was told on both sides, or ``timeout_s`` has passed."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if all((a, b) in run.told and (b, a) in run.told for a, b in pairs):
            return
        await asyncio.sleep(0.05)


async def drive(server: Server, args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(args.seed)
    run, _, settle_s = await people_online(server, args, rng)
    url, server_cpu = server.url, server.cpu_seconds
    people = run.people
    first = time.monotonic() + 0.5
    starts = {p.number: first + rng.random() * args.spread for p in people}
    lag: list[float] = []
    watcher = asyncio.create_task(watch_loop_lag(lag))
    cpu_from = server_cpu()
    await asyncio.gather(*(switch_on(p, run, starts[p.number]) for p in people))
    last_on = max(t for t, *_ in run.updates)
    expected = oracle(run, slack_m=WITHIN_TOLERANCE_M)
    await all_told(run, expected.certain, args.timeout)
    cpu_used = server_cpu() - cpu_from
    watcher.cancel()
    await asyncio.sleep(args.drain)  # anything told late or wrongly still arrives
    fixes = await location_fixes(url)
    for person in people:
        if person.socket is not None:
            await person.socket.close()
    await asyncio.gather(*(p.reader for p in people if p.reader), return_exceptions=True)

    told = {(min(a, b), max(a, b)) for a, b in run.told}
    sent = {who: t for t, who, *_ in run.updates}
    both_told = {
        (a, b): max(run.told[(a, b)], run.told[(b, a)])
        for a, b in told
        if (a, b) in run.told and (b, a) in run.told
    }
    waits = [both_told[pair] - max(sent[pair[0]], sent[pair[1]]) for pair in both_told]
    last_told = max((both_told[p] for p in expected.certain if p in both_told), default=last_on)
    return {
        "users": args.users,
        "spread_s": args.spread,
        "settle_s": round(settle_s, 1),
        # Sent by this generator: the first to the last switch-on, as they actually went out.
        "switch_on_span_s": round(last_on - min(t for t, *_ in run.updates), 2),
        "pairs_in_range": len(expected.certain),
        "pairs_told": len(told),
        # The target: the last pair in range told on both sides, after the last switch-on.
        "all_told_after_last_s": round(last_told - last_on, 3),
        "p50_ms": round(1000 * statistics.median(waits), 1) if waits else None,
        "p99_ms": round(1000 * percentile(waits, 0.99), 1) if waits else None,
        "max_ms": round(1000 * max(waits), 1) if waits else None,
        "missed": len(expected.certain - told),
        "extra": len(told - expected.near),
        "one_sided": len(told) - len(both_told),
        "server_cpu_s": round(cpu_used, 2),
        "client_loop_lag_p99_ms": round(1000 * percentile(lag, 0.99), 1) if lag else None,
        "fixes": fixes,
        "error_frames": len(run.errors),
        "first_errors": run.errors[:3],
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = people_parser(__doc__)
    parser.add_argument("--spread", type=float, default=2.0, help="seconds to switch everyone on")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for all")
    parser.add_argument("--drain", type=float, default=2.0)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    result = against_disco_up(parse_args(argv), drive)
    return 1 if result["missed"] or result["extra"] or result["one_sided"] else 0


if __name__ == "__main__":
    sys.exit(main())
