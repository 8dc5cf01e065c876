"""Recording what became of each send, many in one transaction.

Under a burst, a transaction per outcome cost the dispatcher as much as the sends themselves
(begin, an update, an audit insert, commit: about 1.5 ms of the event loop each). Outcomes are
written as a group commit instead: the first one to end starts a write, and every one that ends
while it runs waits for the next write, which takes them all. A send is not over (its slot in
the dispatcher is not freed, its row not claimable) until its outcome is written. If a write
fails, each of its outcomes is written again in a transaction of its own, so one bad outcome
costs no other its record (an unrecorded email is sent again once its lease lapses); only
those that fail alone see the error, as they would have without the grouping.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from disco.platform.clock import Clock
from disco.platform.db import Database
from disco.platform.tasks import stop_task
from disco.safety.notify.repository import EventRow, NotificationRow, NotificationsRepository

__all__ = ["Outcome", "OutcomeWriter"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Outcome:
    row: NotificationRow
    attempt: int
    # (kind, sealed detail) for the audit trail, in order.
    trail: list[tuple[str, str | None]]
    # The row's new values; None for a plain success (sent now), written for a whole batch in
    # one statement.
    values: dict[str, Any] | None = None


class OutcomeWriter:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock
        self._waiting: list[tuple[Outcome, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def record(self, outcome: Outcome) -> None:
        """Returns once ``outcome`` is committed; raises if its write failed."""
        done = asyncio.get_running_loop().create_future()
        self._waiting.append((outcome, done))
        if self._writer is None:
            self._writer = asyncio.create_task(self._write_all(), name="notify-outcomes")
        await done

    async def stop(self) -> None:
        """For a dispatcher that gave up waiting for its sends: no write outlives it, and the
        outcomes not yet written stay unwritten (their rows are retried once the lease lapses)."""
        await stop_task(self._writer)
        waiting, self._waiting = self._waiting, []
        for _, done in waiting:
            done.cancel()

    async def _write_all(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                try:
                    await self._write([outcome for outcome, _ in batch])
                except Exception as exc:
                    if len(batch) == 1:
                        _resolve(batch[0][1], exc)
                        continue
                    log.warning("writing %d send outcomes failed; each alone now", len(batch))
                    for outcome, done in batch:
                        _resolve(done, await self._written_alone(outcome))
                else:
                    for _, done in batch:
                        _resolve(done, None)
        finally:
            self._writer = None

    async def _written_alone(self, outcome: Outcome) -> Exception | None:
        """Write one outcome in a transaction of its own; the error if that fails too."""
        try:
            await self._write([outcome])
        except Exception as exc:
            return exc
        return None

    async def _write(self, outcomes: list[Outcome]) -> None:
        now = self._clock.now()
        async with self._db.unit_of_work("notify.settle") as uow:
            repo = NotificationsRepository(uow)
            settled = await repo.settle_sent(
                {o.row.id: o.attempt for o in outcomes if o.values is None}, now
            )
            for o in outcomes:
                if o.values is not None and await repo.settle(o.row.id, o.attempt, **o.values):
                    settled.add(o.row.id)
            # A row erased meanwhile (account deletion) has nothing left to audit.
            await repo.record(
                [
                    EventRow(o.row.id, kind, now, o.attempt, detail)
                    for o in outcomes
                    if o.row.id in settled
                    for kind, detail in o.trail
                ]
            )


def _resolve(done: asyncio.Future[None], error: Exception | None) -> None:
    if done.done():  # its send was cancelled meanwhile
        return
    if error is None:
        done.set_result(None)
    else:
        done.set_exception(error)
