"""Telling a pair about each other: two ``nearby`` frames, written in batches (a group commit)
with the encounter row that lets them connect later. The row is the durable record that they
were told; the frames are pushes, and no other event is stored (nothing consumed one)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime

from disco.contracts.events.realtime import RealtimePushed
from disco.match.discovery.members import Member
from disco.match.discovery.repository import DiscoveryTables
from disco.platform.db import Database
from disco.platform.tasks import end_if_stopping, stop_task

__all__ = ["ANNOUNCE_BATCH_WAIT_S", "Announcement", "Announcements", "nearby_frame"]

log = logging.getLogger(__name__)

# Announcements made meanwhile are written in one transaction (a group commit): under a city's
# load, one transaction per encounter queued on the database for seconds.
ANNOUNCE_BATCH_WAIT_S = 0.005


@dataclass(frozen=True, slots=True)
class Announcement:
    """A pair to tell about each other: the two frames."""

    frames: tuple[RealtimePushed, ...]
    pair: tuple[str, str]
    at: datetime


class Announcements:
    """Writes announcements in batches: everything queued within ``ANNOUNCE_BATCH_WAIT_S`` of
    the first goes out in one transaction (outbox rows and encounter rows together).

    A batch that fails to commit stays queued and is tried again. One lost with its process
    (presence had already counted the encounter, so no later fix tells the pair) is told when
    the match service next starts: ``DiscoveryService.retell_lost`` finds the pairs marked
    told with no encounter row to match.
    """

    def __init__(self, db: Database, tables: DiscoveryTables) -> None:
        self._db = db
        self._tables = tables
        self._pending: list[Announcement] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def add(self, announcement: Announcement) -> None:
        self._pending.append(announcement)
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="match-announcements")

    async def stop(self) -> None:
        await stop_task(self._task)
        self._task = None
        await self.flush()

    async def flush(self) -> None:
        batch, self._pending = self._pending, []
        if not batch:
            return
        try:
            async with self._db.unit_of_work("match.announce") as uow:
                for announcement in batch:
                    for frame in announcement.frames:
                        await uow.publish(frame)
                await self._tables.record_encounters(uow, ((*a.pair, a.at) for a in batch))
        except BaseException:
            self._pending = batch + self._pending
            raise

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            await asyncio.sleep(ANNOUNCE_BATCH_WAIT_S)
            self._wake.clear()
            try:
                await self.flush()
            except Exception as exc:
                end_if_stopping(exc)
                log.exception("writing announcements failed; retrying")
                await asyncio.sleep(1.0)
                self._wake.set()


def nearby_frame(to: str, about: Member, common: list[str], distance: str) -> RealtimePushed:
    return RealtimePushed(
        user_ids=[to],
        frame_type="nearby",
        data={
            "userId": about.user_id,
            "name": about.name,
            "sharedInterests": common,
            "distance": distance,
        },
    )
