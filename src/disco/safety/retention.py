"""Retention: how long safety keeps what it records, and the durable job that deletes the rest.

- an alert's location trail: 30 days after the alert ended
  (``DISCO_RETENTION_ALERT_TRAIL_DAYS``);
- an ended alert, with any trail left: 365 days after it ended (``DISCO_RETENTION_ALERTS_DAYS``);
- a check-in that ended (confirmed, cancelled or told): 90 days after it was due
  (``DISCO_RETENTION_CHECKINS_DAYS``);
- a sent or dead-lettered notification and its audit events: 90 days after it was made
  (``DISCO_RETENTION_NOTIFICATIONS_DAYS``);
- an alert's or check-in's idempotency key: a day after it was first sent
  (``replays.KEYS_KEPT_FOR``: apps retry within seconds or minutes).

An active alert, an active check-in and a notification still to be sent are never deleted,
however old. Reports, moderation actions and ratings stay while the accounts do (moderators
need a history; an account's deletion erases its share). The job holds no state of its own:
each run (every ``DISCO_RETENTION_EVERY_SECONDS``, in any safety process, two at once being
harmless) deletes whatever is past its time by the injected clock, in batches, so a run cut
short by a crash is finished by the next.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Table, delete, select
from sqlalchemy.sql.elements import ColumnElement

from disco.config import Settings
from disco.platform.clock import Clock
from disco.platform.db import Database
from disco.platform.repository import Repository, delete_in_batches
from disco.safety import models as m
from disco.safety.notify import models as notify
from disco.safety.replays import KEYS_KEPT_FOR

__all__ = ["Retention", "RetentionReport"]

_BATCH = 500


@dataclass(frozen=True, slots=True)
class RetentionReport:
    trail_points: int
    alerts: int
    checkins: int
    notifications: int
    request_keys: int


class Retention:
    def __init__(self, db: Database, clock: Clock, settings: Settings) -> None:
        self._db = db
        self._clock = clock
        self._settings = settings

    async def run(self) -> RetentionReport:
        now = self._clock.now()

        def ago(days: int) -> datetime:
            return now - timedelta(days=days)

        a, p, c = m.alerts, m.alert_points, m.checkins
        ended = a.c.status != "ACTIVE"
        old_trails = select(a.c.id).where(
            ended, a.c.ended_at <= ago(self._settings.retention_alert_trail_days)
        )
        points = await self._delete(p, p.c.alert_id.in_(old_trails))
        alerts = await self._delete(
            a, ended, a.c.ended_at <= ago(self._settings.retention_alerts_days)
        )
        checkins = await self._delete(
            c,
            c.c.status != "ACTIVE",
            c.c.due_at <= ago(self._settings.retention_checkins_days),
        )
        notifications = await self._delete_notifications(
            ago(self._settings.retention_notifications_days)
        )
        k = m.request_keys
        request_keys = await self._delete(k, k.c.created_at <= now - KEYS_KEPT_FOR)
        return RetentionReport(points, alerts, checkins, notifications, request_keys)

    async def _delete(self, table: Table, *where: ColumnElement[bool]) -> int:
        return await delete_in_batches(
            self._db, f"safety.retention.{table.name}", table, *where, batch=_BATCH
        )

    async def _delete_notifications(self, before: datetime) -> int:
        """Settled notifications with their audit events, in one transaction per batch."""
        n, e = notify.notifications, notify.notification_events
        deleted = 0
        while True:
            async with self._db.unit_of_work("safety.retention.notifications") as uow:
                repo = Repository(uow)
                settled = n.c.status.in_(("sent", "dead")) & (n.c.created_at <= before)
                ids = list(
                    (
                        await uow.session.execute(select(n.c.id).where(settled).limit(_BATCH))
                    ).scalars()
                )
                if ids:
                    await repo.rowcount(delete(e).where(e.c.notification_id.in_(ids)))
                    await repo.rowcount(delete(n).where(n.c.id.in_(ids)))
            deleted += len(ids)
            if len(ids) < _BATCH:
                return deleted
