"""Matching's member cache: misses asked for together are read together, and a drop wins.

A city's apps reconnecting at once meet a cold cache; read one transaction each, their members
queued for seconds on the match service's one SQLite connection (``bench.discovery_e2e``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Collection
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from disco.match import models
from disco.match.discovery.members import Member, MemberCache
from disco.match.discovery.repository import (
    DiscoveryTables,
    MemberRows,
    PreferencesRow,
    ProfileRow,
)
from disco.platform.db import Database, UnitOfWork
from tests.support.poll import eventually
from tests.unit.test_platform_host import context

PEOPLE = [f"user-{number:02d}" for number in range(30)]
NOW = datetime(2026, 12, 6, 12, tzinfo=UTC)


class CountingTables(DiscoveryTables):
    """The real statements, counted; a read can be held open to land a drop inside it."""

    def __init__(self) -> None:
        super().__init__(is_sqlite=True)
        self.reads: list[list[str]] = []
        self.hold: asyncio.Event | None = None

    async def members(self, uow: UnitOfWork, user_ids: Collection[str]) -> dict[str, MemberRows]:
        self.reads.append(sorted(user_ids))
        rows = await super().members(uow, user_ids)
        if self.hold is not None:
            await self.hold.wait()
        return rows


@pytest.fixture
async def cache(tmp_path: Path) -> AsyncIterator[tuple[MemberCache, CountingTables, Database]]:
    db = Database(
        f"sqlite+aiosqlite:///{tmp_path / 'match.db'}",
        service="match",
        sqlite_single_connection=True,
    )
    async with db.engine.begin() as conn:
        await conn.run_sync(models.metadata.create_all)
    tables = CountingTables()
    await put_people(db, tables, name="Ann")
    try:
        yield MemberCache(db, tables, context(tmp_path)), tables, db
    finally:
        await db.dispose()


async def put_people(
    db: Database, tables: DiscoveryTables, *, name: str, as_of: datetime = NOW
) -> None:
    async with db.unit_of_work("test.people") as uow:
        for user_id in PEOPLE:
            profile = ProfileRow(f"{name} {user_id}", ["coffee"], [], "social", None)
            await tables.put_profile(uow, user_id, profile, as_of)
            prefs = PreferencesRow(500, [], None, None, False)
            await tables.put_preferences(uow, user_id, prefs, as_of)
            await tables.set_discovery(uow, user_id, True, None, NOW)


async def a_held_read(
    members: MemberCache, tables: CountingTables, user_id: str
) -> asyncio.Task[Member]:
    """``user_id`` asked for, its read started and held open until ``tables.hold`` is set."""
    tables.hold = asyncio.Event()
    reading = asyncio.create_task(members.get(user_id))
    await eventually(lambda: len(tables.reads) == 1, timeout=5)
    return reading


async def test_misses_asked_for_together_are_read_in_one_transaction(
    cache: tuple[MemberCache, CountingTables, Database],
) -> None:
    members, tables, _ = cache
    found = await asyncio.gather(*(members.get(user_id) for user_id in PEOPLE))
    assert [member.user_id for member in found] == PEOPLE
    assert [member.name for member in found] == [f"Ann {user_id}" for user_id in PEOPLE]
    assert all(member.candidate is not None and member.discovery_on for member in found)
    assert tables.reads == [sorted(PEOPLE)]
    # Now cached: asking again reads nothing.
    assert [m.user_id for m in await members.get_many(PEOPLE)] == PEOPLE
    assert len(tables.reads) == 1


async def test_misses_asked_for_during_a_read_wait_for_the_next_one(
    cache: tuple[MemberCache, CountingTables, Database],
) -> None:
    members, tables, _ = cache
    first = await a_held_read(members, tables, PEOPLE[0])
    later = [asyncio.create_task(members.get(user_id)) for user_id in PEOPLE[1:]]
    await asyncio.sleep(0.05)
    assert tables.hold is not None
    tables.hold.set()
    assert (await first).user_id == PEOPLE[0]
    assert [(await task).user_id for task in later] == PEOPLE[1:]
    assert tables.reads == [[PEOPLE[0]], sorted(PEOPLE[1:])]


async def test_a_drop_during_a_read_wins_over_what_it_read(
    cache: tuple[MemberCache, CountingTables, Database],
) -> None:
    members, tables, db = cache
    reading = await a_held_read(members, tables, PEOPLE[0])
    # A change commits (through another connection: the read holds the service's one)...
    writer = Database(str(db.url), service="match")
    try:
        later = NOW + timedelta(minutes=1)
        await put_people(writer, DiscoveryTables(is_sqlite=True), name="Bea", as_of=later)
    finally:
        await writer.dispose()
    members.drop(PEOPLE[0])  # ...and drops the cached copy, while the read still runs
    assert tables.hold is not None
    tables.hold.set()
    assert (await reading).name == f"Ann {PEOPLE[0]}"  # what that read saw, for its caller
    tables.hold = None
    assert (await members.get(PEOPLE[0])).name == f"Bea {PEOPLE[0]}"  # but it was not kept
    assert len(tables.reads) == 2


async def test_a_caller_that_gives_up_does_not_cancel_the_read_for_the_others(
    cache: tuple[MemberCache, CountingTables, Database],
) -> None:
    members, tables, _ = cache
    tables.hold = asyncio.Event()
    impatient = asyncio.create_task(members.get(PEOPLE[0]))
    patient = asyncio.create_task(members.get(PEOPLE[0]))
    await eventually(lambda: len(tables.reads) == 1, timeout=5)
    impatient.cancel()
    tables.hold.set()
    assert (await patient).user_id == PEOPLE[0]
    assert impatient.cancelled()
