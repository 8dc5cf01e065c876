"""Settings for the two backends every contract test runs on, and a running Disco to test.

``real`` needs PostgreSQL, Redis and RabbitMQ on their standard local ports; if one is not
there, the test errors (it never skips). Each run gets its own database and its own namespace
of queues and keys, so runs do not see each other.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import uuid
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import aio_pika
import asyncpg
import uvicorn
from sqlalchemy import MetaData, Table

from disco.config import SERVICES, Settings
from disco.platform.bus.rabbitmq import RabbitBus
from disco.platform.clock import Clock
from disco.platform.db import Database
from disco.platform.http import SERVER_KEEP_ALIVE_SECONDS
from disco.runtime import System, build_asgi
from tests.support.net import free_port

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
# Every namespace this test session makes starts with this, so its queues can be swept at the end.
SESSION_PREFIX = f"t{uuid.uuid4().hex[:4]}"
REDIS_URL = "redis://127.0.0.1:6379/0"
AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"
# The suites share one PostgreSQL (max_connections 100) among the session's system, each test's
# own and a cluster's processes: each keeps few connections open, and waits for one past its
# burst rather than failing.
SMALL_POOLS = {"database_pool_size": 2, "database_pool_overflow": 8}


def new_namespace() -> str:
    """A namespace of queues, exchanges and keys of this session's own."""
    return f"{SESSION_PREFIX}{uuid.uuid4().hex[:8]}"


async def sweep_session_queues(prefix: str = SESSION_PREFIX) -> int:
    """Delete every queue and exchange left on the broker by namespaces starting with ``prefix``
    (by default, every namespace of this session).

    In-process systems tidy up after themselves; processes a test killed, or a cluster it ran,
    cannot, and quorum queues left behind make every later broker restart crawl.
    """
    listing = await asyncio.create_subprocess_exec(
        "rabbitmqctl",
        "-q",
        "list_queues",
        "name",
        "--no-table-headers",
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await asyncio.wait_for(listing.communicate(), timeout=120)
    names = [n.strip() for n in out.decode().splitlines() if n.startswith(prefix)]
    if names:
        connection = await aio_pika.connect(AMQP_URL)
        async with connection:
            channel = await connection.channel()
            for name in names:
                await channel.queue_delete(name)
            for namespace in {name.split(".", 1)[0] for name in names}:
                await channel.exchange_delete(f"{namespace}.events")
    return len(names)


async def create_database() -> str:
    name = f"disco_test_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(PG_ADMIN)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return name


async def drop_database(name: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def waits_on_a_lock(conn: asyncpg.Connection, database: str, statement: str) -> bool:
    """Whether a session of ``database`` waits on a lock in a statement that starts with
    ``statement``. Inside a transaction PostgreSQL answers from the activity it saw first
    (``stats_fetch_consistency``), so the snapshot is dropped before each look."""
    await conn.execute("SELECT pg_stat_clear_snapshot()")
    waiting = await conn.fetchval(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = $1"
        " AND wait_event_type = 'Lock' AND query ILIKE $2",
        database,
        statement.replace("%", r"\%").replace("_", r"\_") + "%",
    )
    return bool(waiting)


@contextlib.asynccontextmanager
async def scratch_database(
    engine: str, tmp_path: Path, service: str, metadata: MetaData, outbox: Table | None = None
) -> AsyncIterator[Database]:
    """A new, empty database on ``engine`` (``sqlite`` or ``postgresql``) holding
    ``metadata``'s tables, for a contract test run on both; dropped afterwards."""
    name = None
    if engine == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / f'{service}.sqlite3'}"
    else:
        name = await create_database()
        url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    database: Database | None = None
    try:
        database = Database(url, service=service, outbox=outbox)
        async with database.engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        yield database
    finally:
        if database is not None:
            await database.dispose()
        if name:
            await drop_database(name)


@contextlib.asynccontextmanager
async def backend_settings(
    backend: str, data_dir: Path, **overrides: Any
) -> AsyncIterator[Settings]:
    """Settings for ``embedded`` or ``real``; a real run's database is dropped afterwards."""
    base: dict[str, Any] = {
        "data_dir": data_dir,
        "environment": "test",
        "namespace": new_namespace(),
        # The suites sign many users up from 127.0.0.1; the limit tests set their own.
        "rate_limit_anonymous_per_minute": 100_000,
        "rate_limit_user_per_minute": 100_000,
        "login_failures_per_ip": 100_000,
        "log_level": "WARNING",
    }
    database = None
    if backend == "real":
        database = await create_database()
        base.update(
            database_url=f"postgresql+asyncpg://postgres@127.0.0.1:5432/{database}",
            redis_url=REDIS_URL,
            amqp_url=AMQP_URL,
            **SMALL_POOLS,
        )
    elif backend != "embedded":
        raise ValueError(backend)
    base.update(overrides)
    try:
        yield Settings(**base)
    finally:
        if database:
            await drop_database(database)


class Running:
    """A Disco serving on a free local port, inside the test's event loop."""

    def __init__(self, system: System, port: int) -> None:
        self.system = system
        self.port = port
        self.url = f"http://127.0.0.1:{port}"


# A system that takes longer to stop prints what each of its tasks waits on (see serve).
SLOW_STOP_SECONDS = 45.0


@contextlib.asynccontextmanager
async def serve(
    settings: Settings, services: Sequence[str] = SERVICES, *, clock: Clock | None = None
) -> AsyncIterator[Running]:
    port = free_port()
    settings = settings.model_copy(update={"port": port, "host": "127.0.0.1"})
    system = System(settings, services, clock=clock)
    config = uvicorn.Config(
        build_asgi(system),
        host="127.0.0.1",
        port=port,
        log_config=None,
        access_log=False,
        lifespan="on",
        ws_max_size=settings.ws_max_frame_bytes,
        proxy_headers=False,  # as `disco up`: the gateway alone decides whom to believe
        timeout_keep_alive=SERVER_KEEP_ALIVE_SECONDS,  # as `disco up` (see platform/http.py)
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()  # re-raises why start-up failed
            raise RuntimeError("server stopped during start-up")
        await asyncio.sleep(0.02)
    try:
        yield Running(system, port)
    finally:
        server.should_exit = True
        try:
            await asyncio.wait_for(asyncio.shield(task), SLOW_STOP_SECONDS)
        except TimeoutError:
            # A stop this slow is a hang being investigated: say what every task waits on.
            print(f"the system has not stopped in {SLOW_STOP_SECONDS} s; its tasks:")
            for pending in asyncio.all_tasks():
                pending.print_stack(limit=12, file=sys.stdout)
            await task
        # Quorum queues are heavy (a Raft group each) and outlive the run: left behind, hundreds
        # of them make every later broker restart crawl.
        if isinstance(system.bus, RabbitBus):
            await system.bus.delete_topology()
