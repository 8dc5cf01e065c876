"""An auth process killed between commit and publish, or between publish and the outbox
delete, still gets ``auth.user.registered`` to a consumer, which applies it exactly once.

Runs the real ``disco serve auth`` as a child process on PostgreSQL, Redis and RabbitMQ.
"""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy import Column, Integer, MetaData, String, Table, select

from disco.platform.bus import Envelope
from disco.platform.bus.inbox import idempotent
from disco.platform.bus.rabbitmq import RabbitBus
from disco.platform.db import Database, UnitOfWork, inbox_table
from tests.conftest import PASSWORD
from tests.support.backends import (
    AMQP_URL,
    REDIS_URL,
    create_database,
    drop_database,
    new_namespace,
    sweep_session_queues,
    waits_on_a_lock,
)
from tests.support.poll import eventually
from tests.support.process import DiscoProcess

pytestmark = pytest.mark.real

RETRY_DELAYS = (0.05, 0.1)
GROUP = "crashtest"
REGISTERED = "auth.user.registered"

consumer_metadata = MetaData()
consumer_inbox = inbox_table(consumer_metadata, GROUP)
# No unique key: an event applied twice would show as two rows.
registrations = Table(
    f"{GROUP}_registrations",
    consumer_metadata,
    Column("n", Integer, primary_key=True, autoincrement=True),
    Column("event_id", String(36), nullable=False),
    Column("user_id", String(36), nullable=False),
)


@dataclass
class Consumer:
    """A service in another process that applies ``auth.user.registered`` idempotently."""

    db: Database
    bus: RabbitBus
    delivered: list[Envelope] = field(default_factory=list)
    applied: int = 0


@dataclass
class Backends:
    database: str
    namespace: str
    env: dict[str, str]


@pytest.fixture
async def backends(tmp_path: Path) -> AsyncIterator[Backends]:
    database = await create_database()
    namespace = new_namespace()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DISCO_")}
    env.update(
        DISCO_DATA_DIR=str(tmp_path / "data"),
        DISCO_ENVIRONMENT="test",
        DISCO_NAMESPACE=namespace,
        DISCO_DATABASE_URL=f"postgresql+asyncpg://postgres@127.0.0.1:5432/{database}",
        DISCO_REDIS_URL=REDIS_URL,
        DISCO_AMQP_URL=AMQP_URL,
        DISCO_LOG_LEVEL="INFO",
    )
    try:
        yield Backends(database, namespace, env)
    finally:
        redis = Redis.from_url(REDIS_URL)
        keys = [k async for k in redis.scan_iter(match=f"{namespace}:*")]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()
        await sweep_session_queues(namespace)
        await drop_database(database)


@pytest.fixture
async def auth(backends: Backends, tmp_path: Path) -> AsyncIterator[DiscoProcess]:
    process = DiscoProcess(
        ["serve", "auth"], backends.env, tmp_path / "auth.log", ready_path="/healthz"
    )
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture
async def consumer(backends: Backends) -> AsyncIterator[Consumer]:
    db = Database(backends.env["DISCO_DATABASE_URL"], service=GROUP)
    async with db.engine.begin() as conn:
        await conn.run_sync(consumer_metadata.create_all)
    bus = RabbitBus(AMQP_URL, backends.namespace, retry_delays=RETRY_DELAYS)
    consumer = Consumer(db, bus)

    async def apply(uow: UnitOfWork, envelope: Envelope) -> None:
        await uow.session.execute(
            registrations.insert().values(event_id=envelope.id, user_id=envelope.payload["user_id"])
        )
        uow.after_commit(count_application)

    async def count_application() -> None:
        consumer.applied += 1

    apply_once = idempotent(db, consumer_inbox, GROUP, apply)

    async def handle(envelope: Envelope) -> None:
        consumer.delivered.append(envelope)
        await apply_once(envelope)

    bus.subscribe(GROUP, [REGISTERED], handle)
    await bus.start()  # its queue is bound before anything is published
    try:
        yield consumer
    finally:
        await bus.close()
        await db.dispose()


async def sign_up(auth: DiscoProcess) -> str:
    async with httpx.AsyncClient(timeout=30) as http:
        response = await http.post(
            f"{auth.url}/v1/auth/signup",
            json={
                "email": f"crash-{uuid.uuid4().hex[:8]}@example.com",
                "password": PASSWORD,
                "firstName": "Crash",
                "lastName": "Test",
            },
        )
    assert response.status_code == 201, response.text
    return str(response.json()["user"]["id"])


async def outbox_user_ids(database: str) -> list[str]:
    conn = await asyncpg.connect(f"postgresql://postgres@127.0.0.1:5432/{database}")
    try:
        rows = await conn.fetch(
            "SELECT payload FROM auth_outbox WHERE event_type = $1 ORDER BY seq", REGISTERED
        )
    finally:
        await conn.close()
    return [json.loads(row["payload"])["user_id"] for row in rows]


async def applied_user_ids(consumer: Consumer) -> list[str]:
    async with consumer.db.engine.connect() as conn:
        rows = await conn.execute(select(registrations.c.user_id).order_by(registrations.c.n))
        return [row.user_id for row in rows]


async def signed_up_then_killed_before_publish(
    auth: DiscoProcess, backends: Backends, consumer: Consumer
) -> str:
    await auth.start(DISCO_OUTBOX_RELAY="false")
    user_id = await sign_up(auth)
    auth.kill()
    # Committed, not published: the event exists only as an outbox row.
    assert await outbox_user_ids(backends.database) == [user_id]
    assert consumer.delivered == []
    return user_id


async def test_killed_before_publish_the_event_goes_out_after_restart(
    auth: DiscoProcess, backends: Backends, consumer: Consumer
) -> None:
    user_id = await signed_up_then_killed_before_publish(auth, backends, consumer)

    await auth.start()
    await eventually(lambda: consumer.applied == 1, timeout=30, what="the event applied")
    await eventually(lambda: outbox_is_empty(backends.database), what="an empty outbox")
    await asyncio.sleep(1)  # time for a duplicate to show up, if there were one
    assert consumer.applied == 1
    assert [e.type for e in consumer.delivered] == [REGISTERED]
    assert await applied_user_ids(consumer) == [user_id]


async def test_killed_after_publish_before_delete_the_consumer_applies_it_once(
    auth: DiscoProcess, backends: Backends, consumer: Consumer
) -> None:
    user_id = await signed_up_then_killed_before_publish(auth, backends, consumer)

    # A SHARE lock lets the relay claim its rows (FOR UPDATE) and publish them, but holds up
    # its DELETE: the process is then killed at exactly the point between the two.
    holder = await asyncpg.connect(f"postgresql://postgres@127.0.0.1:5432/{backends.database}")
    try:
        async with holder.transaction():
            await holder.execute("LOCK TABLE auth_outbox IN SHARE MODE")
            await auth.start()
            await eventually(lambda: consumer.applied == 1, timeout=30, what="the event applied")
            await eventually(
                lambda: waits_on_a_lock(holder, backends.database, "DELETE FROM auth_outbox"),
                what="the relay's delete to wait on the lock",
            )
            auth.kill()
            # The killed process's backend would otherwise sit on the lock queue until it
            # next wrote to its dead socket.
            await holder.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = $1 AND wait_event_type = 'Lock'",
                backends.database,
            )
        assert await outbox_user_ids(backends.database) == [user_id]  # never deleted
    finally:
        await holder.close()

    await auth.start()
    await eventually(lambda: len(consumer.delivered) == 2, timeout=30, what="the redelivery")
    await eventually(lambda: outbox_is_empty(backends.database), what="an empty outbox")
    await asyncio.sleep(1)
    assert [e.id for e in consumer.delivered] == [consumer.delivered[0].id] * 2
    assert consumer.applied == 1
    assert await applied_user_ids(consumer) == [user_id]


async def outbox_is_empty(database: str) -> bool:
    return not await outbox_user_ids(database)
