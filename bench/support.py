"""What every benchmark here needs: Disco as subprocesses on free ports, a user, and wrk.

The load comes from wrk (Debian package ``wrk``, installed by ``scripts/bootstrap --full``): a
C event loop costs far less CPU than a Python load generator would, which matters on a 2-core
machine where the generator competes with the server it measures.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import aio_pika
import asyncpg
import httpx

from disco.client import DiscoClient

WRK_SCRIPT = Path(__file__).resolve().parent / "wrk_report.lua"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
REDIS_URL = "redis://127.0.0.1:6379/0"
AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"
PASSWORD = "correct horse battery staple 42"

# Limits high enough that the benchmark measures the work, not the 429s. JSON logs as in
# production: the console renderer's rich tracebacks take about a second of CPU each, and wrk
# stopping mid-request makes the gateway log one per dropped connection (see docs/performance.md).
BENCH_SETTINGS = {
    "DISCO_LOG_LEVEL": "WARNING",
    "DISCO_LOG_JSON": "true",
    "DISCO_RATE_LIMIT_ANONYMOUS_PER_MINUTE": "100000000",
    "DISCO_RATE_LIMIT_USER_PER_MINUTE": "100000000",
    "DISCO_LOGIN_FAILURES_PER_IP": "100000000",
    "DISCO_ACCESS_TOKEN_TTL_SECONDS": "3600",
}


def free_port(*, also_free: Sequence[int] = ()) -> int:
    """A free local port ``p`` such that ``p + offset`` is free too for each offset given."""
    for _ in range(200):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        if all(_is_free(port + offset) for offset in also_free):
            return port
    raise RuntimeError("no free port found")


def _is_free(port: int) -> bool:
    if port > 65535:
        return False
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class Disco:
    """``disco ARGS...`` as a child process in its own session, stopped (with its children)
    when the ``with`` block ends. Its output goes to a log file, shown if it fails to start."""

    def __init__(self, args: Sequence[str], env: dict[str, str], log: Path) -> None:
        self.args = list(args)
        self.env = env
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Disco:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "disco", *self.args],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def __exit__(self, *_: object) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.terminate()  # disco cluster stops its own children on SIGTERM
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # anything it left behind, in its session

    def cpu_seconds(self) -> float:
        """CPU time used so far by this process and every process under it (all threads).

        Unlike requests/s this hardly moves when other work shares the machine, so it is the
        steadier measure of what a request costs."""
        assert self.process is not None
        return sum(_cpu_seconds(pid) for pid in _process_tree(self.process.pid))

    def wait_ready(self, url: str, *, path: str = "/readyz", timeout: float = 120.0) -> None:
        assert self.process is not None
        process = self.process

        def exited() -> None:
            if process.poll() is not None:
                raise RuntimeError(
                    f"disco {' '.join(self.args)} exited ({process.returncode}):\n"
                    + self.log.read_text(errors="replace")[-4000:]
                )

        wait_answering(url + path, timeout=timeout, check=exited)


def _process_tree(root: int) -> list[int]:
    pids, queue = [], [root]
    while queue:
        pid = queue.pop()
        pids.append(pid)
        with contextlib.suppress(OSError):
            for task in Path(f"/proc/{pid}/task").iterdir():
                queue += [int(c) for c in (task / "children").read_text().split()]
    return pids


def _cpu_seconds(pid: int) -> float:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0  # it ended between listing and reading
    # Fields after the command name (which may hold spaces), from field 3 on: utime is 14.
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_answering(
    url: str, *, timeout: float = 120.0, check: Callable[[], None] | None = None
) -> float:
    """Poll ``url`` until it answers 200; return how long that took.

    Between runs this lets a server finish what the last run left it (wrk drops its connections
    mid-request when it stops), so that backlog is not charged to the next run.
    """
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if check is not None:
            check()
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=5.0).status_code == 200:
                return time.monotonic() - started
        time.sleep(0.2)
    raise RuntimeError(f"{url} not answering after {timeout:.0f} s")


def disco_env(data_dir: Path, **settings: str) -> dict[str, str]:
    """The environment for a child Disco: ours minus any DISCO_* (so a developer's shell does
    not change the result), plus the benchmark settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DISCO_")}
    env.update(BENCH_SETTINGS)
    env["DISCO_DATA_DIR"] = str(data_dir)
    env.update(settings)
    return env


@contextlib.contextmanager
def scratch_dir(prefix: str) -> Iterator[Path]:
    """A temporary folder, removed afterwards unless something failed: then its server logs
    are what explains the failure."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    except BaseException:
        print(f"bench: kept {path} (server logs) for inspection", file=sys.stderr)
        raise
    shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def broker_namespace(namespace: str, amqp_url: str = AMQP_URL) -> Iterator[str]:
    """``namespace`` for a Disco on the local RabbitMQ (``rabbitmqctl`` lists it), whose queues
    and exchange are deleted afterwards. Durable quorum queues outlive the processes that
    declared them, and left behind they make every later broker restart crawl; the broker lists
    them by name, so no list of consumer groups can go stale."""
    try:
        yield namespace
    finally:
        listing = subprocess.run(
            ["rabbitmqctl", "-q", "list_queues", "name", "--no-table-headers"],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        names = [n.strip() for n in listing.stdout.splitlines() if n.startswith(f"{namespace}.")]
        asyncio.run(_delete_queues(amqp_url, namespace, names))


async def _delete_queues(amqp_url: str, namespace: str, names: list[str]) -> None:
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        for name in names:
            await channel.queue_delete(name)
        await channel.exchange_delete(f"{namespace}.events")


@contextlib.contextmanager
def fresh_database() -> Iterator[str]:
    """A new, empty PostgreSQL database (its SQLAlchemy URL), dropped afterwards."""
    name = f"disco_bench_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def sign_up(url: str) -> tuple[str, str]:
    """A new user on the Disco at ``url``: (email, access token)."""

    async def run() -> tuple[str, str]:
        email = f"bench-{uuid.uuid4().hex[:10]}@example.com"
        async with DiscoClient(url) as client:
            await client.signup(email, PASSWORD, "Bench", "Mark")
            assert client.token is not None
            return email, client.token

    return asyncio.run(run())


@dataclass(frozen=True)
class LoadResult:
    """One wrk run: requests completed in ``seconds`` and their latency percentiles."""

    requests: int
    seconds: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "rps": round(self.rps, 1)}


def wrk(
    url: str,
    *,
    seconds: float,
    connections: int,
    threads: int = 1,
    headers: Sequence[str] = (),
    method: str | None = None,
    body: str | None = None,
) -> LoadResult:
    """A closed loop: ``connections`` keep-alive connections, each sending its next request as
    soon as the last is answered, for ``seconds``. Any error or non-2xx answer fails the run."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: run scripts/bootstrap --full (Debian package wrk)")
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "10s"]
    for header in headers:
        command += ["-H", header]
    command += ["-s", str(WRK_SCRIPT), url]
    if method is not None:
        command += ["--", method] + ([body] if body is not None else [])
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    lines = [line for line in done.stdout.splitlines() if line.startswith("BENCH_JSON ")]
    if not lines:
        raise RuntimeError(f"wrk said nothing useful:\n{done.stdout}\n{done.stderr}")
    raw = json.loads(lines[-1].removeprefix("BENCH_JSON "))
    failed = {kind: count for kind, count in raw["errors"].items() if count}
    if failed:
        raise RuntimeError(f"wrk against {url}: errors {failed}\n{done.stdout}")
    return LoadResult(
        requests=raw["requests"],
        seconds=raw["duration_us"] / 1e6,
        p50_ms=raw["p50_us"] / 1000,
        p90_ms=raw["p90_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        mean_ms=raw["mean_us"] / 1000,
        max_ms=raw["max_us"] / 1000,
    )


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def percentile(values: Sequence[float], q: float) -> float:
    """The nearest-rank ``q`` quantile (0.99: the value 99 % of ``values`` are at or under)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)] if ordered else float("nan")


async def watch_loop_lag(lag: list[float], every_s: float = 0.01) -> None:
    """Appends to ``lag`` how late each of this event loop's ``every_s`` sleeps woke: a load
    generator whose loop runs late times its frames late too."""
    loop = asyncio.get_running_loop()
    while True:
        started = loop.time()
        await asyncio.sleep(every_s)
        lag.append(loop.time() - started - every_s)


def machine() -> dict[str, Any]:
    """What the figures depend on, recorded with them."""
    model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    wrk_version = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout
    return {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "cores": os.cpu_count(),
        "cpu": model,
        "python": platform.python_version(),
        "wrk": wrk_version.splitlines()[0] if wrk_version else "unknown",
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def write_json(path: Path | None, document: dict[str, Any]) -> None:
    if path is not None:
        document["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
        path.write_text(json.dumps(document, indent=2) + "\n")
