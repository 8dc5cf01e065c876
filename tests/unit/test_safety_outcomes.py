"""Send outcomes are written together: the outcomes of sends that end while one write runs
share the next write, and each is recorded exactly as it would be alone.

Under a burst of alerts, a transaction per outcome cost the dispatcher as much as the sends
(``bench.safety --mode real --rate 50``: emails queued for seconds behind their settles).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select

import disco.safety.notify.models  # noqa: F401  (the queue's tables, on safety's metadata)
from disco.platform.clock import FrozenClock
from disco.platform.db import Database
from disco.safety import models
from disco.safety.notify.models import notification_events, notifications
from disco.safety.notify.outcomes import Outcome, OutcomeWriter
from disco.safety.notify.repository import NotificationRow, NotificationsRepository

NOW = datetime(2026, 12, 7, 12, tzinfo=UTC)
SENDS = 12
LEASE_END = NOW + timedelta(seconds=9)


def settles() -> float:
    labels = {"service": "safety", "transaction": "notify.settle"}
    return REGISTRY.get_sample_value("disco_db_transaction_seconds_count", labels) or 0.0


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(
        f"sqlite+aiosqlite:///{tmp_path / 'safety.db'}",
        service="safety",
        sqlite_single_connection=True,
    )
    async with database.engine.begin() as conn:
        await conn.run_sync(models.metadata.create_all)
    try:
        yield database
    finally:
        await database.dispose()


async def sending(db: Database, count: int) -> list[NotificationRow]:
    """``count`` rows claimed for their first attempt, as the dispatcher leaves them."""
    async with db.unit_of_work("test.queue") as uow:
        await uow.session.execute(
            notifications.insert(),
            [
                {
                    "id": f"n-{n:02d}",
                    "dedupe_key": f"key-{n}",
                    "priority": 0,
                    "channel": "email",
                    "content_sealed": "sealed",
                    "status": "queued",
                    "attempts": 0,
                    "due_at": NOW,
                    "created_at": NOW,
                }
                for n in range(count)
            ],
        )
        return await NotificationsRepository(uow).claim(NOW, LEASE_END, count)


async def test_outcomes_that_end_together_are_written_in_one_transaction(db: Database) -> None:
    rows = await sending(db, SENDS)
    writer = OutcomeWriter(db, FrozenClock(NOW))
    before = settles()
    await asyncio.gather(*(writer.record(Outcome(r, 1, [("sent", None)])) for r in rows))
    assert settles() - before == 1
    async with db.unit_of_work("test.read") as uow:
        statuses = (await uow.session.execute(select(notifications.c.status))).scalars().all()
        trail = (await uow.session.execute(select(notification_events.c.kind))).scalars().all()
    assert statuses == ["sent"] * SENDS
    assert trail == ["sent"] * SENDS


async def test_each_outcome_in_a_write_is_recorded_as_it_would_be_alone(db: Database) -> None:
    sent, failed, retaken, erased = await sending(db, 4)
    async with db.unit_of_work("test.meanwhile") as uow:
        # Another worker took one again (its lease lapsed); an account deletion erased one.
        await uow.session.execute(
            notifications.update().where(notifications.c.id == retaken.id).values(attempts=2)
        )
        await uow.session.execute(notifications.delete().where(notifications.c.id == erased.id))
    writer = OutcomeWriter(db, FrozenClock(NOW))
    retry_at = NOW + timedelta(seconds=4)
    await asyncio.gather(
        writer.record(Outcome(sent, 1, [("sent", None)])),
        writer.record(
            Outcome(
                failed, 1, [("failed", "sealed-error")], {"status": "queued", "due_at": retry_at}
            )
        ),
        writer.record(Outcome(retaken, 1, [("sent", None)])),
        writer.record(Outcome(erased, 1, [("sent", None)])),
    )
    async with db.unit_of_work("test.read") as uow:
        repo = NotificationsRepository(uow)
        trails = await repo.trail([sent.id, failed.id, retaken.id, erased.id])
        got = {
            row.id: (row.status, row.due_at)
            for row in [
                await repo.get(sent.id),
                await repo.get(failed.id),
                await repo.get(retaken.id),
            ]
            if row is not None
        }
        assert await repo.get(erased.id) is None
    assert got == {
        sent.id: ("sent", LEASE_END),
        failed.id: ("queued", retry_at),
        retaken.id: ("sending", LEASE_END),
    }
    assert [(e.kind, e.detail_sealed) for e in trails[failed.id]] == [("failed", "sealed-error")]
    assert [e.kind for e in trails[sent.id]] == ["sent"]
    assert trails[retaken.id] == [] and trails[erased.id] == []


async def test_one_outcome_that_cannot_be_written_costs_no_other_its_record(
    db: Database,
) -> None:
    rows = await sending(db, 3)
    writer = OutcomeWriter(db, FrozenClock(NOW))
    broken = Outcome(rows[0], 1, [("sent", None)], {"no_such_column": 1})
    results = await asyncio.gather(
        writer.record(broken),
        writer.record(Outcome(rows[1], 1, [("sent", None)])),
        return_exceptions=True,
    )
    assert isinstance(results[0], Exception) and results[1] is None
    await writer.record(Outcome(rows[2], 1, [("sent", None)]))  # the next write starts clean
    async with db.unit_of_work("test.read") as uow:
        repo = NotificationsRepository(uow)
        statuses = [row.status for r in rows if (row := await repo.get(r.id)) is not None]
    assert statuses == ["sending", "sent", "sent"]
