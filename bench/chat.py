"""Chat under load: message delivery latency through Disco, beside a minimal relay as the ceiling.

    .venv/bin/python -m bench.chat [--clients 5000] [--rate 2000] [--seconds 60]
                                   [--targets relay,up,real] [--rounds 2] [--json-out FILE]

``--clients`` people in matched pairs (made through the public API), one WebSocket each;
messages go out open loop at ``--rate`` a second over the pairs, each side in turn, as
``POST /v1/chats/rooms/{id}/messages``. Latency: from when a message was due to its
``message`` frame on the recipient's socket. Targets, started together and measured in turn:
``relay`` (bench/chat_relay.py, the ceiling), ``up`` (``disco up``, embedded), ``real``
(``disco up`` on PostgreSQL + RabbitMQ + Redis). Server CPU from /proc, per message measured;
for ``real`` also the backends' (shared with the machine: an upper bound). What each figure
means: docs/performance.md, section Chat.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import itertools
import json
import multiprocessing as mp
import os
import statistics
import sys
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: python bench/chat.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import uvloop
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from bench.chat_relay import Pair, Relay, backend_cpu, relay_pairs, used_between
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
    percentile,
    scratch_dir,
    wait_answering,
    write_json,
)
from disco.client import ApiError, DiscoClient

ROOT = Path(__file__).resolve().parent.parent
INTERESTS = ["coffee", "hiking", "live music"]
SETUP_TIMEOUT_S = 20.0  # for a pair to be told of each other
SETTLE_S = 2.0
# Access tokens live an hour (the most allowed): sockets close then, so a whole run must fit.
CHAT_SETTINGS = {"DISCO_CHAT_MESSAGES_PER_MINUTE": "100000000"}


@dataclass
class Target:
    name: str
    url: str
    server: Disco
    pairs: list[Pair]
    database: str | None = None  # PostgreSQL database name, for its backends' CPU


# --- the load generator (one process of it) --------------------------------------------------
@dataclass(frozen=True)
class LoadSpec:
    url: str
    rate: float  # this process's share
    warmup: float
    seconds: float
    drain: float
    connections: int
    ciphertext_bytes: int
    tag: str  # makes this run's clientMessageIds unique (the same id again is a retry)
    franking: bool  # a sender's franking tag on every message, as end-to-end encryption sends


def worker_main(spec: LoadSpec, pairs: list[Pair], sync: tuple[Any, ...], out: Any) -> None:
    """A process of the load generator; ``sync``: (ready queue, go event, start time)."""
    try:
        out.put(uvloop.run(load(spec, pairs, *sync)))
    except BaseException:
        sync[0].put("failed")
        out.put({"failure": traceback.format_exc()})


async def load(spec: LoadSpec, pairs: list[Pair], ready: Any, go: Any, start: Any) -> dict:
    host, port = spec.url.removeprefix("http://").split(":")
    arrived: dict[str, float] = {}
    errors: list[Any] = []

    async def listen(token: str, me: str) -> ClientConnection:
        async with gate:
            ws = await connect(
                f"ws://{host}:{port}/v1/ws",
                subprotocols=["disco.v1", f"bearer.{token}"],  # type: ignore[list-item]
                open_timeout=120,
            )
            assert json.loads(await ws.recv())["type"] == "ready"

        async def read() -> None:
            with contextlib.suppress(ConnectionClosed):
                async for raw in ws:
                    now = time.monotonic()
                    frame = json.loads(raw)
                    if frame["type"] == "message" and frame["data"]["senderId"] != me:
                        arrived.setdefault(frame["data"]["clientMessageId"], now)
                    elif frame["type"] == "error":
                        errors.append(frame)

        readers.append(asyncio.create_task(read()))
        return ws

    readers: list[asyncio.Task[None]] = []
    gate = asyncio.Semaphore(50)
    sockets = await asyncio.gather(
        *(listen(t, i) for p in pairs for t, i in ((p.a_token, p.a_id), (p.b_token, p.b_id)))
    )
    ready.put("ready")
    await asyncio.to_thread(go.wait)
    begin, total = start.value, int(spec.rate * (spec.warmup + spec.seconds))
    ciphertext = base64.b64encode(os.urandom(spec.ciphertext_bytes)).decode()
    due = [begin + i / spec.rate for i in range(total)]
    posted: list[float | None] = [None] * total
    failures: list[str] = []
    queue: asyncio.Queue[int] = asyncio.Queue()

    def request(i: int) -> bytes:
        pair = pairs[i % len(pairs)]
        token = pair.a_token if (i // len(pairs)) % 2 == 0 else pair.b_token
        fields = {"ciphertext": ciphertext, "clientMessageId": f"{spec.tag}m{i}"}
        if spec.franking:
            fields["frankingTag"] = base64.b64encode(os.urandom(32)).decode()
        body = json.dumps(fields)
        return (
            f"POST /v1/chats/rooms/{pair.room_id}/messages HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n{body}"
        ).encode()

    async def post() -> None:
        """One keep-alive connection; a send cut off by a closed connection is sent again
        (the same clientMessageId: the server answers with the first)."""
        streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        while True:
            i = await queue.get()
            for attempt in range(3):
                try:
                    if streams is None:
                        streams = await asyncio.open_connection(host, int(port))
                    reader, writer = streams
                    writer.write(request(i))
                    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").lower()
                    length = int(head.split("content-length:", 1)[1].split("\r\n", 1)[0])
                    body = await reader.readexactly(length)
                    if "connection: close" in head:
                        writer.close()
                        streams = None
                    if head.startswith("http/1.1 201"):
                        posted[i] = time.monotonic()
                    elif len(failures) < 3:
                        failures.append(head.split("\r\n", 1)[0] + " " + body.decode()[:300])
                    break
                except (OSError, asyncio.IncompleteReadError) as exc:
                    streams = None
                    if attempt == 2 and len(failures) < 3:
                        failures.append(repr(exc))
            queue.task_done()

    lag: list[float] = []

    async def keep_alive() -> None:  # pings: the server closes a socket silent for too long
        for beat in itertools.count(1):
            at = time.monotonic()
            await asyncio.sleep(0.01)
            lag.append(time.monotonic() - at - 0.01)
            if beat % 3000 == 0:
                for ws in sockets:
                    with contextlib.suppress(ConnectionClosed):
                        await ws.send('{"type":"ping","data":{}}')

    helpers = [asyncio.create_task(post()) for _ in range(spec.connections)]
    helpers.append(asyncio.create_task(keep_alive()))
    cpu_from = time.process_time()
    for i in range(total):
        if (wait := due[i] - time.monotonic()) > 0:
            await asyncio.sleep(wait)
        queue.put_nowait(i)
    await queue.join()
    cpu_s = time.process_time() - cpu_from
    ids = [f"{spec.tag}m{i}" for i in range(total)]
    for _ in range(int(10 * spec.drain)):  # until every frame is in, or the drain is over
        if all(posted[i] is None or ids[i] in arrived for i in range(total)):
            break
        await asyncio.sleep(0.1)
    for task in helpers:
        task.cancel()
    await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    await asyncio.gather(*readers, *helpers, return_exceptions=True)
    window = [i for i in range(total) if due[i] >= begin + spec.warmup]
    return {
        "measured": len(window),
        "latencies": [arrived[ids[i]] - due[i] for i in window if ids[i] in arrived],
        "post_latencies": [p - due[i] for i in window if (p := posted[i]) is not None],
        "lost": sum(1 for i in range(total) if posted[i] is not None and ids[i] not in arrived),
        "failed_posts": sum(1 for p in posted if p is None),
        "first_failures": failures,
        "error_frames": len(errors),
        "cpu_s": cpu_s * spec.seconds / (spec.warmup + spec.seconds),
        "loop_lag_p99_ms": round(1000 * percentile(lag, 0.99), 1),
    }


# --- making pairs ---------------------------------------------------------------------------
def spot(n: int) -> tuple[float, float]:
    """Pair ``n``'s meeting place: a grid 4 km apart, beyond the widest radius (1,609 m) and
    the displacement of shown positions (about 100 m each)."""
    row, col = divmod(n, 60)
    return 45.0 + 0.036 * row, 4.0 + 0.051 * col


async def _person(url: str, n: int, side: str) -> DiscoClient:
    client = DiscoClient(url, timeout=120)
    await client.signup(f"chat-{n}{side}-{uuid.uuid4().hex[:8]}@example.com", PASSWORD, "C", side)
    await client.patch(
        "/v1/users/me",
        json={"interests": INTERESTS, "activities": ["coffee", "walk"], "mode": "social"},
    )
    await client.put(
        "/v1/users/me/preferences", json={"discoveryRadiusMeters": 1609, "timeWindows": []}
    )
    await client.put("/v1/discovery", json={"enabled": True})
    return client


async def _room(client: DiscoClient, match_id: str, timeout: float = 60.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for room in await client.rooms():
            if room["matchId"] == match_id:
                return str(room["id"])
        await asyncio.sleep(0.2)
    raise TimeoutError(f"no chat room for match {match_id}")


async def disco_pair(url: str, n: int) -> Pair:
    """Two people matched through the public API, and their room. Match hears of profiles and
    radii by events; a pair that comes into range before it has (refused, or placed with a
    stale profile) is never told while it stays together, so the fixes wait ``SETTLE_S``, and
    a pair not told within ``SETUP_TIMEOUT_S`` is made again with new people."""
    for attempt in range(3):
        a, b = await _person(url, n, "Alpha"), await _person(url, n, "Beta")
        await asyncio.sleep(SETTLE_S)
        try:
            return await _match(a, b, spot(n))
        except (ApiError, TimeoutError) as exc:
            print(f"bench: pair {n}, try {attempt + 1}: {exc!r}", file=sys.stderr, flush=True)
        finally:
            await a.close()
            await b.close()
    raise RuntimeError(f"pair {n} never matched")


async def _match(a: DiscoClient, b: DiscoClient, at: tuple[float, float]) -> Pair:
    assert a.user is not None and b.user is not None and a.token and b.token
    deadline = time.monotonic() + SETUP_TIMEOUT_S
    fix = {"latitude": at[0], "longitude": at[1], "accuracy": 10}
    for attempt in itertools.count():
        if attempt % 10 == 0:  # refused ("profile_pending") until match knows the profile
            for client in (a, b):
                await client.post("/v1/location", fix)
        try:
            await a.post("/v1/connections", {"userId": b.user["id"]})
            break
        except ApiError as exc:
            if exc.status != 404 or time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.2)
    answer = await b.post("/v1/connections", {"userId": a.user["id"]})
    assert answer["status"] == "accepted", answer
    room = await _room(a, str(answer["matchId"]))
    await _room(b, str(answer["matchId"]))
    return Pair(a.token, str(a.user["id"]), b.token, str(b.user["id"]), room)


async def disco_pairs(url: str, count: int, concurrency: int = 8) -> list[Pair]:
    gate = asyncio.Semaphore(concurrency)

    async def one(n: int) -> Pair:
        async with gate:
            return await disco_pair(url, n)

    return list(await asyncio.gather(*(one(n) for n in range(count))))


# --- one measured run -----------------------------------------------------------------------
def measure(target: Target, args: argparse.Namespace) -> dict[str, Any]:
    context = mp.get_context("spawn")
    ready, results, go = context.Queue(), context.Queue(), context.Event()
    start_at = context.Value("d", 0.0)
    nonce = uuid.uuid4().hex[:8]
    workers = max(1, min(args.workers, len(target.pairs)))
    processes = []
    for w in range(workers):
        spec = LoadSpec(
            *(target.url, args.rate / workers, args.warmup, args.seconds, args.drain),
            *(max(1, args.connections // workers), args.size, f"{nonce}w{w}", args.franking),
        )
        share = target.pairs[w::workers]
        process = context.Process(
            target=worker_main, args=(spec, share, (ready, go, start_at), results), daemon=True
        )
        process.start()
        processes.append(process)
    for _ in processes:
        ready.get(timeout=600)
    cpu: Callable[[], float] = target.server.cpu_seconds
    time.sleep(args.idle)  # the sockets' openings are told to peers: let that settle
    idle_from = cpu()
    time.sleep(args.idle)
    idle_cpu_per_s = (cpu() - idle_from) / args.idle
    start_at.value = time.monotonic() + 0.5
    go.set()
    time.sleep(max(0.0, start_at.value + args.warmup - time.monotonic()))
    backends = backend_cpu(target.database) if target.database else dict
    cpu_from, backends_from = cpu(), backends()
    time.sleep(max(0.0, start_at.value + args.warmup + args.seconds - time.monotonic()))
    cpu_used = cpu() - cpu_from
    backends_used = {k: used_between(backends_from[k], v) for k, v in backends().items()}
    outs = [results.get(timeout=args.warmup + args.seconds + args.drain + 600) for _ in processes]
    for process in processes:
        process.join(timeout=30)
    failed = [o["failure"] for o in outs if "failure" in o]
    if failed:
        raise RuntimeError(f"{target.name}: load worker failed:\n{failed[0]}")
    latencies = [x for o in outs for x in o["latencies"]]
    measured = sum(o["measured"] for o in outs)
    per_message = 1000 * cpu_used / max(1, measured)
    result = {
        "target": target.name,
        "clients": 2 * len(target.pairs),
        "offered_per_s": args.rate,
        "ciphertext_bytes": args.size,
        "franking": args.franking,
        "measured_messages": measured,
        "delivered_per_s": round(len(latencies) / args.seconds, 1),
        "p50_ms": _ms(percentile(latencies, 0.50)),
        "p95_ms": _ms(percentile(latencies, 0.95)),
        "p99_ms": _ms(percentile(latencies, 0.99)),
        "max_ms": _ms(max(latencies, default=float("nan"))),
        "post_p99_ms": _ms(percentile([x for o in outs for x in o["post_latencies"]], 0.99)),
        "lost": sum(o["lost"] for o in outs),
        "failed_posts": sum(o["failed_posts"] for o in outs),
        "first_failures": [f for o in outs for f in o["first_failures"]][:3],
        "error_frames": sum(o["error_frames"] for o in outs),
        "server_cpu_ms_per_message": round(per_message, 3),
        # The same less what the open sockets cost with no message at all (measured before).
        "above_idle_ms_per_message": round(per_message - 1000 * idle_cpu_per_s / args.rate, 3),
        # What one core could carry at that cost: the comparison with the ceiling that a
        # fixed offered rate, which both may keep up with, cannot give.
        "messages_per_core_s": round(1000 / per_message, 1) if per_message else None,
        "server_cpu_cores_busy": round(cpu_used / args.seconds, 2),
        "server_idle_cpu_cores": round(idle_cpu_per_s, 3),
        "client_cpu_cores": round(sum(o["cpu_s"] for o in outs) / args.seconds, 2),
        "client_loop_lag_p99_ms": max(o["loop_lag_p99_ms"] for o in outs),
    }
    if target.database:
        result["backends_cpu_ms_per_message"] = {
            k: round(1000 * v / max(1, measured), 3) for k, v in backends_used.items()
        }
    return result


def _ms(seconds: float) -> float:
    return round(1000 * seconds, 1)


# --- the targets ----------------------------------------------------------------------------
@contextlib.contextmanager
def targets(args: argparse.Namespace, scratch: Path) -> Iterator[list[Target]]:
    names = [n.strip() for n in args.targets.split(",") if n.strip()]
    count = max(1, args.clients // 2)
    with contextlib.ExitStack() as stack:
        started: list[Target] = []
        for name in names:
            port = free_port()
            url = f"http://127.0.0.1:{port}"
            settings = dict(CHAT_SETTINGS, DISCO_PORT=str(port))
            database = None
            if name == "relay":
                env = dict(os.environ, PYTHONPATH=str(ROOT))
                server: Disco = Relay(["--port", str(port)], env, scratch / "relay.log")
                stack.enter_context(server)
                wait_answering(f"{url}/healthz")
            elif name in ("up", "real"):
                if name == "real":
                    database_url = stack.enter_context(fresh_database())
                    database = database_url.rsplit("/", 1)[1]
                    namespace = f"benchchat{time.time_ns() % 10**8}"
                    settings |= {"DISCO_DATABASE_URL": database_url, "DISCO_AMQP_URL": AMQP_URL}
                    settings |= {"DISCO_REDIS_URL": REDIS_URL}
                    settings["DISCO_NAMESPACE"] = stack.enter_context(broker_namespace(namespace))
                env = disco_env(scratch / name, **settings)
                server = Disco(["up", "--port", str(port)], env, scratch / f"{name}.log")
                stack.enter_context(server)
                server.wait_ready(url)
            else:
                raise SystemExit(f"bench: unknown target {name!r} (relay, up, real)")
            began = time.monotonic()
            if name == "relay":
                pairs = relay_pairs(url, count)
            else:
                pairs = asyncio.run(disco_pairs(url, count, args.setup_concurrency))
            took = f"{time.monotonic() - began:.0f} s"
            print(f"bench: {name}: {count} pairs in {took}", file=sys.stderr, flush=True)
            started.append(Target(name, url, server, pairs, database))
        yield started


def summary(runs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per target, the median over rounds of each figure; and against the relay, the ratio of
    messages a core carries (1 / CPU per message)."""
    keys = ["delivered_per_s", "p50_ms", "p95_ms", "p99_ms", "server_cpu_ms_per_message"]
    out: dict[str, dict[str, Any]] = {}
    for name in dict.fromkeys(r["target"] for r in runs):
        mine = [r for r in runs if r["target"] == name]
        out[name] = {k: round(statistics.median(r[k] for r in mine), 3) for k in keys}
        out[name]["p99_ms_worst"] = max(r["p99_ms"] for r in mine)
        out[name]["lost"] = sum(r["lost"] for r in mine)  # answered 201, never delivered
        out[name]["failed_posts"] = sum(r["failed_posts"] for r in mine)
    if "relay" in out:
        ceiling = out["relay"]["server_cpu_ms_per_message"]
        for figures in out.values():
            cost = figures["server_cpu_ms_per_message"]
            figures["of_ceiling"] = round(ceiling / cost, 3) if cost else None
    return out


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--clients", type=int, default=5000, help="WebSocket clients (pairs x2)")
    parser.add_argument("--rate", type=float, default=2000.0, help="messages a second, in all")
    parser.add_argument("--seconds", type=float, default=60.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--drain", type=float, default=10.0)
    parser.add_argument("--idle", type=float, default=5.0, help="idle seconds, sockets open")
    parser.add_argument("--targets", default="relay,up,real")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workers", type=int, default=1, help="load generator processes")
    parser.add_argument("--connections", type=int, default=64, help="HTTP connections, in all")
    parser.add_argument("--size", type=int, default=160, help="ciphertext bytes per message")
    parser.add_argument(
        "--franking",
        action="store_true",
        help="send a franking tag with every message (the server binds it with its own MAC), "
        "as end-to-end encrypted clients do; with --size about an envelope's (docs/e2ee.md)",
    )
    parser.add_argument("--setup-concurrency", type=int, default=16)
    parser.add_argument("--json-out", type=Path)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started_on = machine()
    runs: list[dict[str, Any]] = []
    with scratch_dir("disco-bench-chat-") as scratch, targets(args, scratch) as started:
        for round_ in range(args.rounds):
            for target in started if round_ % 2 == 0 else started[::-1]:
                result = measure(target, args) | {"round": round_ + 1}
                print(json.dumps(result), file=sys.stderr, flush=True)
                runs.append(result)
    figures = summary(runs)
    document: dict[str, Any] = {"machine": started_on, "args": vars(args) | {"json_out": None}}
    document |= {"summary": figures, "runs": runs}
    print(json.dumps({"summary": figures}, indent=2))
    write_json(args.json_out, document)
    return 1 if any(f["lost"] or f["failed_posts"] for f in figures.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
