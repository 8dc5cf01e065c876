"""The outbox relay: publishes what committed transactions wrote to a service's outbox.

A row leaves the outbox only after the bus confirmed it, so a crash anywhere between commit
and publish means the event goes out after restart (at least once; inboxes drop duplicates).
On PostgreSQL, rows are claimed with ``FOR UPDATE SKIP LOCKED`` so several processes of one
service can relay side by side without publishing the same row twice in the normal case.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

from sqlalchemy import RowMapping, delete, select

from disco.platform.bus.base import Envelope, EventBus
from disco.platform.db import Database
from disco.platform.observability import EVENTS_PUBLISHED
from disco.platform.tasks import end_if_stopping, stop_task

__all__ = ["OutboxRelay"]

log = logging.getLogger(__name__)


class OutboxRelay:
    def __init__(
        self, db: Database, bus: EventBus, *, poll_seconds: float = 1.0, batch: int = 200
    ) -> None:
        if db.outbox is None:
            raise ValueError(f"{db.service}: no outbox table to relay")
        self._db = db
        self._outbox = db.outbox
        self._bus = bus
        self._poll = poll_seconds
        self._batch = batch
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._db.on_publish = self._wake.set
        self._task = asyncio.create_task(self._run(), name=f"outbox-relay-{self._db.service}")

    async def stop(self) -> None:
        self._db.on_publish = None
        await stop_task(self._task)
        self._task = None

    async def _run(self) -> None:
        failures = 0
        while True:
            try:
                sent = await self.relay_once()
            except (Exception, asyncio.CancelledError) as exc:
                end_if_stopping(exc)  # the stop, or what it turned into on its way up
                # A broker connection that dies mid-publish can also cancel the wait for its
                # confirm: that is one more failure to retry, not a reason for the relay to end.
                failures += 1
                log.warning("outbox relay of %s: %r (retrying)", self._db.service, exc)
                await asyncio.sleep(min(0.2 * 2**failures, 10.0))
                continue
            failures = 0
            if sent == self._batch:
                continue  # more waiting
            # asyncio.timeout, not wait_for: Python 3.11's wait_for swallows a cancellation
            # that lands as the wait ends, and the relay's stop then waited for ever.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._poll):
                    await self._wake.wait()
            self._wake.clear()

    async def relay_once(self) -> int:
        """Publish one batch; returns how many went out."""
        table = self._outbox
        query = select(table).order_by(table.c.seq).limit(self._batch)
        if self._db.is_sqlite:
            # One process per SQLite file, so no claim is needed; and a read transaction held
            # across the publish could not be upgraded to the delete once a consumer had written.
            async with self._db.unit_of_work("outbox.read") as uow:
                rows = (await uow.session.execute(query)).mappings().all()
            published, error = await self._publish(rows)
            if published:
                async with self._db.unit_of_work("outbox.delete") as uow:
                    await uow.session.execute(delete(table).where(table.c.seq.in_(published)))
        else:
            async with self._db.unit_of_work("outbox.relay") as uow:
                claimed = query.with_for_update(skip_locked=True)
                rows = (await uow.session.execute(claimed)).mappings().all()
                published, error = await self._publish(rows)
                if published:
                    await uow.session.execute(delete(table).where(table.c.seq.in_(published)))
        EVENTS_PUBLISHED.labels(self._db.service).inc(len(published))
        if error is not None:
            raise error  # whatever was confirmed has left the outbox; the rest waits
        return len(published)

    async def _publish(self, rows: Sequence[RowMapping]) -> tuple[list[int], Exception | None]:
        envelopes = [
            Envelope(
                id=row["event_id"],
                type=row["event_type"],
                version=row["event_version"],
                occurred_at=row["occurred_at"],
                payload=row["payload"],
            )
            for row in rows
        ]
        count, error = await self._bus.publish_many(envelopes)
        return [row["seq"] for row in rows[:count]], error
