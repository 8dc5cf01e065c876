"""The outbox and the inbox on SQLite and PostgreSQL: nothing lost, nothing applied twice."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar

import pytest
from pydantic import BaseModel
from sqlalchemy import Column, Integer, MetaData, String, Table, func, select

from disco.platform.bus import Envelope, Handler
from disco.platform.bus.base import publish_in_turn
from disco.platform.bus.inbox import HANDLED_KEPT_FOR, forget_handled, idempotent
from disco.platform.bus.memory import MemoryBus
from disco.platform.bus.outbox import OutboxRelay
from disco.platform.bus.routing import subscribe_handlers
from disco.platform.clock import FrozenClock
from disco.platform.db import Database, UnitOfWork, inbox_table, outbox_table
from disco.platform.errors import Unauthorized
from tests.support.backends import scratch_database
from tests.support.poll import eventually

metadata = MetaData()
outbox = outbox_table(metadata, "t")
inbox = inbox_table(metadata, "t")
# What a consumer did; no unique key, so applying an event twice would show as two rows.
effects = Table(
    "t_effects",
    metadata,
    Column("n", Integer, primary_key=True, autoincrement=True),
    Column("event_id", String(36), nullable=False),
    Column("note", String(100), nullable=False),
)


class ThingHappened(BaseModel):
    event_type: ClassVar[str] = "test.thing.happened"
    event_version: ClassVar[int] = 1

    number: int


class Boom(Exception):
    pass


@pytest.fixture(params=["sqlite", "postgresql"])
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    async with scratch_database(request.param, tmp_path, "t", metadata, outbox) as database:
        yield database


async def count(db: Database, table: Table) -> int:
    async with db.engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())


async def effect_rows(db: Database) -> list[tuple[str, str]]:
    async with db.engine.connect() as conn:
        rows = await conn.execute(select(effects.c.event_id, effects.c.note).order_by(effects.c.n))
        return [(r.event_id, r.note) for r in rows]


def recording_bus() -> tuple[MemoryBus, list[Envelope]]:
    bus = MemoryBus(retry_delays=(0.05, 0.1))
    seen: list[Envelope] = []

    async def record(envelope: Envelope) -> None:
        seen.append(envelope)

    bus.subscribe("recorder", ["#"], record)
    return bus, seen


async def test_events_of_a_rolled_back_transaction_are_never_published(db: Database) -> None:
    bus, seen = recording_bus()
    with pytest.raises(Boom):
        async with db.unit_of_work("test.rollback") as uow:
            await uow.publish(ThingHappened(number=1))
            raise Boom
    async with db.unit_of_work("test.commit") as uow:
        kept = await uow.publish(ThingHappened(number=2))
    assert await OutboxRelay(db, bus).relay_once() == 1
    assert [(e.id, e.payload) for e in seen] == [(kept, {"number": 2})]
    assert await count(db, outbox) == 0
    assert await OutboxRelay(db, bus).relay_once() == 0


async def test_committed_events_are_published_in_order(db: Database) -> None:
    bus, seen = recording_bus()
    ids = []
    for batch in range(5):
        async with db.unit_of_work("test.commit") as uow:
            for i in range(3):
                ids.append(await uow.publish(ThingHappened(number=batch * 3 + i)))
    relay = OutboxRelay(db, bus, batch=4)  # several batches
    while await relay.relay_once():
        pass
    assert [e.id for e in seen] == ids
    assert [e.payload["number"] for e in seen] == list(range(15))
    assert {(e.type, e.version) for e in seen} == {("test.thing.happened", 1)}
    assert await count(db, outbox) == 0


async def test_the_running_relay_publishes_on_commit(db: Database) -> None:
    bus, seen = recording_bus()
    relay = OutboxRelay(db, bus, poll_seconds=60)  # only the commit's wake-up can be in time
    relay.start()
    try:
        async with db.unit_of_work("test.commit") as uow:
            sent = await uow.publish(ThingHappened(number=7))
        await eventually(lambda: len(seen) == 1, timeout=10)
        assert seen[0].id == sent
        await eventually(lambda: _outbox_empty(db), timeout=10, what="the outbox to drain")
    finally:
        await relay.stop()


async def test_a_refusal_that_keeps_its_changes_publishes_and_runs_after_commit(
    db: Database,
) -> None:
    bus, seen = recording_bus()
    relay = OutboxRelay(db, bus, poll_seconds=60)  # only the commit's wake-up can be in time
    relay.start()
    ran: list[str] = []

    async def after() -> None:
        ran.append("after")

    try:
        with pytest.raises(Unauthorized):
            async with db.unit_of_work("test.refusal") as uow:
                kept = await uow.publish(ThingHappened(number=3))
                uow.after_commit(after)
                raise Unauthorized("refused, with a trace", keep_changes=True)
        assert ran == ["after"]
        await eventually(lambda: len(seen) == 1, timeout=10)
        assert seen[0].id == kept
    finally:
        await relay.stop()


async def test_a_rollback_drops_after_commit_work(db: Database) -> None:
    ran: list[str] = []

    async def after() -> None:
        ran.append("after")

    with pytest.raises(Unauthorized):
        async with db.unit_of_work("test.refusal") as uow:
            await uow.publish(ThingHappened(number=4))
            uow.after_commit(after)
            raise Unauthorized("refused")
    assert ran == []
    assert await count(db, outbox) == 0


async def test_a_failed_publish_leaves_the_rest_in_the_outbox(db: Database) -> None:
    bus, seen = recording_bus()
    async with db.unit_of_work("test.commit") as uow:
        ids = [await uow.publish(ThingHappened(number=i)) for i in range(3)]
    await bus.close()  # a closed bus refuses to publish
    with pytest.raises(RuntimeError):
        await OutboxRelay(db, bus).relay_once()
    assert await count(db, outbox) == 3
    await bus.start()
    assert await OutboxRelay(db, bus).relay_once() == 3
    assert [e.id for e in seen] == ids


class _PublishingThrough:
    """A bus that hands what it publishes on to a memory bus; the tests' buses below change
    only how a publish goes."""

    def __init__(self, bus: MemoryBus) -> None:
        self.bus = bus

    def subscribe(self, group: str, patterns: list[str], handler: Handler, **kw: bool) -> None:
        self.bus.subscribe(group, patterns, handler, **kw)

    async def publish(self, envelope: Envelope) -> None:
        await self.bus.publish(envelope)

    async def publish_many(self, envelopes: Sequence[Envelope]) -> tuple[int, Exception | None]:
        return await publish_in_turn(self, envelopes)

    async def start(self) -> None: ...

    async def ping(self) -> None: ...

    async def close(self) -> None: ...


class CancelledOnce(_PublishingThrough):
    """A bus whose first publish is cancelled under the caller, as an AMQP connection that dies
    while a confirm is outstanding may do."""

    def __init__(self, bus: MemoryBus) -> None:
        super().__init__(bus)
        self.cancelled = False

    async def publish(self, envelope: Envelope) -> None:
        if not self.cancelled:
            self.cancelled = True
            raise asyncio.CancelledError
        await self.bus.publish(envelope)


async def test_the_relay_outlives_a_cancelled_publish(db: Database) -> None:
    bus, seen = recording_bus()
    flaky = CancelledOnce(bus)
    relay = OutboxRelay(db, flaky, poll_seconds=0.1)
    async with db.unit_of_work("test.commit") as uow:
        sent = await uow.publish(ThingHappened(number=5))
    relay.start()
    try:
        # The consumer sees the event inside publish(), a moment before the relay's delete
        # commits: wait for both, or stopping the relay in between leaves the row (redelivered).
        await eventually(lambda: len(seen) == 1, timeout=10)
        await eventually(lambda: _outbox_empty(db), timeout=10, what="the outbox to drain")
    finally:
        await relay.stop()
    assert flaky.cancelled
    assert seen[0].id == sent


async def _outbox_empty(db: Database) -> bool:
    return await count(db, outbox) == 0


async def apply_note(uow: UnitOfWork, envelope: Envelope) -> None:
    await uow.session.execute(effects.insert().values(event_id=envelope.id, note="applied"))


def envelope() -> Envelope:
    return Envelope(str(uuid.uuid4()), "test.thing.happened", 1, datetime.now(UTC), {"number": 1})


async def test_a_redelivered_event_is_applied_once(db: Database) -> None:
    handle = idempotent(db, inbox, "notes", apply_note)
    sent = envelope()
    await handle(sent)
    await handle(sent)
    await handle(Envelope(sent.id, sent.type, 1, sent.occurred_at, sent.payload, attempt=2))
    assert await effect_rows(db) == [(sent.id, "applied")]
    other = envelope()
    await handle(other)
    assert [event_id for event_id, _ in await effect_rows(db)] == [sent.id, other.id]


async def test_an_applied_event_is_remembered_for_a_week_then_forgotten(db: Database) -> None:
    """Before, every service's inbox kept a row per event for ever."""
    clock = FrozenClock()
    db.clock = clock
    handle = idempotent(db, inbox, "notes", apply_note)
    old = envelope()
    await handle(old)
    clock.advance(HANDLED_KEPT_FOR.total_seconds() - 60)
    recent = envelope()
    await handle(recent)
    clock.advance(120)  # the old one was applied a week and a minute ago, the recent one 2 min
    assert await forget_handled(db, inbox, clock.now()) == 1
    await handle(recent)  # a late copy of the recent one is still recognised
    assert await effect_rows(db) == [(old.id, "applied"), (recent.id, "applied")]
    assert await count(db, inbox) == 1


async def test_an_event_older_than_the_inbox_remembers_is_applied_and_said(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    late = envelope()
    late = Envelope(late.id, late.type, 1, datetime.now(UTC) - HANDLED_KEPT_FOR * 2, late.payload)
    await idempotent(db, inbox, "notes", apply_note)(late)
    assert await effect_rows(db) == [(late.id, "applied")]
    assert "older than the inbox remembers" in caplog.text


async def test_concurrent_redeliveries_are_applied_once(db: Database) -> None:
    handle = idempotent(db, inbox, "notes", apply_note)
    sent = envelope()
    await asyncio.gather(*(handle(sent) for _ in range(5)))
    assert await effect_rows(db) == [(sent.id, "applied")]


async def test_each_handler_has_its_own_inbox_entry(db: Database) -> None:
    sent = envelope()
    await idempotent(db, inbox, "notes", apply_note)(sent)
    await idempotent(db, inbox, "audit", apply_note)(sent)
    assert len(await effect_rows(db)) == 2


async def test_a_failure_rolls_back_the_effect_and_the_inbox_row(db: Database) -> None:
    async def apply_then_fail(uow: UnitOfWork, envelope: Envelope) -> None:
        await apply_note(uow, envelope)
        if envelope.attempt == 1:
            raise Boom

    handle = idempotent(db, inbox, "notes", apply_then_fail)
    sent = envelope()
    with pytest.raises(Boom):
        await handle(sent)
    assert await effect_rows(db) == []
    assert await count(db, inbox) == 0
    await handle(Envelope(sent.id, sent.type, 1, sent.occurred_at, sent.payload, attempt=2))
    assert await effect_rows(db) == [(sent.id, "applied")]
    assert await count(db, inbox) == 1


async def test_outbox_to_a_failing_idempotent_consumer_applies_each_event_once(
    db: Database,
) -> None:
    """The whole path: commit, relay, bus retry, inbox; every event applied exactly once."""
    attempts: list[int] = []

    async def flaky(uow: UnitOfWork, envelope: Envelope) -> None:
        attempts.append(envelope.attempt)
        await apply_note(uow, envelope)
        if envelope.payload["number"] % 2 == 0 and envelope.attempt == 1:
            raise Boom

    bus = MemoryBus(retry_delays=(0.05, 0.1))
    bus.subscribe("notes", ["test.#"], idempotent(db, inbox, "notes", flaky))
    async with db.unit_of_work("test.commit") as uow:
        ids = [await uow.publish(ThingHappened(number=i)) for i in range(6)]
    relay = OutboxRelay(db, bus)
    assert await relay.relay_once() == 6
    assert await relay.relay_once() == 0  # nothing published twice by the relay either

    async def settled() -> bool:
        # An attempt is counted when it starts: wait for the last one's commit too.
        return len(attempts) == 9 and len(await effect_rows(db)) >= len(ids)

    await eventually(settled, timeout=10, what="every event applied, the retries included")
    rows = await effect_rows(db)
    assert sorted(event_id for event_id, _ in rows) == sorted(ids)
    assert await count(db, inbox) == 6
    await bus.close()


async def test_an_event_that_does_not_fit_its_class_is_parked_at_once(db: Database) -> None:
    """A payload the consumer's event class refuses can never be applied: no retries, no
    effect, no inbox row, straight to the dead letters (a poison message in the fault suite)."""
    applied: list[ThingHappened] = []

    async def on_thing_happened(uow: UnitOfWork, event: ThingHappened) -> None:
        applied.append(event)

    bus = MemoryBus(retry_delays=(0.05, 0.1))
    subscribe_handlers(bus, db, inbox, "things", {ThingHappened: on_thing_happened})
    good, poison = envelope(), envelope()
    poison = Envelope(poison.id, poison.type, 1, poison.occurred_at, {"number": "many"})
    await bus.publish(poison)
    await bus.publish(good)
    assert [group_and_event[1].id for group_and_event in bus.dead_letters] == [poison.id]
    assert [event.number for event in applied] == [1]
    assert await count(db, inbox) == 1


class ForgetsTheStop(_PublishingThrough):
    """A bus whose publish catches a cancellation, forgets it (``uncancel``) and returns as if
    nothing had happened: the worst a library can do to its caller's stop. Python 3.11's
    ``asyncio.wait_for`` does as much when the awaited operation ends as the cancellation
    lands."""

    def __init__(self, bus: MemoryBus) -> None:
        super().__init__(bus)
        self.waiting = asyncio.Event()
        self.forgot = False

    async def publish(self, envelope: Envelope) -> None:
        self.waiting.set()
        try:
            await asyncio.sleep(60)  # a confirm that takes its time
        except asyncio.CancelledError:
            task = asyncio.current_task()
            assert task is not None
            task.uncancel()
            self.forgot = True
        await self.bus.publish(envelope)


async def test_the_relay_stops_when_a_publish_forgets_the_cancellation(db: Database) -> None:
    """Before, the relay went back to waiting for work with the stop lost, and the service's
    stop waited for ever (a real-mode system hung 300 s in CI, the relay at its wake-up wait)."""
    bus, seen = recording_bus()
    forgetful = ForgetsTheStop(bus)
    relay = OutboxRelay(db, forgetful, poll_seconds=60)
    async with db.unit_of_work("test.commit") as uow:
        sent = await uow.publish(ThingHappened(number=9))
    relay.start()
    task = relay._task
    assert task is not None
    await asyncio.wait_for(forgetful.waiting.wait(), timeout=10)
    await asyncio.wait_for(relay.stop(), timeout=10)
    assert task.done() and forgetful.forgot
    assert [e.id for e in seen] == [sent]  # what it published before stopping went out
