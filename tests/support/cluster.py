"""``disco cluster`` as the operator starts it, for the end-to-end suites: a process per
service and two gateways on the real backends, with its own database, namespace and ports."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import httpx

from disco.client import DiscoClient
from disco.config import SERVICES, Settings
from tests.support.backends import (
    AMQP_URL,
    REDIS_URL,
    SMALL_POOLS,
    create_database,
    drop_database,
    new_namespace,
)

GATEWAYS = 2
STARTED = re.compile(r"disco cluster: (?P<name>\w+) on :(?P<port>\d+) \(pid (?P<pid>\d+)\)")


def _is_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_base_port(offsets: Sequence[int]) -> int:
    """A base port such that ``base + offset`` is free for every offset.

    Drawn below Linux's ephemeral range (32768+), so outgoing connections do not take them.
    """
    for _ in range(500):
        base = random.randrange(10_000, 32_000 - max(offsets))
        if all(_is_free(base + offset) for offset in offsets):
            return base
    raise RuntimeError("no block of free ports found")


BACK_SERVICES = [s for s in SERVICES if s != "gateway"]


class Cluster:
    def __init__(
        self, process: subprocess.Popen[bytes], log: Path, base_port: int, env: dict[str, str]
    ) -> None:
        self.process = process
        self.log = log
        self.env = env  # the DISCO_* settings the cluster runs with
        self.gateways = [f"http://127.0.0.1:{base_port + i}" for i in range(GATEWAYS)]
        # As `disco cluster` lays them out: DISCO_PORT + 100, + 101, ...
        self.services = {
            name: f"http://127.0.0.1:{base_port + 100 + i}" for i, name in enumerate(BACK_SERVICES)
        }

    @property
    def settings(self) -> Settings:
        """The cluster's settings as its processes read them (its database, namespace, ...)."""
        return Settings(
            database_url=self.env["DISCO_DATABASE_URL"],
            redis_url=self.env["DISCO_REDIS_URL"],
            amqp_url=self.env["DISCO_AMQP_URL"],
            namespace=self.env["DISCO_NAMESPACE"],
            data_dir=Path(self.env["DISCO_DATA_DIR"]),
            environment="test",
        )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def pids(self, service: str) -> list[int]:
        """Every process the supervisor started for ``service``, oldest first."""
        return [int(m["pid"]) for m in STARTED.finditer(self.output()) if m["name"] == service]

    def processes(self) -> dict[tuple[str, int], int]:
        """The pid the supervisor last started for each (service, port): what runs now."""
        return {(m["name"], int(m["port"])): int(m["pid"]) for m in STARTED.finditer(self.output())}

    async def kill_and_wait(self, process: tuple[str, int]) -> None:
        """SIGKILL the process serving ``process`` (service, port); return once the supervisor
        has started another and the cluster is ready again."""
        killed = self.processes()[process]
        os.kill(killed, signal.SIGKILL)
        deadline = time.monotonic() + 60.0
        while self.processes()[process] == killed:
            assert time.monotonic() < deadline, self.failure(f"{process} was never restarted")
            await asyncio.sleep(0.2)
        await self.wait_ready()

    def failure(self, what: str) -> str:
        return f"{what}; the cluster's output ends with:\n{self.output()[-4000:]}"

    async def wait_ready(self, timeout: float = 90.0) -> None:
        """Until every gateway's /readyz answers 200 (it checks the services behind it)."""
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(timeout=5.0) as http:
            for url in self.gateways:
                while True:
                    if self.process.poll() is not None:
                        raise AssertionError(self.failure("the cluster exited during start-up"))
                    try:
                        if (await http.get(f"{url}/readyz")).status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    if time.monotonic() > deadline:
                        raise AssertionError(self.failure(f"{url}/readyz never answered 200"))
                    await asyncio.sleep(0.2)

    def stop(self) -> None:
        """SIGTERM to the supervisor (it stops its children), then kill whatever is left."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        # The supervisor leads its own process group: anything it left behind goes with it.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)


@contextlib.asynccontextmanager
async def running_cluster(data_dir: Path, **overrides: str) -> AsyncIterator[Cluster]:
    """A cluster on the real backends, ready (both gateways answer /readyz), stopped and its
    database dropped on the way out. ``overrides`` are DISCO_* settings of the caller's."""
    base_port = free_base_port([*range(GATEWAYS), *(100 + i for i in range(len(BACK_SERVICES)))])
    database = await create_database()
    settings = (
        dict(
            DISCO_DATABASE_URL=f"postgresql+asyncpg://postgres@127.0.0.1:5432/{database}",
            DISCO_REDIS_URL=REDIS_URL,
            DISCO_AMQP_URL=AMQP_URL,
            DISCO_NAMESPACE=new_namespace(),
            DISCO_PORT=str(base_port),
            DISCO_DATA_DIR=str(data_dir),
            DISCO_ENVIRONMENT="test",
            DISCO_DATABASE_POOL_SIZE=str(SMALL_POOLS["database_pool_size"]),
            DISCO_DATABASE_POOL_OVERFLOW=str(SMALL_POOLS["database_pool_overflow"]),
            DISCO_RATE_LIMIT_ANONYMOUS_PER_MINUTE="100000",
            DISCO_RATE_LIMIT_USER_PER_MINUTE="100000",
            DISCO_LOGIN_FAILURES_PER_IP="100000",
        )
        | overrides
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("DISCO_")} | settings
    log = data_dir / "cluster.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "disco", "cluster", "--gateways", str(GATEWAYS)],
            env=env,
            cwd=data_dir,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    running = Cluster(process, log, base_port, settings)
    try:
        await running.wait_ready()
        yield running
    finally:
        running.stop()
        await drop_database(database)


async def meet(a: DiscoClient, b: DiscoClient, spot: tuple[float, float]) -> str:
    """Both switch discovery on near ``spot`` and are told of each other, as their apps would;
    then both express interest. The match id."""
    for client in (a, b):
        await client.patch("/v1/users/me", {"interests": ["chess"], "activities": ["coffee"]})
        await client.put("/v1/users/me/preferences", {"discoveryRadiusMeters": 1609})
        await client.put("/v1/discovery", {"enabled": True})
    here = {"latitude": spot[0], "longitude": spot[1], "accuracy": 10}
    there = {"latitude": spot[0] + 0.0005, "longitude": spot[1], "accuracy": 10}
    async with a.socket() as a_ws:
        deadline = time.monotonic() + 60
        while True:
            # Until both profiles have reached matching (events), a fix is "profile_pending".
            await a.post("/v1/location", here)
            await b.post("/v1/location", there)
            try:
                await a_ws.expect("nearby", timeout=1.0)
                break
            except TimeoutError:
                assert time.monotonic() < deadline, "never told of each other"
    assert a.user is not None and b.user is not None
    await a.post("/v1/connections", {"userId": b.user["id"]})
    answer = await b.post("/v1/connections", {"userId": a.user["id"]})
    assert answer["status"] == "accepted", answer
    return str(answer["matchId"])
