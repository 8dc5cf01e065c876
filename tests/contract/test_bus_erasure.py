"""Nothing comes back after an account's erasure, even when an event about the person is being
applied while the erasure commits: the consumer applies several events at once, and on
PostgreSQL such an event, having seen no erasure yet, wrote its row after the erasure had
deleted the person's rows (CI found a ``match_preferences`` row left behind this way). On SQLite
and PostgreSQL, through the one event-routing helper."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Column, MetaData, String, Table, delete, func, select, text

from disco.contracts.events.users import ProfileUpdated, UserDeleted
from disco.platform.bus.base import Envelope
from disco.platform.bus.memory import MemoryBus
from disco.platform.bus.routing import subscribe_handlers
from disco.platform.db import Database, UnitOfWork, erased_table, inbox_table, new_id
from tests.support.backends import scratch_database
from tests.support.poll import eventually

metadata = MetaData()
inbox = inbox_table(metadata, "t")
erased = erased_table(metadata, "t")
profiles = Table("t_profiles", metadata, Column("user_id", String(36), primary_key=True))


@pytest.fixture(params=["sqlite", "postgresql"])
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    async with scratch_database(request.param, tmp_path, "t", metadata) as database:
        yield database


def envelope(event_type: str, payload: dict[str, object]) -> Envelope:
    return Envelope(new_id(), event_type, 1, datetime.now(UTC), payload)


async def the_erasure_waits(db: Database) -> bool:
    """Whether a transaction of this database waits for an advisory lock (the erasure, for
    the update's). SQLite cannot show its waiting writer; there this test checks only the end
    state, which the order of SQLite's writes decides (``platform/bus/erasure.py``)."""
    if db.is_sqlite:
        await asyncio.sleep(0.5)
        return True
    async with db.engine.connect() as conn:
        waiting = await conn.execute(
            text(
                "select count(*) from pg_locks where locktype = 'advisory' and not granted"
                " and database = (select oid from pg_database where datname = current_database())"
            )
        )
        return bool(waiting.scalar_one())


async def test_an_event_applied_while_the_erasure_commits_leaves_nothing(db: Database) -> None:
    applying, release = asyncio.Event(), asyncio.Event()

    async def on_profile_updated(uow: UnitOfWork, event: ProfileUpdated) -> None:
        applying.set()  # past the erasure check, which found nothing
        await release.wait()
        await uow.session.execute(profiles.insert().values(user_id=event.user_id))

    async def on_user_deleted(uow: UnitOfWork, event: UserDeleted) -> None:
        await uow.session.execute(delete(profiles).where(profiles.c.user_id == event.user_id))

    bus = MemoryBus(retry_delays=(0.05,) * 20)
    subscribe_handlers(
        bus,
        db,
        inbox,
        "t",
        {ProfileUpdated: on_profile_updated, UserDeleted: on_user_deleted},
        erased=erased,
    )
    user_id = new_id()
    profile = envelope(
        ProfileUpdated.event_type,
        {
            "user_id": user_id,
            "first_name": "Ada",
            "interests": [],
            "activities": [],
            "mode": "social",
        },
    )
    updating = asyncio.create_task(bus.publish(profile))
    await asyncio.wait_for(applying.wait(), 10)
    erasing = asyncio.create_task(
        bus.publish(envelope(UserDeleted.event_type, {"user_id": user_id}))
    )
    async with asyncio.timeout(30):
        # Before the fix the erasure commits here, under the update's feet; with it, it waits.
        while not erasing.done() and not await the_erasure_waits(db):
            await asyncio.sleep(0.01)
    release.set()
    await asyncio.wait_for(asyncio.gather(updating, erasing), 30)

    async def rows(table: Table) -> int:
        async with db.engine.connect() as conn:
            return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())

    try:
        # The erasure is applied (a first attempt that failed is retried in the background).
        async def erased_once() -> bool:
            return await rows(erased) == 1

        await eventually(erased_once, timeout=30, what="the erasure applied")
        assert await rows(profiles) == 0
        assert bus.dead_letters == []
    finally:
        await bus.close()
