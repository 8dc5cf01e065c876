"""Every SQL statement of the notification queue and its audit trail."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, func, or_, select, tuple_, update

from disco.platform.repository import Repository
from disco.safety.notify.models import notification_events as events
from disco.safety.notify.models import notifications as queue

__all__ = ["EventRow", "NotificationRow", "NotificationsRepository"]

# Rows a worker may take: waiting ones that are due, and claims that lapsed (their worker died).
_TAKEABLE = ("queued", "sending")


@dataclass(frozen=True, slots=True)
class NotificationRow:
    id: str
    dedupe_key: str
    priority: int
    channel: str
    content_sealed: str
    status: str
    attempts: int
    due_at: datetime
    created_at: datetime
    sent_at: datetime | None
    dead_lettered_at: datetime | None
    last_error_sealed: str | None
    user_id: str | None
    recipient_user_id: str | None
    alert_id: str | None
    checkin_id: str | None


@dataclass(frozen=True, slots=True)
class EventRow:
    notification_id: str
    kind: str
    at: datetime
    attempt: int
    detail_sealed: str | None


def _row(mapping: Any) -> NotificationRow:
    return NotificationRow(**{k: mapping[k] for k in NotificationRow.__slots__})


class NotificationsRepository(Repository):
    async def add(self, rows: Sequence[dict[str, Any]]) -> set[str]:
        """Insert the rows whose dedupe key is not queued yet, in one statement; the ids of
        those inserted (a row with a known key writes nothing and is no error).

        ON CONFLICT DO NOTHING rather than catching the unique violation: on PostgreSQL that
        error would abort the caller's whole transaction, the alert with it.
        """
        if not rows:
            return set()
        statement = self.insert(queue).on_conflict_do_nothing().returning(queue.c.id)
        return set((await self._s.execute(statement, list(rows))).scalars().all())

    async def record(self, trail: Sequence[EventRow]) -> None:
        """Add these events to the audit trail, in one statement."""
        if trail:
            await self._s.execute(
                events.insert(),
                [
                    {
                        "notification_id": e.notification_id,
                        "kind": e.kind,
                        "at": e.at,
                        "attempt": e.attempt,
                        "detail_sealed": e.detail_sealed,
                    }
                    for e in trail
                ],
            )

    async def claim(
        self,
        now: datetime,
        lease_until: datetime,
        limit: int,
        *,
        sending: Collection[str] = (),
    ) -> list[NotificationRow]:
        """Take up to ``limit`` due rows, most urgent then oldest first, for one attempt each.
        ``sending``: the rows this process is sending now, never taken again while it does,
        whatever their lease says (a clock that jumps ahead would make it look lapsed)."""
        query = (
            select(queue)
            .where(queue.c.status.in_(_TAKEABLE), queue.c.due_at <= now)
            .order_by(queue.c.priority, queue.c.seq)
            .limit(limit)
        )
        if sending:
            query = query.where(queue.c.id.not_in(list(sending)))
        if self.is_postgres:
            # Another process's claim is skipped, not waited for, and never taken twice.
            query = query.with_for_update(skip_locked=True)
        rows = [_row(m) for m in (await self._s.execute(query)).mappings().all()]
        if not rows:
            return rows
        # Still takeable when updated: without row locks (SQLite), another process may have
        # claimed some between the select and here, and only the rows this update took are ours.
        taken = await self._s.execute(
            update(queue)
            .where(
                queue.c.id.in_([r.id for r in rows]),
                queue.c.status.in_(_TAKEABLE),
                queue.c.due_at <= now,
            )
            .values(status="sending", attempts=queue.c.attempts + 1, due_at=lease_until)
            .returning(queue.c.id)
        )
        ours = set(taken.scalars().all())
        return [r for r in rows if r.id in ours]

    async def settle(self, notification_id: str, attempt: int, **values: Any) -> bool:
        """Record an attempt's outcome; False if the row is gone (erased) or was re-claimed."""
        return bool(
            await self.rowcount(
                update(queue)
                .where(
                    queue.c.id == notification_id,
                    queue.c.status == "sending",
                    queue.c.attempts == attempt,
                )
                .values(**values)
            )
        )

    async def settle_sent(self, attempts: Mapping[str, int], sent_at: datetime) -> set[str]:
        """Record that these rows (id: the attempt that sent it) were sent, in one statement;
        the ids recorded (not those erased or re-claimed meanwhile)."""
        if not attempts:
            return set()
        statement = (
            update(queue)
            .where(
                tuple_(queue.c.id, queue.c.attempts).in_(list(attempts.items())),
                queue.c.status == "sending",
            )
            .values(status="sent", sent_at=sent_at)
            .returning(queue.c.id)
        )
        return set((await self._s.execute(statement)).scalars().all())

    async def renew_lease(self, notification_id: str, attempt: int, until: datetime) -> bool:
        """Extend a send's lease while it is in flight; False if the row is no longer ours."""
        return await self.settle(notification_id, attempt, due_at=until)

    async def next_due(self) -> datetime | None:
        query = select(func.min(queue.c.due_at)).where(queue.c.status.in_(_TAKEABLE))
        value: datetime | None = (await self._s.execute(query)).scalar()
        return value

    async def find(
        self,
        *,
        user_id: str | None = None,
        alert_id: str | None = None,
        dead_only: bool = False,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[NotificationRow], int]:
        conditions: list[ColumnElement[bool]] = []
        if user_id is not None:
            conditions.append(or_(queue.c.user_id == user_id, queue.c.recipient_user_id == user_id))
        if alert_id is not None:
            conditions.append(queue.c.alert_id == alert_id)
        if dead_only:
            conditions.append(queue.c.dead_lettered_at.is_not(None))
            conditions.append(queue.c.status != "sent")
        total = (
            await self._s.execute(select(func.count()).select_from(queue).where(*conditions))
        ).scalar_one()
        query = (
            select(queue)
            .where(*conditions)
            .order_by(queue.c.seq.desc())
            .limit(limit)
            .offset(offset)
        )
        rows = [_row(m) for m in (await self._s.execute(query)).mappings().all()]
        return rows, int(total)

    async def get(self, notification_id: str) -> NotificationRow | None:
        query = select(queue).where(queue.c.id == notification_id)
        mapping = (await self._s.execute(query)).mappings().first()
        return None if mapping is None else _row(mapping)

    async def trail(self, ids: Sequence[str]) -> dict[str, list[EventRow]]:
        found: dict[str, list[EventRow]] = {i: [] for i in ids}
        if not ids:
            return found
        query = select(events).where(events.c.notification_id.in_(ids)).order_by(events.c.seq)
        for m in (await self._s.execute(query)).mappings():
            found[m["notification_id"]].append(
                EventRow(m["notification_id"], m["kind"], m["at"], m["attempt"], m["detail_sealed"])
            )
        return found

    async def requeue(self, notification_id: str, now: datetime) -> bool:
        """A dead-lettered notification goes back in line with a fresh set of attempts."""
        return bool(
            await self.rowcount(
                update(queue)
                .where(
                    queue.c.id == notification_id,
                    queue.c.dead_lettered_at.is_not(None),
                    # Not while an attempt is in flight: its outcome must still find its row.
                    queue.c.status.in_(("queued", "dead")),
                )
                .values(status="queued", attempts=0, due_at=now, dead_lettered_at=None)
            )
        )

    async def erase_user(self, user_id: str) -> int:
        naming = or_(queue.c.user_id == user_id, queue.c.recipient_user_id == user_id)
        ids = select(queue.c.id).where(naming)
        await self._s.execute(delete(events).where(events.c.notification_id.in_(ids)))
        return await self.rowcount(delete(queue).where(naming))
