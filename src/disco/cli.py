"""The ``disco`` command.

disco up                     every service in one process on http://localhost:8000
disco serve SERVICE          one service in this process (the others at DISCO_SERVICE_URLS)
disco cluster                a process per service plus two gateways (needs the real backends)
disco migrate                bring every service's tables up to date
disco revision SERVICE -m M  autogenerate a migration for SERVICE (for developers)
disco keys rotate            sign with a new key now; reseal stored secrets under the newest
disco roles grant EMAIL moderator   make someone a moderator (revoke takes it back)
disco venues import FILE     load public places for meeting spots from GeoJSON
disco simulate --users N --near LAT,LON   simulated people walking about, for a demo
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import math
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import uvicorn
from pydantic import ValidationError

from disco.config import SERVICES, Settings
from disco.platform.http import SERVER_KEEP_ALIVE_SECONDS
from disco.platform.observability import configure_logging

__all__ = ["main"]


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"DISCO_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}" for e in exc.errors()
        )
        raise SystemExit(f"disco: bad configuration: {problems}") from exc


def _quiet_garbage_collector() -> None:
    """Keep the cyclic garbage collector from pausing the event loop for hundreds of ms.

    What start-up made lives as long as the process: frozen, full collections no longer walk
    it. Young collections every 20,000 allocations instead of 700 let most of a request's
    short-lived cycles die young instead of being promoted, so the old generation grows slowly
    enough that full collections stop: at 2,000 sockets they had come 38 times in a run, up to
    600 ms each, and they were discovery's tail (docs/performance.md, "the collector tuned")."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)


def _serve(settings: Settings, services: Sequence[str]) -> int:
    from disco.runtime import System, build_asgi

    system = System(settings, services)
    # The event loop hands database work to driver threads (aiosqlite) and waits for them; with
    # the default 5 ms GIL switch interval each hand-off can wait that long while the loop is
    # busy, so under load a transaction of a dozen statements queued for tens of milliseconds.
    sys.setswitchinterval(0.0005)
    _quiet_garbage_collector()
    where = f"http://{settings.host}:{settings.port}"
    mode = "embedded" if settings.embedded else "real backends"
    print(f"disco: {', '.join(system.names)} on {where} ({mode})", file=sys.stderr, flush=True)
    uvicorn.run(
        build_asgi(system),
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        ws_max_size=settings.ws_max_frame_bytes,
        ws_ping_interval=20,
        ws_ping_timeout=20,
        lifespan="on",
        proxy_headers=False,
        server_header=False,
        timeout_keep_alive=SERVER_KEEP_ALIVE_SECONDS,
    )
    return 0


def cmd_up(args: argparse.Namespace) -> int:
    settings = _settings()
    if args.port is not None:
        settings = settings.model_copy(update={"port": args.port})
    return _serve(settings, SERVICES)


def cmd_serve(args: argparse.Namespace) -> int:
    settings = _settings()
    if args.port is not None:
        settings = settings.model_copy(update={"port": args.port})
    return _serve(settings, [args.service])


def cmd_migrate(args: argparse.Namespace) -> int:
    from disco.runtime.system import migrate

    settings = _settings()
    asyncio.run(migrate(settings, [args.service] if args.service else SERVICES))
    print("disco: migrations applied", file=sys.stderr)
    return 0


def cmd_revision(args: argparse.Namespace) -> int:
    from disco.platform.migrations import make_revision
    from disco.runtime.system import MODULES, migrate

    settings = _settings()
    module = MODULES[args.service]
    if module.migrations is None:
        raise SystemExit(f"disco: {args.service} has no tables")
    asyncio.run(migrate(settings, [args.service]))
    make_revision(
        args.service, settings.database_url_for(args.service), module.migrations, args.message
    )
    return 0


def cmd_keys(args: argparse.Namespace) -> int:
    from disco.runtime import System

    sealing = ["auth", "users", "safety"]  # the services that encrypt fields at rest

    async def rotate() -> dict[str, int]:
        system = System(_settings(), sealing)
        await system.start()
        try:
            await system.apps["auth"].state.rotate_keys()
            resealed = {}
            for service in sealing:
                # In this process, so it carries this process's service credential. Resumable:
                # run again after a failure, and only what is left is rewritten.
                response = await system.directory.client(service).post(
                    f"/internal/{service}/encryption/rotate"
                )
                response.raise_for_status()
                resealed[service] = int(response.json()["rotated"])
            return resealed
        finally:
            await system.stop()

    resealed = asyncio.run(rotate())
    counts = ", ".join(f"{service} {rows}" for service, rows in resealed.items())
    print(
        "disco: new signing key in use; the old one stays published until its tokens expire; "
        f"rows resealed under the newest encryption key: {counts}",
        file=sys.stderr,
    )
    return 0


def cmd_roles(args: argparse.Namespace) -> int:
    from disco.runtime import System

    async def change() -> int:
        system = System(_settings(), ["auth"])
        await system.start()
        try:
            response = await system.directory.client("auth").post(
                "/internal/auth/roles",
                json={"email": args.email, "role": args.role, "granted": args.action == "grant"},
            )
        finally:
            await system.stop()
        if response.status_code != 204:
            print(f"disco: {response.json()['error']['message']}", file=sys.stderr)
            return 1
        return 0

    status = asyncio.run(change())
    if status == 0:
        done = "granted" if args.action == "grant" else "revoked"
        print(
            f"disco: {args.role} {done} for {args.email} from their next sign-in", file=sys.stderr
        )
    return status


def cmd_venues(args: argparse.Namespace) -> int:
    """Exit 0 when imported; 2 when the file is unusable (nothing is imported, every problem
    is listed)."""
    from disco.platform.clock import SystemClock
    from disco.runtime.system import migrate
    from disco.safety.spots.venues import VenueFileError, read_venues, store_venues

    try:
        venues = read_venues(args.file)
    except VenueFileError as exc:
        for problem in exc.problems[:50]:
            print(f"disco: {args.file}: {problem}", file=sys.stderr)
        if len(exc.problems) > 50:
            print(f"disco: ... and {len(exc.problems) - 50} more problems", file=sys.stderr)
        print("disco: nothing imported", file=sys.stderr)
        return 2
    settings = _settings()

    async def run() -> None:
        await migrate(settings, ["safety"])
        await store_venues(settings, venues, clock=SystemClock())

    asyncio.run(run())
    print(f"disco: imported {len(venues)} venues from {args.file}", file=sys.stderr)
    return 0


def cmd_cluster(args: argparse.Namespace) -> int:
    settings = _settings()
    missing = [
        name
        for name, value in (
            ("DISCO_DATABASE_URL", settings.database_url),
            ("DISCO_REDIS_URL", settings.redis_url),
            ("DISCO_AMQP_URL", settings.amqp_url),
        )
        if not value
    ]
    if missing:
        raise SystemExit(
            f"disco: a cluster shares its state through real backends; set {', '.join(missing)}"
        )
    from disco.runtime.system import load_encryption_keys, migrate

    asyncio.run(migrate(settings))
    # Made once here: children racing to generate the key file could each encrypt with their own.
    load_encryption_keys(settings)
    services = [s for s in SERVICES if s != "gateway"]
    ports = {name: settings.port + 100 + i for i, name in enumerate(services)}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    plan = list(ports.items())
    plan += [("gateway", settings.port + i) for i in range(args.gateways)]
    env = {
        **os.environ,
        "DISCO_SERVICE_URLS": json.dumps(urls),
        # Links in mails must point at the front door, not at the port of the service sending them.
        "DISCO_PUBLIC_URL": settings.base_url,
    }
    return Supervisor(plan, env).run()


class Supervisor:
    """Keeps one child process per (service, port) running; restarts the ones that die."""

    # A child that dies sooner than this after starting is restarted only once this has passed,
    # so a broken one does not spin.
    MIN_UPTIME = 5.0

    def __init__(self, plan: list[tuple[str, int]], env: dict[str, str]) -> None:
        self.plan = plan
        self.env = env
        self.children: dict[tuple[str, int], subprocess.Popen[bytes]] = {}
        self.started: dict[tuple[str, int], float] = {}
        self.stopping = False

    def spawn(self, name: str, port: int) -> None:
        cmd = [sys.executable, "-m", "disco", "serve", name, "--port", str(port)]
        child = subprocess.Popen(cmd, env=self.env)  # noqa: S603
        self.children[(name, port)] = child
        self.started[(name, port)] = time.monotonic()
        print(f"disco cluster: {name} on :{port} (pid {child.pid})", file=sys.stderr, flush=True)

    def stop(self, *_: object) -> None:
        self.stopping = True

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        try:
            for name, port in self.plan:
                self.spawn(name, port)
            while not self.stopping:
                time.sleep(0.5)
                self.restart_the_dead()
        finally:
            self.terminate_all()
        return 0

    def restart_the_dead(self) -> None:
        now = time.monotonic()
        for key, child in list(self.children.items()):
            if self.stopping or child.poll() is None:
                continue
            if now - self.started[key] < self.MIN_UPTIME:
                continue
            name, port = key
            print(
                f"disco cluster: {name} on :{port} exited ({child.returncode}); restarting",
                file=sys.stderr,
                flush=True,
            )
            self.spawn(name, port)

    def terminate_all(self) -> None:
        for child in self.children.values():
            if child.poll() is None:
                child.terminate()
        deadline = time.monotonic() + 10
        for child in self.children.values():
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


def cmd_simulate(args: argparse.Namespace) -> int:
    import httpx

    from disco.client.sdk import ApiError
    from disco.client.simulate import Simulation

    url = args.url or _settings().base_url
    simulation = Simulation(
        url,
        users=args.users,
        near=args.near,
        spread_m=args.spread,
        seed=args.seed,
        chat=args.chat,
        chat_pause_s=args.chat_pause,
    )
    print(
        f"disco: {args.users} simulated users walking near {args.near} via {url}", file=sys.stderr
    )
    try:
        asyncio.run(simulation.run(args.duration))
    except KeyboardInterrupt:
        print(f"disco: {simulation.summary()}", file=sys.stderr)
        return 0
    except (OSError, httpx.TransportError) as exc:
        print(f"disco: cannot reach {url} ({exc}); is `disco up` running?", file=sys.stderr)
        return 1
    except ApiError as exc:
        print(f"disco: the server refused: {exc}", file=sys.stderr)
        return 1
    print(f"disco: {simulation.summary()}", file=sys.stderr)
    return 0


def _near(text: str) -> tuple[float, float]:
    try:
        lat_text, lon_text = text.split(",")
        lat, lon = float(lat_text), float(lon_text)
    except ValueError:
        raise argparse.ArgumentTypeError("give LAT,LON in degrees, e.g. 51.5007,-0.1246") from None
    if not (-85 <= lat <= 85 and -180 <= lon <= 180) or math.isnan(lat) or math.isnan(lon):
        raise argparse.ArgumentTypeError("latitude -85..85 and longitude -180..180, in degrees")
    return lat, lon


def _bounded(kind: type[int] | type[float], low: float, high: float) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"a number from {low:g} to {high:g}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"a number from {low:g} to {high:g}")
        return value

    return parse


def _port(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError("a port is a number from 1 to 65535")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="disco", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    up = commands.add_parser("up", help="run every service in one process")
    up.add_argument("--port", type=_port, help="default: DISCO_PORT or 8000")
    up.set_defaults(run=cmd_up)

    serve = commands.add_parser("serve", help="run one service")
    serve.add_argument("service", choices=SERVICES)
    serve.add_argument("--port", type=_port)
    serve.set_defaults(run=cmd_serve)

    cluster = commands.add_parser("cluster", help="a process per service plus gateways")
    cluster.add_argument(
        "--gateways",
        type=int,
        choices=range(1, 9),
        default=2,
        metavar="N",
        help="gateway processes (1-8, default 2), on DISCO_PORT and up",
    )
    cluster.set_defaults(run=cmd_cluster)

    migrate = commands.add_parser("migrate", help="apply database migrations")
    migrate.add_argument("--service", choices=SERVICES)
    migrate.set_defaults(run=cmd_migrate)

    revision = commands.add_parser("revision", help="autogenerate a migration")
    revision.add_argument("service", choices=SERVICES)
    revision.add_argument("-m", "--message", required=True)
    revision.set_defaults(run=cmd_revision)

    roles = commands.add_parser("roles", help="grant or revoke a role (moderator)")
    roles.add_argument("action", choices=["grant", "revoke"])
    roles.add_argument("email")
    roles.add_argument("role", choices=["moderator"])
    roles.set_defaults(run=cmd_roles)

    simulate = commands.add_parser(
        "simulate", help="simulated users walking near a point (against a running disco)"
    )
    simulate.add_argument("--users", type=_bounded(int, 1, 5000), default=20, metavar="N")
    simulate.add_argument("--near", type=_near, required=True, metavar="LAT,LON")
    simulate.add_argument(
        "--spread",
        type=_bounded(float, 50, 5000),
        default=600,
        metavar="METRES",
        help="how far from the point they wander (default 600)",
    )
    simulate.add_argument(
        "--duration",
        type=_bounded(float, 1, 86400),
        metavar="SECONDS",
        help="stop after this long (default: until Ctrl-C)",
    )
    simulate.add_argument(
        "--chat",
        action="store_true",
        help="walkers who meet express interest, accept requests and chat with their matches",
    )
    simulate.add_argument(
        "--chat-pause",
        type=_bounded(float, 0.1, 600),
        default=4.0,
        metavar="SECONDS",
        help="about how long a walker takes to act or reply, jittered (default 4)",
    )
    simulate.add_argument("--seed", type=int, help="the same walk every run")
    simulate.add_argument("--url", help="default: DISCO_PUBLIC_URL or http://DISCO_HOST:DISCO_PORT")
    simulate.set_defaults(run=cmd_simulate)

    venues = commands.add_parser("venues", help="public places for meeting spots")
    venues.add_argument("action", choices=["import"])
    venues.add_argument("file", type=Path, help="a GeoJSON FeatureCollection of Points")
    venues.set_defaults(run=cmd_venues)

    keys = commands.add_parser("keys", help="signing keys")
    keys.add_argument("action", choices=["rotate"])
    keys.set_defaults(run=cmd_keys)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = _settings()
    configure_logging(settings.log_level, settings.log_json)
    result: int = args.run(args)
    return result
