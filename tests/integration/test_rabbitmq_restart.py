"""RabbitMQ restarts in the middle of a stream: every event is still applied, exactly once.

A relay publishes a PostgreSQL outbox while an idempotent consumer applies what it is given;
the broker is stopped and started again underneath both. Keep this the only test that does it:
the broker is shared, so its outage is kept short and always ended.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import ClassVar

import pytest
from pydantic import BaseModel
from sqlalchemy import Column, Integer, MetaData, String, Table, func, select

from disco.platform.bus import Envelope
from disco.platform.bus.inbox import idempotent
from disco.platform.bus.outbox import OutboxRelay
from disco.platform.bus.rabbitmq import RabbitBus
from disco.platform.db import Database, UnitOfWork, inbox_table, outbox_table
from tests.support.backends import (
    AMQP_URL,
    create_database,
    drop_database,
    new_namespace,
    sweep_session_queues,
)
from tests.support.poll import eventually

pytestmark = pytest.mark.real

EVENTS = 300
RESTART_AFTER = 100  # events written before the broker goes down
GROUP = "restart"
RETRY_DELAYS = (0.05, 0.1)

metadata = MetaData()
outbox = outbox_table(metadata, "rr")
inbox = inbox_table(metadata, "rr")
# No unique key: an event applied twice would show as two rows.
applied = Table(
    "rr_applied",
    metadata,
    Column("n", Integer, primary_key=True, autoincrement=True),
    Column("event_id", String(36), nullable=False),
    Column("number", Integer, nullable=False),
)


class Numbered(BaseModel):
    event_type: ClassVar[str] = "test.stream.numbered"
    event_version: ClassVar[int] = 1

    number: int


def rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", *args], check=True, capture_output=True, timeout=120)


def broker_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5672), timeout=1):
            return True
    except OSError:
        return False


@contextmanager
def broker_down() -> Iterator[None]:
    """Stop the RabbitMQ application; whatever happens, start it again and wait for it."""
    try:
        rabbitmqctl("stop_app")
        yield
    finally:
        rabbitmqctl("start_app")
        rabbitmqctl("await_startup")
        deadline = time.monotonic() + 60
        while not broker_answers():
            assert time.monotonic() < deadline, "RabbitMQ did not come back on :5672"
            time.sleep(0.2)


@pytest.fixture
async def database_url() -> AsyncIterator[str]:
    name = await create_database()
    try:
        yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    finally:
        await drop_database(name)


@pytest.fixture
async def namespace() -> AsyncIterator[str]:
    namespace = new_namespace()
    try:
        yield namespace
    finally:
        await sweep_session_queues(namespace)


async def rows(db: Database) -> list[tuple[str, int]]:
    async with db.engine.connect() as conn:
        result = await conn.execute(select(applied.c.event_id, applied.c.number))
        return [(r.event_id, r.number) for r in result]


async def outbox_size(db: Database) -> int:
    async with db.engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(outbox))).scalar_one())


async def test_a_broker_restart_loses_and_duplicates_nothing(
    database_url: str, namespace: str
) -> None:
    producer = Database(database_url, service="rr", outbox=outbox)
    consumer = Database(database_url, service="rr-consumer")
    async with producer.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    relay_bus = RabbitBus(AMQP_URL, namespace, retry_delays=RETRY_DELAYS)
    consumer_bus = RabbitBus(AMQP_URL, namespace, retry_delays=RETRY_DELAYS)
    deliveries = 0

    async def apply(uow: UnitOfWork, envelope: Envelope) -> None:
        await uow.session.execute(
            applied.insert().values(event_id=envelope.id, number=envelope.payload["number"])
        )

    apply_once = idempotent(consumer, inbox, GROUP, apply)

    async def handle(envelope: Envelope) -> None:
        nonlocal deliveries
        deliveries += 1
        await apply_once(envelope)

    consumer_bus.subscribe(GROUP, ["test.stream.*"], handle)
    await consumer_bus.start()
    await relay_bus.start()
    relay = OutboxRelay(producer, relay_bus, poll_seconds=0.2, batch=20)
    relay.start()
    sent: list[str] = []
    written_enough = asyncio.Event()

    async def produce() -> None:
        for number in range(EVENTS):
            async with producer.unit_of_work("test.produce") as uow:
                sent.append(await uow.publish(Numbered(number=number)))
            if number + 1 == RESTART_AFTER:
                written_enough.set()
            await asyncio.sleep(0.02)

    producing = asyncio.create_task(produce())
    try:
        await asyncio.wait_for(written_enough.wait(), timeout=60)
        with broker_down():
            await asyncio.sleep(1)  # long enough for both connections to notice
            in_outbox_while_down = await outbox_size(producer)
        await producing

        async def all_applied() -> bool:
            return len(await rows(consumer)) >= EVENTS

        await eventually(all_applied, timeout=120, what=f"{EVENTS} events applied")

        async def outbox_empty() -> bool:
            return await outbox_size(producer) == 0

        await eventually(outbox_empty, timeout=30, what="an empty outbox")
        await asyncio.sleep(1)  # time for a late duplicate to show up, if there were one
        result = await rows(consumer)
        assert len(result) == EVENTS  # none applied twice
        assert sorted(event_id for event_id, _ in result) == sorted(sent)  # none lost
        assert sorted(number for _, number in result) == list(range(EVENTS))
        assert await outbox_size(producer) == 0
        assert in_outbox_while_down > 0  # the outage really held events back
        assert deliveries >= EVENTS
    finally:
        producing.cancel()
        await asyncio.gather(producing, return_exceptions=True)
        await relay.stop()
        await relay_bus.close()
        await consumer_bus.close()
        await producer.dispose()
        await consumer.dispose()
