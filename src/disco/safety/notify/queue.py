"""The notification queue as the safety domain and moderators use it.

The domain queues notifications inside its own transaction and erases them when a user is
deleted; moderators read the audit trail and requeue dead letters.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from disco.platform.clock import Clock
from disco.platform.db import UnitOfWork, new_id
from disco.platform.errors import Conflict, NotFound
from disco.platform.security import FieldCipher
from disco.safety.notify.audit import notification_view
from disco.safety.notify.message import Notification
from disco.safety.notify.repository import EventRow, NotificationsRepository
from disco.safety.notify.schemas import NotificationList, NotificationView

__all__ = ["NotificationQueue"]


class NotificationQueue:
    def __init__(
        self,
        cipher: FieldCipher,
        clock: Clock,
        wake: Callable[[], None],
    ) -> None:
        self._cipher = cipher
        self._clock = clock
        self._wake = wake

    async def enqueue(self, uow: UnitOfWork, notification: Notification) -> bool:
        """Queue ``notification`` in the caller's unit of work; False if its dedupe key is
        already queued (nothing written, no error).

        It commits with whatever the caller commits (an alert and its notifications exist
        together or not at all) and the dispatcher is woken once that commit has happened.
        """
        return await self.enqueue_all(uow, [notification]) == 1

    async def enqueue_all(self, uow: UnitOfWork, notifications: Sequence[Notification]) -> int:
        """``enqueue`` for several at once (an alert's contacts), in two statements whatever
        their number; how many were queued."""
        now = self._clock.now()
        rows = {new_id(): n for n in notifications}
        repo = NotificationsRepository(uow)
        inserted = await repo.add([self._row(i, n, now) for i, n in rows.items()])
        await repo.record([EventRow(i, "queued", now, 0, None) for i in rows if i in inserted])
        if inserted:
            uow.after_commit(self._after_commit)
        return len(inserted)

    def _row(
        self, notification_id: str, notification: Notification, now: datetime
    ) -> dict[str, Any]:
        content = {
            "recipient": notification.recipient,
            "subject": notification.subject,
            "body": notification.body,
            "data": notification.data,
            "frame_type": notification.frame_type,
        }
        return {
            "id": notification_id,
            "dedupe_key": notification.dedupe_key,
            "priority": int(notification.priority),
            "channel": notification.channel,
            "content_sealed": self._cipher.encrypt_json(content),
            "status": "queued",
            "attempts": 0,
            "due_at": now,
            "created_at": now,
            "sent_at": None,
            "dead_lettered_at": None,
            "last_error_sealed": None,
            "user_id": notification.user_id,
            "recipient_user_id": notification.recipient_user_id,
            "alert_id": notification.alert_id,
            "checkin_id": notification.checkin_id,
        }

    async def erase_user(self, uow: UnitOfWork, user_id: str) -> int:
        """For ``users.user.deleted``: every notification naming the user, and its trail."""
        return await NotificationsRepository(uow).erase_user(user_id)

    async def find(
        self,
        uow: UnitOfWork,
        *,
        user_id: str | None = None,
        alert_id: str | None = None,
        dead_only: bool = False,
        limit: int = 50,
        offset: int = 0,
    ) -> NotificationList:
        """For moderators: notifications newest first, with their audit trails."""
        repo = NotificationsRepository(uow)
        rows, total = await repo.find(
            user_id=user_id, alert_id=alert_id, dead_only=dead_only, limit=limit, offset=offset
        )
        trails = await repo.trail([r.id for r in rows])
        return NotificationList(
            notifications=[notification_view(self._cipher, r, trails[r.id]) for r in rows],
            total=total,
            has_more=offset + len(rows) < total,
        )

    async def requeue(self, uow: UnitOfWork, notification_id: str) -> NotificationView:
        """For moderators: a dead letter back in line, with a fresh set of attempts."""
        repo = NotificationsRepository(uow)
        if await repo.get(notification_id) is None:
            raise NotFound("No such notification.")
        now = self._clock.now()
        if not await repo.requeue(notification_id, now):
            raise Conflict(
                "Only a dead-lettered notification that is not being sent can be requeued."
            )
        await repo.record([EventRow(notification_id, "requeued", now, 0, None)])
        uow.after_commit(self._after_commit)
        row = await repo.get(notification_id)
        assert row is not None  # updated in this very transaction
        trail = await repo.trail([notification_id])
        return notification_view(self._cipher, row, trail[notification_id])

    async def _after_commit(self) -> None:
        self._wake()
