"""Match keeps the latest of a person's profile and preferences by when each event happened,
whatever order the events arrive in: a late copy of an older one (the broker redelivers, and
keeps no order across redeliveries) changes nothing. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from disco.match import models as m
from disco.match.discovery.repository import DiscoveryTables, PreferencesRow, ProfileRow
from disco.platform.db import Database
from tests.support.backends import scratch_database

AT = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    async with scratch_database(request.param, tmp_path, "match", m.metadata, m.outbox) as database:
        yield database


def profile(first_name: str) -> ProfileRow:
    return ProfileRow(first_name, ["chess"], [], "social", None)


def preferences(radius_meters: int) -> PreferencesRow:
    return PreferencesRow(radius_meters, [], None, None, False)


async def put_in_turn(db: Database, *changes: tuple[str, int, datetime]) -> tuple[str, int]:
    """Applies each (first name, radius, when it happened) in the order given; returns what
    match then holds."""
    tables = DiscoveryTables(is_sqlite=db.is_sqlite)
    for first_name, radius, happened in changes:
        async with db.unit_of_work("test.project") as uow:
            await tables.put_profile(uow, "ada", profile(first_name), happened)
            await tables.put_preferences(uow, "ada", preferences(radius), happened)
    async with db.engine.connect() as conn:
        name = (await conn.execute(select(m.profiles.c.first_name))).scalar_one()
        radius = (await conn.execute(select(m.preferences.c.radius_meters))).scalar_one()
    return name, radius


async def test_an_older_change_arriving_late_changes_nothing(db: Database) -> None:
    newer, older = ("Ada", 500, AT), ("Adaline", 150, AT - timedelta(seconds=1))
    assert await put_in_turn(db, newer, older) == ("Ada", 500)


async def test_a_newer_change_replaces_an_older_one(db: Database) -> None:
    older, newer = ("Adaline", 150, AT - timedelta(seconds=1)), ("Ada", 500, AT)
    assert await put_in_turn(db, older, newer) == ("Ada", 500)
