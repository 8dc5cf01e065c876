"""Disappearing messages: the durable job that removes what expired, for good.

Reads never show an expired message (every query filters on ``expires_at``); this job makes
the removal physical, each run picking up where the last left off, whichever chat process runs
it:

- **PostgreSQL**: ``chat_messages`` is partitioned by hour of ``expires_at``. The job makes the
  partitions for the coming hours (a message is never sent into a missing one: a default
  partition catches anything unforeseen), drops every partition whose hour has passed (no mass
  DELETE, no bloat: a message is physically gone within the hour after it expired), and deletes
  the few expired rows the default partition may hold. Runs take a transaction-level advisory
  lock, so two processes never race on the same partitions.
- **SQLite**: expired rows are deleted by the indexed ``expires_at``, in batches.

Attachments: every expired one's bytes are deleted from the blob store, then its row, so a
run cut short leaves rows to try again, never a file nobody can find.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, text

from disco.chat import models as m
from disco.chat.media.repository import MediaRepository
from disco.platform.blobs import BlobStore
from disco.platform.clock import Clock
from disco.platform.db import Database
from disco.platform.repository import Repository

__all__ = ["ChatExpiry", "ExpiryReport"]

log = logging.getLogger(__name__)

_PARTITION = re.compile(r"^chat_messages_p(\d{10})$")
_LOCK_KEY = 0x63686174  # "chat": one expiry run at a time across processes
_BATCH = 1000


@dataclass(frozen=True, slots=True)
class ExpiryReport:
    messages: int = 0  # rows deleted (SQLite, or PostgreSQL's default partition)
    partitions_dropped: int = 0
    partitions_made: int = 0
    media: int = 0


def _hour(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def partition_name(hour: datetime) -> str:
    return f"chat_messages_p{hour:%Y%m%d%H}"


class ChatExpiry:
    def __init__(
        self, db: Database, blobs: BlobStore, clock: Clock, *, longest_ttl_seconds: int
    ) -> None:
        self._db = db
        self._blobs = blobs
        self._clock = clock
        self._ahead = timedelta(seconds=longest_ttl_seconds) + timedelta(hours=2)

    async def run(self) -> ExpiryReport:
        now = self._clock.now()
        if self._db.is_sqlite:
            report = await self._delete_rows(now)
        else:
            report = await self._rotate_partitions(now)
        media = await self._delete_media(now)
        return ExpiryReport(
            messages=report.messages,
            partitions_dropped=report.partitions_dropped,
            partitions_made=report.partitions_made,
            media=media,
        )

    async def _delete_rows(self, now: datetime) -> ExpiryReport:
        removed = 0
        while True:
            async with self._db.unit_of_work("chat.expire_messages") as uow:
                repo = Repository(uow)
                ids = select(m.messages.c.id).where(m.messages.c.expires_at <= now).limit(_BATCH)
                batch = await repo.rowcount(delete(m.messages).where(m.messages.c.id.in_(ids)))
                await repo.rowcount(delete(m.client_ids).where(m.client_ids.c.expires_at <= now))
            removed += batch
            if batch < _BATCH:
                return ExpiryReport(messages=removed)

    async def _rotate_partitions(self, now: datetime) -> ExpiryReport:
        async with self._db.unit_of_work("chat.expire_partitions") as uow:
            session = uow.session
            locked = await session.execute(
                text("select pg_try_advisory_xact_lock(:key)"), {"key": _LOCK_KEY}
            )
            if not locked.scalar():
                return ExpiryReport()  # another process is at it
            # A drop waits for the parent's lock; never hold up sends for long behind it.
            await session.execute(text("set local lock_timeout = '5s'"))
            existing = {
                name
                for name in (
                    await session.execute(
                        text(
                            "select c.relname from pg_inherits i"
                            " join pg_class c on c.oid = i.inhrelid"
                            " join pg_class p on p.oid = i.inhparent"
                            " where p.relname = 'chat_messages'"
                        )
                    )
                ).scalars()
            }
            dropped = 0
            for name in sorted(existing):
                found = _PARTITION.match(name)
                if found is None:
                    continue
                hour = datetime.strptime(found[1], "%Y%m%d%H").replace(tzinfo=UTC)
                if hour + timedelta(hours=1) <= now:
                    await session.execute(text(f'drop table "{name}"'))
                    dropped += 1
            made = 0
            hour, last = _hour(now), _hour(now + self._ahead)
            while hour <= last:
                name = partition_name(hour)
                if name not in existing:
                    await session.execute(
                        text(
                            f'create table "{name}" partition of chat_messages'
                            f" for values from ('{hour.isoformat()}')"
                            f" to ('{(hour + timedelta(hours=1)).isoformat()}')"
                        )
                    )
                    made += 1
                hour += timedelta(hours=1)
            # Only the default partition is deleted from, and it holds only the unforeseen:
            # rows of the current hour's partition go with it as a whole, once the hour is past.
            repo = Repository(uow)
            stray = await repo.rowcount(
                text("delete from chat_messages_default where expires_at <= :now").bindparams(
                    now=now
                )
            )
            await repo.rowcount(delete(m.client_ids).where(m.client_ids.c.expires_at <= now))
        return ExpiryReport(messages=stray, partitions_dropped=dropped, partitions_made=made)

    async def _delete_media(self, now: datetime) -> int:
        removed = 0
        while True:
            async with self._db.unit_of_work("chat.expired_media") as uow:
                expired = await MediaRepository(uow).expired(now, _BATCH)
            for media_id in expired:
                await self._blobs.delete(media_id)
            async with self._db.unit_of_work("chat.expire_media") as uow:
                await MediaRepository(uow).remove(expired)
            removed += len(expired)
            if len(expired) < _BATCH:
                return removed
